import { ErrorCode, type Plan, type Usage } from '@stratum/contracts';
import type { Bus } from '../bus/bus.js';
import type { CollectionRegistry } from '../collections/registry.js';
import { actorOf, type RequestContext, type TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { TenantDirectory } from '../auth/tenants.js';
import type { SqlExecutor } from '../store/types.js';
import { openCounters, type Counters } from './counters.js';
import { DocumentMeter } from './document-meter.js';
import { planLimits, parsePlanPatch, Plans } from './plans.js';
import type { RateLimiter, RateLimitResult } from './rate-limiter.js';
import { periodOf, RequestMeter, type Period } from './request-meter.js';

/** Where a caller stands against one limit: what the RateLimit-* headers say. */
export type LimitState = Omit<RateLimitResult, 'allowed'>;

export interface UsageDeps {
  db: SqlExecutor;
  registry: CollectionRegistry;
  tenants: TenantDirectory;
  /** Per-second windows (the same limiter as the per-collection rate limit). */
  limiter: RateLimiter;
  counters: Counters;
  bus?: Bus;
  /** The root tenant: its admins are the operator, who alone sets plans. */
  rootTenant: string;
  syncMs: number;
  now?: () => number;
  onError?: (message: string, error: unknown) => void;
}

const seconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** Retry-After and the RateLimit-* headers of a refusal. */
function refusalHeaders(state: LimitState): Record<string, string> {
  const reset = seconds(state.resetMs);
  return { 'retry-after': reset, 'ratelimit-limit': String(state.limit), 'ratelimit-remaining': String(state.remaining), 'ratelimit-reset': reset };
}

/** The limit closest to refusing: the one the RateLimit-* headers should describe. */
export function closest(states: readonly (LimitState | undefined)[]): LimitState | undefined {
  let best: LimitState | undefined;
  for (const state of states) {
    if (state && (!best || state.remaining < best.remaining || (state.remaining === best.remaining && state.resetMs > best.resetMs))) best = state;
  }
  return best;
}

/**
 * Plans, metering and enforcement per tenant (DESIGN 6.5): requests per month and per second,
 * live documents. Plans are the operator's (the root tenant's admins, or the CLI); a tenant's
 * admins read their usage.
 */
export class UsageService {
  readonly plans: Plans;
  readonly requests: RequestMeter;
  readonly documents: DocumentMeter;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: UsageDeps) {
    this.now = deps.now ?? Date.now;
    const onError = deps.onError ?? (() => undefined);
    this.plans = new Plans(deps.db, deps.bus, deps.syncMs, this.now);
    this.requests = new RequestMeter(deps.db, deps.counters, onError, this.now);
    this.documents = new DocumentMeter(deps.db, deps.registry, this.plans, deps.counters, { ttlMs: deps.syncMs, now: this.now, onError });
  }

  static async open(deps: Omit<UsageDeps, 'counters'> & { redisUrl?: string }): Promise<UsageService> {
    return new UsageService({ ...deps, counters: await openCounters(deps.redisUrl) });
  }

  /** Adds what this node counted to the database every sync interval. */
  start(): void {
    this.timer ??= setInterval(() => {
      this.requests.flush().catch((error) => this.deps.onError?.('writing request counts failed', error));
    }, this.deps.syncMs);
    this.timer.unref();
  }

  /** Stops the timer and writes the last counts; the store must still be open. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.requests.flush().catch((error) => this.deps.onError?.('writing request counts failed', error));
    await this.deps.counters.close().catch(() => undefined);
  }

  /**
   * Meters one authenticated request and enforces the tenant's plan: over its rate a 429
   * RATE_LIMITED, over its month's requests a 429 QUOTA_EXCEEDED, both with Retry-After. With
   * `enforce` false (reading one's usage) it is counted but never refused. Returns where the
   * tenant stands against the closer of its limits, if its plan has any.
   */
  async admitRequest(tenant: TenantId, enforce: boolean): Promise<LimitState | undefined> {
    const plan = await this.plans.get(tenant);
    let rate: LimitState | undefined;
    if (plan.rate_per_second !== null) {
      const hit = await this.deps.limiter.hit(`plan-rate:${tenant}`, plan.rate_per_second, 1000);
      rate = { limit: hit.limit, remaining: hit.remaining, resetMs: hit.resetMs };
      if (!hit.allowed && enforce) {
        throw new DomainError(ErrorCode.RATE_LIMITED, `tenant ${tenant} is over its plan's ${plan.rate_per_second} requests per second`, undefined, refusalHeaders(rate));
      }
    }
    const period = periodOf(this.now());
    const limit = plan.requests_per_month ?? undefined;
    const counted = await this.requests.count(tenant, period, enforce ? limit : undefined);
    if (limit === undefined) return rate;
    const month: LimitState = { limit, remaining: Math.max(0, limit - counted.total), resetMs: period.end - this.now() };
    if (!counted.allowed) {
      throw new DomainError(ErrorCode.QUOTA_EXCEEDED,
        `tenant ${tenant} has used the ${limit} requests of its plan for ${period.key}; the count starts again at ${new Date(period.end).toISOString()}`,
        [{ path: 'requests_per_month', message: `${counted.total} of ${limit} used` }], refusalHeaders(month));
    }
    return closest([rate, month]);
  }

  /** `GET /usage`: the caller's tenant, for whoever may read `domain:usage` tenant-wide (admins). */
  async report(ctx: RequestContext): Promise<Usage> {
    const access = await ctx.access?.resolve('domain', 'usage', 'read');
    if (access && !access.unscoped) throw new DomainError(ErrorCode.FORBIDDEN, 'reading the tenant\'s usage needs a read grant on domain:usage without a possession');
    return this.usageOf(ctx.tenant);
  }

  /** `GET /tenants/:domain/usage`: any tenant's usage, for the operator. */
  async tenantUsage(ctx: RequestContext, domain: string): Promise<Usage> {
    return this.usageOf(await this.operatorTarget(ctx, domain, 'read'));
  }

  async plan(ctx: RequestContext, domain: string): Promise<Plan> {
    return this.plans.get(await this.operatorTarget(ctx, domain, 'read'));
  }

  /** `PATCH /tenants/:domain/plan`: the named limits change, the others stay. */
  async setPlan(ctx: RequestContext, domain: string, body: unknown): Promise<Plan> {
    const tenant = await this.operatorTarget(ctx, domain, 'update');
    const change = parsePlanPatch(body);
    return this.plans.set(tenant, change, `${actorOf(ctx.principal)}@${ctx.tenant}`);
  }

  private async usageOf(tenant: TenantId): Promise<Usage> {
    const period: Period = periodOf(this.now());
    const [plan, requests, documents] = await Promise.all([this.plans.get(tenant), this.requests.total(tenant, period), this.documents.used(tenant)]);
    return {
      tenant,
      period_start: new Date(period.start).toISOString(),
      period_end: new Date(period.end).toISOString(),
      requests,
      documents,
      plan: planLimits(plan),
    };
  }

  /**
   * Plans are the operator's: only the root tenant's principals reach them (users through a
   * grant on `domain:tenants` without a possession; admins hold one). Any other tenant, its
   * admins included, is refused, so no tenant can raise its own quota.
   */
  private async operatorTarget(ctx: RequestContext, domain: string, verb: 'read' | 'update'): Promise<TenantId> {
    if (ctx.tenant !== this.deps.rootTenant) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'plans and other tenants\' usage are managed by the operator: the root tenant\'s admins or `stratum tenant plan`');
    }
    const access = await ctx.access?.resolve('domain', 'tenants', verb);
    if (access && !access.unscoped) throw new DomainError(ErrorCode.FORBIDDEN, `managing plans needs a ${verb} grant on domain:tenants without a possession`);
    const tenant = await this.deps.tenants.resolve(domain);
    if (!tenant) throw new DomainError(ErrorCode.NOT_FOUND, `there is no tenant ${JSON.stringify(domain).slice(0, 80)} (by domain, alias or slug)`);
    return tenant.id;
  }
}
