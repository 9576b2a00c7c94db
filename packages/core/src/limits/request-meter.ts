import type { SqlExecutor } from '../store/types.js';
import type { CounterResult, Counters } from './counters.js';

/** A calendar month in UTC: what SaaS plans count requests by. */
export interface Period {
  /** `YYYY-MM` */
  key: string;
  /** Epoch milliseconds of the first instant of the month, and of the next month. */
  start: number;
  end: number;
}

export function periodOf(ms: number): Period {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return { key: `${year}-${String(month + 1).padStart(2, '0')}`, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

interface Entry {
  tenant: string;
  period: Period;
  /** The tenant's count in `stratum_usage`, as of the last read or flush of this node. */
  persisted: number;
  /** Requests this node admitted and has not added to `stratum_usage` yet. */
  unflushed: number;
  ready: Promise<void>;
}

const DAY_MS = 86_400_000;

/**
 * Requests per tenant and month (DESIGN 6.5). Each request is one counter step, in memory or
 * in Redis (shared by every node); what this node counted is added to `stratum_usage` every
 * sync interval, in one statement for all tenants and outside any write's transaction.
 */
export class RequestMeter {
  private readonly entries = new Map<string, Entry>();
  private flushing?: Promise<void>;

  constructor(
    private readonly db: SqlExecutor,
    private readonly counters: Counters,
    private readonly onError: (message: string, error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private entry(tenant: string, period: Period): Entry {
    const key = `${tenant}|${period.key}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const created: Entry = { tenant, period, persisted: 0, unflushed: 0, ready: Promise.resolve() };
      created.ready = this.db.query<{ requests: string | number }>('SELECT requests FROM stratum_usage WHERE tenant_id = $1 AND period = $2::date',
        [tenant, new Date(period.start).toISOString().slice(0, 10)]).then((result) => {
        created.persisted += Number(result.rows[0]?.requests ?? 0);
      });
      // A failed read is tried again by the next request rather than remembered.
      created.ready.catch(() => this.entries.delete(key));
      this.entries.set(key, created);
      entry = created;
    }
    return entry;
  }

  private ttlMs(period: Period): number {
    return Math.max(0, period.end - this.now()) + DAY_MS;
  }

  /**
   * Counts one request unless the month's total already reached `limit`. If Redis cannot be
   * reached the node decides on what it knows itself: metering must not take the API down.
   */
  async count(tenant: string, period: Period, limit?: number): Promise<CounterResult> {
    const entry = this.entry(tenant, period);
    await entry.ready;
    let result: CounterResult;
    try {
      result = await this.counters.add(`req:${tenant}:${period.key}`, 1, { limit, seed: entry.persisted + entry.unflushed, ttlMs: this.ttlMs(period) });
    } catch (error) {
      this.onError('usage counter unavailable; counting on this node only', error);
      const total = entry.persisted + entry.unflushed;
      result = limit !== undefined && total + 1 > limit ? { allowed: false, total } : { allowed: true, total: total + 1 };
    }
    if (result.allowed) entry.unflushed++;
    return result;
  }

  /** The month's requests as this node knows them: the shared counter, else the database plus its own. */
  async total(tenant: string, period: Period): Promise<number> {
    const entry = this.entry(tenant, period);
    await entry.ready;
    const shared = await this.counters.get(`req:${tenant}:${period.key}`).catch(() => undefined);
    return Math.max(shared ?? 0, entry.persisted + entry.unflushed);
  }

  /** Adds what this node counted to `stratum_usage`; one flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const dirty = [...this.entries.values()].filter((e) => e.unflushed > 0);
    const taken = dirty.map((e) => e.unflushed);
    if (dirty.length > 0) {
      const result = await this.db.query<{ tenant_id: string; period: string; requests: string | number }>(
        `INSERT INTO stratum_usage (tenant_id, period, requests)
         SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[])
         ON CONFLICT (tenant_id, period) DO UPDATE SET requests = stratum_usage.requests + EXCLUDED.requests, updated_at = now()
         RETURNING tenant_id, to_char(period, 'YYYY-MM') AS period, requests`,
        [dirty.map((e) => e.tenant), dirty.map((e) => new Date(e.period.start).toISOString().slice(0, 10)), taken],
      );
      const stored = new Map(result.rows.map((row) => [`${row.tenant_id}|${row.period}`, Number(row.requests)]));
      for (const [i, entry] of dirty.entries()) {
        entry.unflushed -= taken[i];
        entry.persisted = stored.get(`${entry.tenant}|${entry.period.key}`) ?? entry.persisted + taken[i];
      }
      // Other nodes' counts are in the database now: a per-node (memory) counter catches up, and a
      // Redis counter that was lost starts again from here rather than from zero.
      await Promise.all(dirty.map((entry) => this.counters.raise(`req:${entry.tenant}:${entry.period.key}`, entry.persisted + entry.unflushed, this.ttlMs(entry.period))
        .catch((error) => this.onError('usage counter unavailable', error))));
    }
    const current = periodOf(this.now()).key;
    for (const [key, entry] of this.entries) if (entry.period.key !== current && entry.unflushed === 0) this.entries.delete(key);
  }
}
