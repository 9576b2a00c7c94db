import { randomBytes } from 'node:crypto';
import type { AuthConfig } from '../config.js';
import { asTenantId, type Principal, type RequestContext, type TenantId } from '../context.js';
import { newId } from '../ids.js';
import { quoteIdent } from '../collections/ddl.js';
import { newDocument, stampOf } from '../collections/documents.js';
import type { CollectionEngine } from '../collections/engine.js';
import type { CollectionRegistry } from '../collections/registry.js';
import type { Store } from '../store/types.js';
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

/**
 * AUTH_PROVIDER=none: the local developer's client as a real `domain/clients` row under the fixed
 * id its requests carry, so whatever must name a client of the tenant (a CQRS webhook config's
 * `eid`) accepts the developer's, and the developer's writes (their `clients`) reach its webhook.
 * Created on the first start with its change event; later starts, or nodes starting together,
 * find it and change nothing, and one the developer deleted stays deleted. True when created.
 */
export async function ensureLocalClient(store: Store, engine: CollectionEngine, registry: CollectionRegistry, tenant: TenantId, developer: Principal): Promise<boolean> {
  const reg = registry.get('domain', 'clients');
  const body = reg.body.create({ name: 'local developer', scopes: ['whole'], grant_types: [], status: 'active' });
  const doc = newDocument(developer.cid, body, developer, stampOf(developer));
  return store.transaction(async (tx) => {
    // The engine gives every new document a fresh id; this one must keep the developer's.
    const inserted = await tx.query(
      `INSERT INTO ${quoteIdent(reg.table)} (tenant_id, id, ref, owner, shares, groups, clients, created_at, version, doc)
       VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, id) DO NOTHING`,
      [tenant, doc.id, doc.owner, doc.shares, doc.groups, doc.clients, doc.created_at, doc.version, JSON.stringify(doc)],
    );
    if (inserted.rowCount === 0) return false;
    await engine.recordChanges(tx, tenant, reg, [{ op: 'c', after: doc }]);
    return true;
  });
}
