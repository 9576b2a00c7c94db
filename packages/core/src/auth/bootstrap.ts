import { randomBytes } from 'node:crypto';
import type { AuthConfig } from '../config.js';
import { asTenantId, type Principal, type RequestContext } from '../context.js';
import { newId } from '../ids.js';
import type { CollectionEngine } from '../collections/engine.js';
import type { CollectionRegistry } from '../collections/registry.js';
import type { TenantDirectory } from './tenants.js';

export interface BootstrapResult {
  tenant: string;
  clientId: string;
  adminEmail: string;
  /** Set only on the start that created them: shown once, never stored in clear. */
  created?: { adminPassword: string; clientSecret: string; generatedPassword: boolean };
}

const ALL_GRANTS = ['password', 'refresh_token', 'client_credentials', 'authorization_code'];

/**
 * First start: the root tenant, its root client and an admin user. Later starts find them and
 * change nothing, so a restart never resets a password.
 */
export async function bootstrapRoot(config: AuthConfig, tenants: TenantDirectory, engine: CollectionEngine, registry: CollectionRegistry): Promise<BootstrapResult> {
  const tenant = (await tenants.resolve(config.rootDomain)) ?? (await tenants.create({ domain: config.rootDomain, name: 'root' }));
  const clients = registry.get('domain', 'clients');
  const users = registry.get('identity', 'users');
  const system: Principal = { cid: 'system', coworkers: [], subjects: [], scope: ['whole'], groups: [tenant.id] };
  const ctx: RequestContext = { tenant: asTenantId(tenant.id), principal: system, requestId: newId() };
  const existing = await engine.find(ctx, clients, { filter: { name: 'root' }, populate: [], sort: { created_at: 1 }, limit: 1, skip: 0 });
  if (existing.length > 0) {
    return { tenant: tenant.id, clientId: existing[0].id as string, adminEmail: config.adminEmail };
  }
  const clientSecret = randomBytes(24).toString('base64url');
  const generatedPassword = config.adminPassword === undefined;
  const adminPassword = config.adminPassword ?? randomBytes(12).toString('base64url');
  const client = await engine.create(ctx, clients, {
    name: 'root', secret: clientSecret, grant_types: ALL_GRANTS, scopes: ['whole'], status: 'active',
  });
  const clientCtx: RequestContext = { ...ctx, principal: { ...system, cid: client.id as string, coworkers: [client.id as string] } };
  await engine.create(clientCtx, users, {
    username: 'admin', email: config.adminEmail, password: adminPassword, subjects: ['admin'], status: 'active', name: 'Administrator',
  });
  return { tenant: tenant.id, clientId: client.id as string, adminEmail: config.adminEmail, created: { adminPassword, clientSecret, generatedPassword } };
}
