import { ErrorCode, type ErrorDetail, type Plan, type PlanLimits } from '@stratum/contracts';
import type { Bus } from '../bus/bus.js';
import type { TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlExecutor } from '../store/types.js';

export const UNLIMITED: PlanLimits = Object.freeze({ requests_per_month: null, documents: null, rate_per_second: null });

const LIMIT_FIELDS = ['requests_per_month', 'documents', 'rate_per_second'] as const;
type LimitField = (typeof LIMIT_FIELDS)[number];

/** Largest value of each limit: beyond it a limit means nothing, and the column must hold it. */
const MAX: Record<LimitField, number> = { requests_per_month: 1e12, documents: 1e12, rate_per_second: 1_000_000 };

/**
 * Reads a plan change (`PATCH /tenants/:domain/plan`, `stratum tenant plan`): any of the three
 * limits, each a positive integer or `null` for unlimited. Unknown fields are 400, bad values
 * 422 with every failing field named.
 */
export function parsePlanPatch(body: unknown): Partial<PlanLimits> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new DomainError(ErrorCode.BAD_REQUEST, 'The body must be a JSON object');
  const raw = body as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !(LIMIT_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new DomainError(ErrorCode.UNKNOWN_FIELD, `unknown field ${unknown[0]}; a plan has ${LIMIT_FIELDS.join(', ')}`,
      unknown.map((path) => ({ path, message: 'is not a plan limit' })));
  }
  const out: Partial<PlanLimits> = {};
  const details: ErrorDetail[] = [];
  for (const field of LIMIT_FIELDS) {
    if (!(field in raw)) continue;
    const value = raw[field];
    if (value === null || (Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX[field])) out[field] = value as number | null;
    else details.push({ path: field, message: `must be an integer from 1 to ${MAX[field]}, or null for unlimited` });
  }
  if (details.length > 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, `invalid plan: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  if (Object.keys(out).length === 0) throw new DomainError(ErrorCode.BAD_REQUEST, `a plan change names at least one of ${LIMIT_FIELDS.join(', ')}`);
  return out;
}

type Row = { requests_per_month: string | number | null; documents: string | number | null; rate_per_second: number | null; updated_at: Date | string | null; updated_by: string | null };

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));
const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toPlan(tenant: string, row: Row | undefined): Plan {
  if (!row) return { tenant, ...UNLIMITED, updated_at: null, updated_by: null };
  return {
    tenant,
    requests_per_month: num(row.requests_per_month),
    documents: num(row.documents),
    rate_per_second: num(row.rate_per_second),
    updated_at: iso(row.updated_at),
    updated_by: row.updated_by,
  };
}

export const planLimits = (plan: Plan): PlanLimits =>
  ({ requests_per_month: plan.requests_per_month, documents: plan.documents, rate_per_second: plan.rate_per_second });

/** Outside `stratum.*.*.*`, like every platform-internal notification. */
const PLANS_CHANGED = 'stratum-internal.plans.changed';

/**
 * Tenants' plans, from `stratum_plans`. Every request needs its tenant's plan, so plans are
 * cached; a change made here is dropped at once on this node and, over the bus, on the others,
 * and any cached plan is read again after `ttlMs` (changes made by the CLI, which has no bus).
 */
export class Plans {
  private readonly cache = new Map<string, { plan: Promise<Plan>; loadedAt: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly bus: Bus | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    bus?.subscribe(PLANS_CHANGED, (data) => {
      const tenant = (data as { tenant?: string }).tenant;
      if (typeof tenant === 'string') this.cache.delete(tenant);
    });
    bus?.onReconnect?.(() => this.cache.clear());
  }

  /** `db`: the caller's transaction if it is in one (PGlite has one connection: another query would wait for it). */
  get(tenant: TenantId, db: SqlExecutor = this.db): Promise<Plan> {
    const hit = this.cache.get(tenant);
    if (hit && this.now() - hit.loadedAt < this.ttlMs) return hit.plan;
    const plan = this.load(tenant, db);
    this.cache.set(tenant, { plan, loadedAt: this.now() });
    plan.catch(() => this.cache.delete(tenant));
    return plan;
  }

  private async load(tenant: string, db: SqlExecutor): Promise<Plan> {
    const result = await db.query<Row>(
      'SELECT requests_per_month, documents, rate_per_second, updated_at, updated_by FROM stratum_plans WHERE tenant_id = $1', [tenant]);
    return toPlan(tenant, result.rows[0]);
  }

  /** Applies a change to a tenant's plan (the fields it names; `null` is unlimited) and returns the whole plan. */
  async set(tenant: TenantId, change: Partial<PlanLimits>, by: string): Promise<Plan> {
    const given = LIMIT_FIELDS.filter((field) => field in change);
    if (given.length === 0) throw new DomainError(ErrorCode.BAD_REQUEST, `a plan change names at least one of ${LIMIT_FIELDS.join(', ')}`);
    const values = given.map((field) => change[field] ?? null);
    // An upsert of the named columns only: the others keep their value (or stay unlimited on a new row).
    const result = await this.db.query<Row>(
      `INSERT INTO stratum_plans (tenant_id, ${given.join(', ')}, updated_by) VALUES ($1, ${given.map((_, i) => `$${i + 2}`).join(', ')}, $${given.length + 2})
       ON CONFLICT (tenant_id) DO UPDATE SET ${given.map((field) => `${field} = EXCLUDED.${field}`).join(', ')}, updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING requests_per_month, documents, rate_per_second, updated_at, updated_by`,
      [tenant, ...values, by],
    );
    this.cache.delete(tenant);
    await this.bus?.publish(PLANS_CHANGED, { tenant }).catch(() => undefined);
    return toPlan(tenant, result.rows[0]);
  }
}
