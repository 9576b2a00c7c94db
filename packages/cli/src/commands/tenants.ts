import { randomBytes } from 'node:crypto';
import {
  asTenantId, newId, TenantDirectory, type Config, type Principal, type RequestContext, type Tenant,
} from '@stratum/core';
import { UsageError, type ParsedArgs } from '../args.js';
import { CliError, withRuntime, type Runtime } from '../runtime.js';
import { domainArg, GRANT_TYPES, slugArg, textArg } from '../validate.js';
import { SHOWN_ONCE, type Command, type Output } from './command.js';

interface TenantInput {
  domain: string;
  aliases: string[];
  slug?: string;
  name?: string;
}

function tenantInput(args: ParsedArgs): TenantInput {
  const domain = domainArg('<domain>', args.positionals.domain);
  const aliases = [...new Set((args.lists.alias ?? []).map((a) => domainArg('--alias', a)))];
  if (aliases.includes(domain)) throw new UsageError(`--alias ${domain} is the tenant's own domain`);
  return {
    domain,
    aliases,
    slug: args.values.slug === undefined ? undefined : slugArg(args.values.slug),
    name: args.values.name === undefined ? undefined : textArg('name', args.values.name),
  };
}

/** Every name a tenant answers to must be free: resolution by domain, alias or slug must stay unambiguous. */
async function assertNamesFree(directory: TenantDirectory, input: TenantInput): Promise<void> {
  const names: [string, string][] = [['domain', input.domain], ...input.aliases.map((a): [string, string] => ['alias', a])];
  if (input.slug) names.push(['slug', input.slug]);
  for (const [what, name] of names) {
    const owner = await directory.resolve(name);
    if (owner) throw new CliError(`the ${what} ${name} is already used by tenant ${owner.id}`);
  }
}

/** The tenant and its default client in one transaction: a failure leaves neither behind. */
async function createTenant(rt: Runtime, input: TenantInput): Promise<Output> {
  const secret = randomBytes(24).toString('base64url');
  const clients = rt.registry.get('domain', 'clients');
  const { tenant, client } = await rt.store.transaction(async (tx) => {
    const directory = new TenantDirectory(tx);
    await assertNamesFree(directory, input);
    const tenant: Tenant = await directory.create(input);
    const system: Principal = { cid: 'system', coworkers: [], subjects: [], scope: ['whole'], groups: [tenant.id] };
    const ctx: RequestContext = { tenant: asTenantId(tenant.id), principal: system, requestId: newId(), tx };
    const client = await rt.engine.create(ctx, clients, {
      name: 'default', secret, grant_types: [...GRANT_TYPES], scopes: ['whole'], status: 'active',
    });
    return { tenant, client };
  });
  return {
    json: {
      tenant,
      client: { id: client.id, name: client.name, scopes: client.scopes, grant_types: client.grant_types },
      client_secret: secret,
    },
    notice: `client_secret of the default client ${client.id as string} ${SHOWN_ONCE}`,
  };
}

export const tenantCreateCommand: Command = {
  words: ['tenant', 'create'],
  synopsis: '<domain> [--alias <domain>]... [--slug <slug>] [--name <name>]',
  summary: 'create a tenant and its default client (scopes whole, all four grants); prints the client secret once',
  spec: { positionals: ['domain'], flags: { alias: 'list', slug: 'value', name: 'value' } },
  prepare(args) {
    const input = tenantInput(args);
    return (config: Config) => withRuntime(config, (rt) => createTenant(rt, input));
  },
};

export const tenantListCommand: Command = {
  words: ['tenant', 'list'],
  synopsis: '',
  summary: 'list the tenants with their aliases, slug, name and status',
  spec: { positionals: [], flags: {} },
  prepare: () => (config) => withRuntime(config, async (rt) => ({ json: await rt.tenants.list() })),
};
