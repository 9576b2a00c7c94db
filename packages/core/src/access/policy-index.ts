import { ErrorCode } from '@stratum/contracts';
import type { Bus } from '../bus/bus.js';
import { DomainError } from '../errors.js';
import type { CollectionHooks } from '../collections/hooks.js';
import type { Doc } from '../collections/documents.js';
import type { TenantId } from '../context.js';
import { TenantCache } from '../collections/tenant-cache.js';
import type { SqlExecutor } from '../store/types.js';
import { compilePolicy, PolicyError, type GrantInput, type Policy } from './policy.js';
import { expandRbac } from './rbac.js';

/** Refuses a grant document that would not compile, naming the field (a 422 on create and update). */
export function assertGrant(doc: Doc): void {
  try {
    compilePolicy(doc as unknown as GrantInput, 'check', 'check');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const path = /^action|verb|possession/.test(message) ? 'action' : /^object/.test(message) ? 'object' : /cron/.test(message) ? 'time' : 'subject';
    throw new DomainError(ErrorCode.VALIDATION_FAILED, `invalid grant: ${message}`, [{ path, message }]);
  }
}

/** Outside `stratum.*.*.*`, like every platform-internal notification. */
const POLICIES_CHANGED = 'stratum-internal.policies.changed';
export const RBAC_KEY = 'RBAC';
export const ADMIN_ROLE = 'admin';

/** A tenant's compiled policies, and the grants that could not be compiled (and why). */
export interface TenantPolicies {
  policies: Policy[];
  invalid: { source: string; reason: string }[];
}

/**
 * The compiled, per-tenant policy index (DESIGN 6.2): decisions are made in-process, without a
 * query per request. A grant or RBAC change drops the tenant's entry after its commit, here and,
 * over the bus, on every node. Where changes cannot reach every node (PostgreSQL with only an
 * in-process bus) nothing is cached, so a revoked grant still denies on the next request.
 */
export class PolicyIndex {
  private readonly cache: TenantCache<TenantPolicies>;

  constructor(db: SqlExecutor, bus: Bus, cached: boolean) {
    this.cache = new TenantCache(db, bus, POLICIES_CHANGED, cached);
  }

  /** `db`: the caller's transaction when it is in one (see TenantCache.get). */
  policies(tenant: TenantId, db?: SqlExecutor): Promise<TenantPolicies> {
    return this.cache.get(tenant, '', (conn) => this.load(tenant, conn), db);
  }

  private async load(tenant: TenantId, db: SqlExecutor): Promise<TenantPolicies> {
    // The tenant's administrators may do everything, as PocketBase's superusers: not a stored grant, so it cannot be lost.
    const out: TenantPolicies = { policies: [compilePolicy({ subject: ADMIN_ROLE, action: 'any', object: 'all' }, tenant, 'builtin:admin')], invalid: [] };
    const grants = await db.query<{ id: string; doc: GrantInput }>(
      'SELECT id, doc FROM c_auth_grants WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id', [tenant]);
    const add = (grant: GrantInput, source: string) => {
      try {
        out.policies.push(compilePolicy(grant, tenant, source));
      } catch (error) {
        out.invalid.push({ source, reason: error instanceof PolicyError || error instanceof Error ? error.message : String(error) });
      }
    };
    for (const row of grants.rows) add(row.doc, `grant:${row.id}`);
    const rbac = await db.query<{ value: unknown }>(
      `SELECT doc->'value' AS value FROM c_context_configs WHERE tenant_id = $1 AND deleted_at IS NULL AND doc->>'key' = $2 AND NOT (doc ? 'eid')`,
      [tenant, RBAC_KEY]);
    for (const row of rbac.rows) {
      const expansion = expandRbac(row.value);
      for (const grant of expansion.grants) add(grant, grant.source);
      for (const skipped of expansion.skipped) out.invalid.push({ source: `rbac:${skipped.name}`, reason: skipped.reason });
    }
    return out;
  }

  /**
   * Hooks for `auth/grants` and `context/configs`: any write drops the tenant's policies (a
   * config whose key changed away from RBAC must too). A grant that does not compile is refused.
   */
  hooks(validate?: (doc: Doc) => void): CollectionHooks {
    return this.cache.hooks(validate);
  }
}
