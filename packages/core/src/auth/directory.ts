import type { ClientFields } from '@stratum/contracts';
import type { TenantId } from '../context.js';
import type { SqlExecutor } from '../store/types.js';

/** A client as stored: its readable fields plus the hashes only the server sees. */
export interface ClientRecord extends ClientFields {
  id: string;
  secret?: string;
  api_key_hash?: string;
}

export interface UserRecord {
  id: string;
  username?: string;
  email?: string;
  phone?: string;
  password?: string;
  subjects?: string[];
  groups?: string[];
  status?: string;
  totp_secret?: string;
}

export interface AppRecord {
  id: string;
  client: string;
  scopes?: string[];
  access_token_ttl?: number;
  refresh_token_ttl?: number;
}

/** Reads of identity records for sign-in, always within one tenant and with secrets included. */
export class IdentityDirectory {
  constructor(private readonly db: SqlExecutor) {}

  private async one<T>(table: string, tenant: TenantId, where: string, params: unknown[]): Promise<T | undefined> {
    const result = await this.db.query<{ doc: T }>(
      `SELECT doc FROM ${table} WHERE tenant_id = $1 AND deleted_at IS NULL AND ${where} LIMIT 1`,
      [tenant, ...params],
    );
    return result.rows[0]?.doc;
  }

  /**
   * The tenant a client id belongs to, for a request that names only its client. The one lookup
   * across tenants, and it returns nothing but the tenant's id.
   */
  async tenantOfClient(id: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{24}$/.test(id)) return undefined;
    const found = await this.db.query<{ tenant_id: string }>(
      'SELECT tenant_id FROM c_domain_clients WHERE id = $1 AND deleted_at IS NULL LIMIT 1', [id]);
    return found.rows[0]?.tenant_id;
  }

  client(tenant: TenantId, id: string): Promise<ClientRecord | undefined> {
    return this.one<ClientRecord>('c_domain_clients', tenant, 'id = $2', [id]);
  }

  /** The client a tenant's sign-ins use when the request names none: its oldest active one. */
  async defaultClient(tenant: TenantId): Promise<ClientRecord | undefined> {
    return this.one<ClientRecord>('c_domain_clients', tenant, "coalesce(doc->>'status', 'active') = 'active' ORDER BY created_at, id", []);
  }

  app(tenant: TenantId, id: string): Promise<AppRecord | undefined> {
    return this.one<AppRecord>('c_domain_apps', tenant, 'id = $2', [id]);
  }

  user(tenant: TenantId, id: string): Promise<UserRecord | undefined> {
    return this.one<UserRecord>('c_identity_users', tenant, 'id = $2', [id]);
  }

  /** Sign-in name: username, email or phone, as the seed's `username` field carries any of them. */
  userByLogin(tenant: TenantId, login: string): Promise<UserRecord | undefined> {
    return this.one<UserRecord>('c_identity_users', tenant,
      `((doc->>'username') COLLATE "C" = $2 OR (doc->>'email') COLLATE "C" = $2 OR (doc->>'phone') COLLATE "C" = $2)`, [login]);
  }
}
