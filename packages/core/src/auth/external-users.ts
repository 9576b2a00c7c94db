import { createHash } from 'node:crypto';
import { ErrorCode } from '@stratum/contracts';
import type { CollectionEngine } from '../collections/engine.js';
import type { CollectionRegistry, RegisteredCollection } from '../collections/registry.js';
import { asTenantId, type Principal, type RequestContext, type TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import { newId } from '../ids.js';
import type { SqlExecutor } from '../store/types.js';
import type { ProviderPrincipal } from './oidc.js';

/** `ref` of the per-tenant client that users of the external provider act through. */
export const OIDC_CLIENT_REF = 'stratum:oidc';

/** What a request needs to know about the local user of an external identity. */
export interface LocalUser {
  id: string;
  status: string;
  subjects: string[];
}

const CLIENT_TTL_MS = 60_000;
const ATTEMPTS = 3;

/** The identity key (seed 004): provider and sha256 of the provider's subject; never the email. */
export function externalIdOf(principal: Pick<ProviderPrincipal, 'provider' | 'subject'>): string {
  return `${principal.provider}:${createHash('sha256').update(principal.subject, 'utf8').digest('hex')}`;
}

/** The field a unique index refused, when that is what went wrong. */
function duplicateField(error: unknown): string | undefined {
  if (!(error instanceof DomainError) || error.code !== ErrorCode.DUPLICATE) return undefined;
  return error.details?.[0]?.path;
}

function profileOf(principal: ProviderPrincipal): Record<string, string> {
  const profile: Record<string, string> = {};
  if (principal.name) profile.name = principal.name;
  if (principal.email) profile.email = principal.email;
  if (principal.picture) profile.picture = principal.picture;
  return profile;
}

function toLocal(doc: Record<string, unknown>): LocalUser {
  return { id: doc.id as string, status: (doc.status as string | undefined) ?? 'active', subjects: (doc.subjects as string[] | undefined) ?? [] };
}

/**
 * Local users of an external identity provider, one per (tenant, provider, sha256(subject)):
 * the same subject in another tenant is another user, and an email is profile data that never
 * links accounts. A unique index on `external_id` makes concurrent first sign-ins create one user.
 */
export class ExternalUsers {
  private readonly users: RegisteredCollection;
  private readonly clients: RegisteredCollection;
  private readonly clientIds = new Map<TenantId, { id: string; until: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly engine: CollectionEngine,
    registry: CollectionRegistry,
    private readonly scope: readonly string[],
  ) {
    this.users = registry.get('identity', 'users');
    this.clients = registry.get('domain', 'clients');
  }

  /**
   * The tenant's user of this external identity, created on first sight; read on every request,
   * so a suspension or deletion applies at once. A deleted one stays deleted.
   */
  async findOrCreate(tenant: TenantId, principal: ProviderPrincipal): Promise<LocalUser> {
    const externalId = externalIdOf(principal);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const found = await this.find(tenant, externalId);
      if (found) return found;
      await this.assertNotRemoved(tenant, externalId);
      const created = await this.create(tenant, principal, externalId);
      if (created) return created;
    }
    throw new DomainError(ErrorCode.CONFLICT, 'The local user of this identity could not be created; try again');
  }

  /** `GET /me`: records the visit and refreshes the profile fields the provider sent. */
  async sync(ctx: RequestContext, principal: ProviderPrincipal): Promise<Record<string, unknown>> {
    const user = await this.findOrCreate(ctx.tenant, principal);
    const patch: Record<string, unknown> = { ...profileOf(principal), last_seen_at: new Date().toISOString() };
    try {
      return await this.engine.updateById(ctx, this.users, user.id, patch);
    } catch (error) {
      if (duplicateField(error) !== 'email') throw error;
      // Another user of the tenant has this email: it stays theirs, nothing is merged.
      delete patch.email;
      return this.engine.updateById(ctx, this.users, user.id, patch);
    }
  }

  private async find(tenant: TenantId, externalId: string): Promise<LocalUser | undefined> {
    const result = await this.db.query<{ doc: Record<string, unknown> }>(
      `SELECT doc FROM c_identity_users WHERE tenant_id = $1 AND (doc->>'external_id') COLLATE "C" = $2 AND deleted_at IS NULL LIMIT 1`,
      [tenant, externalId],
    );
    return result.rows[0] ? toLocal(result.rows[0].doc) : undefined;
  }

  /** Deleting an external user locks the identity out; it must not come back as a new user. */
  private async assertNotRemoved(tenant: TenantId, externalId: string): Promise<void> {
    const result = await this.db.query('SELECT 1 FROM c_identity_users WHERE tenant_id = $1 AND doc @> $2::jsonb AND deleted_at IS NOT NULL LIMIT 1',
      [tenant, JSON.stringify({ external_id: externalId })]);
    if (result.rows.length > 0) throw new DomainError(ErrorCode.FORBIDDEN, 'The local user of this identity was deleted');
  }

  /** Undefined when another request created the same user first (the caller finds it then). */
  private async create(tenant: TenantId, principal: ProviderPrincipal, externalId: string): Promise<LocalUser | undefined> {
    const ctx = this.context(tenant, await this.clientId(tenant));
    const body: Record<string, unknown> = { status: 'active', provider: principal.provider, ...profileOf(principal), last_seen_at: new Date().toISOString() };
    for (;;) {
      try {
        return toLocal(await this.engine.create(ctx, this.users, body, { system: { external_id: externalId } }));
      } catch (error) {
        const field = duplicateField(error);
        if (field === 'external_id') return undefined;
        if (field !== 'email' || body.email === undefined) throw error;
        delete body.email;
      }
    }
  }

  /**
   * The client OIDC users act through in a tenant: a `domain/clients` document with ref
   * `stratum:oidc`, no secret and no grant types, created on first use (the unique `ref` makes
   * concurrent first uses agree on one).
   */
  async clientId(tenant: TenantId): Promise<string> {
    const cached = this.clientIds.get(tenant);
    if (cached && cached.until > Date.now()) return cached.id;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const found = await this.db.query<{ id: string }>('SELECT id FROM c_domain_clients WHERE tenant_id = $1 AND ref = $2 LIMIT 1', [tenant, OIDC_CLIENT_REF]);
      let id = found.rows[0]?.id;
      if (!id) {
        try {
          id = (await this.engine.create(this.context(tenant, 'system'), this.clients, {
            ref: OIDC_CLIENT_REF, name: 'oidc', grant_types: [], scopes: [...this.scope], status: 'active',
            description: 'Users signed in with the external OIDC provider act through this client (AUTH_PROVIDER=oidc).',
          })).id as string;
        } catch (error) {
          if (duplicateField(error) !== 'ref') throw error;
          continue;
        }
      }
      this.clientIds.set(tenant, { id, until: Date.now() + CLIENT_TTL_MS });
      return id;
    }
    throw new DomainError(ErrorCode.CONFLICT, 'The OIDC client of this tenant could not be created; try again');
  }

  private context(tenant: TenantId, clientId: string): RequestContext {
    const principal: Principal = { cid: clientId, coworkers: [clientId], subjects: [], scope: ['whole'], groups: [tenant] };
    return { tenant: asTenantId(tenant), principal, requestId: newId() };
  }
}
