import { randomBytes } from 'node:crypto';
import type { Config } from '@stratum/core';
import type { ParsedArgs } from '../args.js';
import { CliError, systemContext, withRuntime, type Runtime } from '../runtime.js';
import { GRANT_TYPES, grantTypesArg, idArg, redirectUriArg, scopesArg, textArg } from '../validate.js';
import { SHOWN_ONCE, type Command, type Output } from './command.js';

interface ClientInput {
  tenant: string;
  name: string;
  scopes: string[];
  grantTypes: string[];
  redirectUris: string[];
  coworkers: string[];
}

function clientInput(args: ParsedArgs): ClientInput {
  const { values, lists } = args;
  return {
    tenant: values.tenant,
    name: textArg('name', values.name),
    scopes: values.scopes === undefined ? ['whole'] : scopesArg(values.scopes),
    grantTypes: values['grant-types'] === undefined ? [...GRANT_TYPES] : grantTypesArg(values['grant-types']),
    redirectUris: [...new Set((lists['redirect-uri'] ?? []).map(redirectUriArg))],
    coworkers: [...new Set((lists.coworker ?? []).map((id) => idArg('coworker', id)))],
  };
}

/** A client in the named tenant, created through the engine as the tenant's default client. */
async function createClient(rt: Runtime, input: ClientInput): Promise<Output> {
  const { ctx, tenant } = await systemContext(rt, input.tenant);
  for (const id of input.coworkers) {
    if (!(await rt.identities.client(tenant.id, id))) throw new CliError(`--coworker ${id}: there is no client ${id} in tenant ${tenant.id}`);
  }
  const secret = randomBytes(24).toString('base64url');
  const client = await rt.engine.create(ctx, rt.registry.get('domain', 'clients'), {
    name: input.name,
    secret,
    scopes: input.scopes,
    grant_types: input.grantTypes,
    status: 'active',
    ...(input.redirectUris.length > 0 ? { redirect_uris: input.redirectUris } : {}),
    ...(input.coworkers.length > 0 ? { coworkers: input.coworkers } : {}),
  });
  const { id, name, scopes, grant_types, redirect_uris, coworkers } = client;
  return {
    json: { tenant: tenant.id, client_id: id, client_secret: secret, client: { id, name, scopes, grant_types, redirect_uris, coworkers } },
    notice: `client_secret of client ${id as string} ${SHOWN_ONCE}`,
  };
}

export const clientCreateCommand: Command = {
  words: ['client', 'create'],
  synopsis: '--tenant <domain> --name <name> [--scopes "<scope> ..."] [--grant-types <grant,...>] [--redirect-uri <uri>]... [--coworker <client id>]...',
  summary: `create an OAuth client (default scopes whole, grants ${GRANT_TYPES.join(',')}); prints its id and secret once`,
  spec: {
    positionals: [],
    flags: { tenant: 'value', name: 'value', scopes: 'value', 'grant-types': 'value', 'redirect-uri': 'list', coworker: 'list' },
    required: ['tenant', 'name'],
  },
  prepare(args) {
    const input = clientInput(args);
    return (config: Config) => withRuntime(config, (rt) => createClient(rt, input));
  },
};
