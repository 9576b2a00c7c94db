import type { PlanLimits } from '@stratum/contracts';
import { DomainError, parsePlanPatch, Plans, type Config } from '@stratum/core';
import { UsageError, type ParsedArgs } from '../args.js';
import { CliError, withRuntime } from '../runtime.js';
import { domainArg } from '../validate.js';
import type { Command } from './command.js';

/** Flag → plan limit; each takes a positive integer or `unlimited`. */
const FLAGS: Record<string, keyof PlanLimits> = {
  'requests-per-month': 'requests_per_month',
  documents: 'documents',
  rate: 'rate_per_second',
};

/** The change the flags ask for, checked as the HTTP API checks it; none: show the plan. */
function planChange(args: ParsedArgs): Partial<PlanLimits> | undefined {
  const change: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(FLAGS)) {
    const raw = args.values[flag];
    if (raw === undefined) continue;
    if (raw !== 'unlimited' && !/^\d{1,13}$/.test(raw)) throw new UsageError(`--${flag} must be a positive integer or unlimited, got ${JSON.stringify(raw)}`);
    change[field] = raw === 'unlimited' ? null : Number(raw);
  }
  if (Object.keys(change).length === 0) return undefined;
  try {
    return parsePlanPatch(change);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const field = error.details?.[0]?.path;
    const flag = Object.keys(FLAGS).find((f) => FLAGS[f] === field);
    throw new UsageError(flag ? `--${flag} ${error.details![0].message.replace('or null for unlimited', 'or unlimited')}` : error.message);
  }
}

export const tenantPlanCommand: Command = {
  words: ['tenant', 'plan'],
  synopsis: '<domain> [--requests-per-month <n|unlimited>] [--documents <n|unlimited>] [--rate <n|unlimited>]',
  summary: 'show a tenant\'s plan, or change the limits named (requests per UTC month, live documents, requests per second); no plan is unlimited',
  spec: { positionals: ['domain'], flags: { 'requests-per-month': 'value', documents: 'value', rate: 'value' } },
  prepare(args) {
    const domain = domainArg('<domain>', args.positionals.domain);
    const change = planChange(args);
    return (config: Config) => withRuntime(config, async (rt) => {
      const tenant = await rt.tenants.resolve(domain);
      if (!tenant) throw new CliError(`there is no tenant ${JSON.stringify(domain)} (by domain, alias or slug); see \`stratum tenant list\``);
      const plans = new Plans(rt.store, undefined, 0);
      if (!change) return { json: await plans.get(tenant.id) };
      return {
        json: await plans.set(tenant.id, change, 'stratum-cli'),
        notice: `running nodes apply the new plan within USAGE_SYNC_SECONDS (${config.limits.usageSyncMs / 1000}s)`,
      };
    });
  },
};
