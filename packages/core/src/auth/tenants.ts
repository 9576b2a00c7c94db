import { ErrorCode } from '@stratum/contracts';
import { asTenantId, type TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlExecutor } from '../store/types.js';

export interface Tenant {
  id: TenantId;
  aliases: string[];
  slug: string | null;
  name: string | null;
  status: string;
}

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function normaliseDomain(value: string): string {
  const domain = value.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain) || domain.length > 63) {
    throw new DomainError(ErrorCode.BAD_REQUEST, `${JSON.stringify(value).slice(0, 80)} is not a domain name`);
  }
  return domain;
}

type Row = { id: string; aliases: string[]; slug: string | null; name: string | null; status: string };

const toTenant = (row: Row): Tenant => ({ ...row, id: asTenantId(row.id) });

/**
 * Tenants by primary domain (their id), alias or slug. Lookups are cached: a tenant's domain
 * never changes, and new tenants are found on the first miss.
 */
export class TenantDirectory {
  private readonly cache = new Map<string, Tenant>();

  constructor(private readonly db: SqlExecutor) {}

  async create(input: { domain: string; aliases?: string[]; slug?: string; name?: string }): Promise<Tenant> {
    const id = normaliseDomain(input.domain);
    const aliases = (input.aliases ?? []).map(normaliseDomain);
    const result = await this.db.query<Row>(
      `INSERT INTO stratum_tenants (id, aliases, slug, name) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING id, aliases, slug, name, status`,
      [id, aliases, input.slug ?? null, input.name ?? null],
    );
    if (result.rows.length === 0) throw new DomainError(ErrorCode.DUPLICATE, `tenant ${id} already exists`);
    return toTenant(result.rows[0]);
  }

  /** Finds a tenant by its domain, one of its aliases, or its slug. */
  async resolve(name: string): Promise<Tenant | undefined> {
    const key = name.trim().toLowerCase();
    const cached = this.cache.get(key);
    if (cached) return cached;
    const result = await this.db.query<Row>(
      `SELECT id, aliases, slug, name, status FROM stratum_tenants WHERE id = $1 OR $1 = ANY(aliases) OR slug = $1 LIMIT 1`,
      [key],
    );
    if (result.rows.length === 0) return undefined;
    const tenant = toTenant(result.rows[0]);
    this.cache.set(key, tenant);
    return tenant;
  }

  async require(name: string): Promise<Tenant> {
    const tenant = await this.resolve(name);
    if (!tenant || tenant.status !== 'active') throw new DomainError(ErrorCode.UNAUTHORIZED, `Unknown tenant ${JSON.stringify(name).slice(0, 80)}`);
    return tenant;
  }

  async list(): Promise<Tenant[]> {
    const result = await this.db.query<Row>('SELECT id, aliases, slug, name, status FROM stratum_tenants ORDER BY created_at');
    return result.rows.map(toTenant);
  }
}
