import { ErrorCode } from '@stratum/contracts';
import type { RequestContext, TenantId } from '../context.js';
import { quoteIdent } from '../collections/ddl.js';
import type { CollectionRegistry, RegisteredCollection } from '../collections/registry.js';
import { DomainError } from '../errors.js';
import type { SqlExecutor } from '../store/types.js';
import type { Counters } from './counters.js';
import type { Plans } from './plans.js';

/**
 * Collections whose documents the platform makes on its own: a sign-in writes a session, and a
 * tenant over its documents quota must still be able to sign in to delete documents.
 */
const UNCOUNTED = new Set(['identity/sessions']);

/** What the collection engine asks before each create (a DocumentMeter in the platform). */
export interface DocumentQuota {
  admit(ctx: RequestContext, reg: RegisteredCollection, n: number): Promise<void>;
}

export const isCounted = (reg: Pick<RegisteredCollection, 'path'>) => !UNCOUNTED.has(reg.path);

/** A node's view of a tenant: live documents as counted, and the shared creates counter then. */
interface Snapshot {
  count: number;
  base: number;
  countedAt: number;
}

export interface DocumentMeterOptions {
  /** How old a count may grow before it is taken again (in the background). */
  ttlMs: number;
  /** A refused create counts again first, at most this often per tenant (deletes free room). */
  recountMinMs?: number;
  now?: () => number;
  onError?: (message: string, error: unknown) => void;
}

const COUNTER_TTL_MS = 30 * 86_400_000;

/**
 * Live documents per tenant (DESIGN 6.5), without a counter row in the writes' transactions:
 * the tables are counted (they are keyed by tenant first) now and then, and the creates since
 * are a counter step per create, in memory or in Redis (every node's creates). A create is
 * admitted against `count + creates since`, atomically in the counter, so concurrent creates on
 * any number of nodes cannot pass the quota together. Deletes show at the next count; a
 * refused create counts at once (at most every `recountMinMs`), so freeing room is seen soon.
 */
export class DocumentMeter implements DocumentQuota {
  private readonly snapshots = new Map<string, Promise<Snapshot>>();
  private readonly recountMinMs: number;
  private readonly now: () => number;
  private readonly onError: (message: string, error: unknown) => void;

  constructor(
    private readonly db: SqlExecutor,
    private readonly registry: CollectionRegistry,
    private readonly plans: Plans,
    private readonly counters: Counters,
    private readonly options: DocumentMeterOptions,
  ) {
    this.recountMinMs = options.recountMinMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
  }

  /** The engine asks before it creates `n` documents in `reg`; throws 403 DOCUMENT_QUOTA_EXCEEDED over the plan. */
  async admit(ctx: RequestContext, reg: RegisteredCollection, n: number): Promise<void> {
    if (!isCounted(reg)) return;
    const db = ctx.tx ?? this.db;
    const { documents: limit } = await this.plans.get(ctx.tenant, db);
    const key = `docs:${ctx.tenant}`;
    try {
      if (limit === null) {
        await this.counters.add(key, n, { seed: 0, ttlMs: COUNTER_TTL_MS });
        return;
      }
      let snapshot = await this.snapshot(ctx.tenant, db);
      let result = await this.counters.add(key, n, { limit: limit - snapshot.count + snapshot.base, seed: snapshot.base, ttlMs: COUNTER_TTL_MS });
      if (!result.allowed && this.now() - snapshot.countedAt >= this.recountMinMs) {
        snapshot = await this.recount(ctx.tenant, db);
        result = await this.counters.add(key, n, { limit: limit - snapshot.count + snapshot.base, seed: snapshot.base, ttlMs: COUNTER_TTL_MS });
      }
      if (!result.allowed) throw this.refusal(ctx.tenant, limit, snapshot.count + Math.max(0, result.total - snapshot.base), n);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      // The shared counter is unreachable: decide on the last count, which is all this node knows.
      this.onError('documents counter unavailable; deciding on the last count', error);
      const snapshot = await this.snapshot(ctx.tenant, db);
      if (limit !== null && snapshot.count + n > limit) throw this.refusal(ctx.tenant, limit, snapshot.count, n);
    }
  }

  /** Live documents of a tenant now, as this node knows them (for `GET /usage`). */
  async used(tenant: TenantId): Promise<number> {
    let snapshot = await this.snapshot(tenant, this.db);
    if (this.now() - snapshot.countedAt >= this.options.ttlMs) snapshot = await this.recount(tenant, this.db);
    const total = await this.counters.get(`docs:${tenant}`).catch(() => undefined);
    return snapshot.count + Math.max(0, (total ?? snapshot.base) - snapshot.base);
  }

  private refusal(tenant: string, limit: number, used: number, n: number): DomainError {
    const what = n === 1 ? 'a document' : `${n} documents`;
    return new DomainError(ErrorCode.DOCUMENT_QUOTA_EXCEEDED,
      `tenant ${tenant} has ${used} of its plan's ${limit} documents and cannot create ${what} more; delete documents or ask the operator for a larger plan`,
      [{ path: 'documents', message: `${used} of ${limit} in use` }]);
  }

  /** The tenant's last count; a stale one is taken again in the background, a missing one now. */
  private async snapshot(tenant: TenantId, db: SqlExecutor): Promise<Snapshot> {
    const cached = this.snapshots.get(tenant);
    if (!cached) return this.recount(tenant, db);
    const snapshot = await cached;
    if (this.now() - snapshot.countedAt >= this.options.ttlMs && this.snapshots.get(tenant) === cached) {
      // Outside the caller's transaction: on PGlite it simply waits for it to end.
      this.recount(tenant, this.db).catch((error) => this.onError('counting documents failed', error));
    }
    return snapshot;
  }

  private recount(tenant: TenantId, db: SqlExecutor): Promise<Snapshot> {
    const counting = (async (): Promise<Snapshot> => {
      const startedAt = this.now();
      // The counter first: a create that commits between the two reads is counted twice (the safe
      // side); only one admitted before both reads and committed after them is missed.
      const base = (await this.counters.get(`docs:${tenant}`).catch(() => undefined)) ?? 0;
      return { count: await this.countTables(tenant, db), base, countedAt: startedAt };
    })();
    this.snapshots.set(tenant, counting);
    counting.catch(() => {
      if (this.snapshots.get(tenant) === counting) this.snapshots.delete(tenant);
    });
    return counting;
  }

  /** One statement over every counted collection's table, each read by its (tenant_id, …) keys. */
  private async countTables(tenant: TenantId, db: SqlExecutor): Promise<number> {
    const tables = this.registry.list().filter(isCounted).map((reg) => reg.table);
    if (tables.length === 0) return 0;
    const parts = tables.map((table) => `(SELECT count(*) FROM ${quoteIdent(table)} WHERE tenant_id = $1 AND deleted_at IS NULL)`);
    const result = await db.query<{ n: string | number }>(`SELECT ${parts.join(' + ')} AS n`, [tenant]);
    return Number(result.rows[0]?.n ?? 0);
  }
}
