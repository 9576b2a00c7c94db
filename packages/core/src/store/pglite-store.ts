import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.js';
import type { PoolStats, QueryResult, SqlExecutor, Store } from './types.js';

/**
 * PGlite runs no autovacuum. Without VACUUM a table never learns where deleted rows left room, so
 * every insert extends it: the outbox's pending table, where each event is inserted and deleted
 * again, grew by about 550 bytes per event for ever. Without ANALYZE the planner guesses. So the
 * store vacuums a table it wrote once this many of its rows changed, and this fraction of its
 * live rows (autovacuum's rule), at most once per interval, since it holds the single
 * connection. ANALYZE reads a sample of up to 30,000 rows (0.1-0.2 s), so a table is analyzed
 * only once as many rows changed as it had: a growing log is analyzed as it doubles, not on
 * every vacuum, which cost the embedded W3 with events about 7%.
 */
export interface Maintenance {
  minRows: number;
  fraction: number;
  intervalMs: number;
}
const MAINTENANCE: Maintenance = { minRows: 1000, fraction: 0.1, intervalMs: 10_000 };
// Every table a statement writes, CTEs included; `DO UPDATE SET` and `FOR UPDATE SKIP LOCKED` name none.
const WRITES = /\b(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s+(?!(?:SET|SKIP|NOWAIT|OF)\b)("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)/gi;

/** The tables `sql` writes, as written in it (quoted or not). */
export function writtenTables(sql: string): string[] {
  return [...sql.matchAll(WRITES)].map((match) => match[1]);
}

function wrap(db: PGlite | Transaction, changed: (sql: string, rows: number) => void): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await db.query<T>(sql, params as unknown[]);
      // A statement of CTEs reports only its last command's rows (often none): its tables still changed.
      changed(sql, result.affectedRows ?? 0);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

/** Embedded PostgreSQL (PGlite): one connection, so every statement is serialised by PGlite itself. */
export class PgliteStore implements Store {
  readonly kind = 'embedded' as const;
  private readonly executor: SqlExecutor;
  private pending = 0;
  /** Per table: rows changed since its last VACUUM and ANALYZE, and its live rows as the last VACUUM counted them. */
  private readonly changes = new Map<string, { since: number; sinceAnalyze: number; live: number }>();
  private lastMaintenance = 0;
  private maintaining?: Promise<void>;
  private readonly changed = (sql: string, rows: number) => this.noteChanges(sql, rows);
  private release: () => void = () => undefined;

  private constructor(private readonly db: PGlite, private readonly maintenance = MAINTENANCE) {
    this.executor = wrap(db, this.changed);
  }

  /**
   * Without statistics the planner guesses, and on a grown table it can pick a partial unique
   * index and filter every row of the tenant instead of using the primary key (10x slower).
   */
  private noteChanges(sql: string, rows: number): void {
    const tables = writtenTables(sql);
    if (tables.length === 0) return;
    const { minRows, fraction, intervalMs } = this.maintenance;
    // A statement of CTEs reports one command's rows: each table it writes counts at least one.
    for (const table of tables) {
      const counted = this.changes.get(table) ?? { since: 0, sinceAnalyze: 0, live: 0 };
      counted.since += Math.max(rows, 1);
      counted.sinceAnalyze += Math.max(rows, 1);
      this.changes.set(table, counted);
    }
    if (this.maintaining || Date.now() - this.lastMaintenance < intervalMs) return;
    const due = [...this.changes].filter(([, c]) => c.since >= Math.max(minRows, c.live * fraction)).map(([table]) => table);
    if (due.length === 0) return;
    const analyze = due.filter((table) => this.changes.get(table)!.sinceAnalyze >= Math.max(minRows, this.changes.get(table)!.live));
    for (const table of due) this.changes.get(table)!.since = 0;
    for (const table of analyze) this.changes.get(table)!.sinceAnalyze = 0;
    this.lastMaintenance = Date.now();
    // Top-level statements wait for an open transaction to end, so this never runs inside one.
    this.maintaining = this.maintain(due, new Set(analyze))
      .then(() => undefined, () => undefined) // maintenance only saves space and helps the planner
      .finally(() => {
        this.maintaining = undefined;
      });
  }

  /** VACUUM (with ANALYZE where asked) of the tables that still exist (a test may have dropped one): a bad name would fail them all. */
  private async maintain(tables: string[], analyze: Set<string>): Promise<void> {
    const existing = (await this.db.query<{ name: string }>('SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL', [tables]))
      .rows.map((r) => r.name);
    const analyzed = existing.filter((name) => analyze.has(name));
    const vacuumed = existing.filter((name) => !analyze.has(name));
    if (analyzed.length > 0) await this.db.exec(`VACUUM (ANALYZE) ${analyzed.join(', ')}`);
    if (vacuumed.length > 0) await this.db.exec(`VACUUM ${vacuumed.join(', ')}`);
    const live = await this.db.query<{ name: string; rows: number }>(
      'SELECT name, greatest(c.reltuples, 0)::float8 AS rows FROM unnest($1::text[]) AS name JOIN pg_class c ON c.oid = to_regclass(name)', [existing]);
    for (const { name, rows } of live.rows) {
      const counted = this.changes.get(name);
      if (counted) counted.live = rows;
    }
  }

  /** `maintenance` is for tests, which cannot wait for the default interval. */
  static async open(dataDir: string, maintenance?: Maintenance): Promise<PgliteStore> {
    if (dataDir === 'memory://') return new PgliteStore(await PGlite.create(), maintenance);
    mkdirSync(dataDir, { recursive: true });
    const release = lockDataDir(dataDir);
    try {
      const store = new PgliteStore(await PGlite.create(dataDir), maintenance);
      store.release = release;
      return store;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** An in-memory database started from a dumped data directory: far cheaper than initdb. */
  static async fromDump(dump: Blob): Promise<PgliteStore> {
    return new PgliteStore(await PGlite.create({ loadDataDir: dump }));
  }

  /** The whole data directory as an uncompressed tar, for `fromDump`. */
  async dump(): Promise<Blob> {
    return this.db.dumpDataDir('none');
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    this.pending++;
    try {
      return await this.executor.query<T>(sql, params);
    } finally {
      this.pending--;
    }
  }

  exec(sql: string): Promise<void> {
    return this.executor.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await this.db.transaction((tx) => fn(wrap(tx, this.changed)));
    } finally {
      this.pending--;
    }
  }

  /**
   * PGlite has a single connection: a cursor held open for a slow reader would block every
   * other request. So the embedded stream pages with LIMIT/OFFSET between batches instead.
   */
  async *stream<T>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<T[]> {
    for (let offset = 0; ; offset += batchSize) {
      const page = await this.query<T>(`${sql} LIMIT ${batchSize} OFFSET ${offset}`, params);
      if (page.rows.length > 0) yield page.rows;
      if (page.rows.length < batchSize) return;
    }
  }

  poolStats(): PoolStats {
    return { total: 1, idle: this.pending === 0 ? 1 : 0, waiting: Math.max(0, this.pending - 1) };
  }

  async close(): Promise<void> {
    await this.maintaining;
    await this.db.close();
    this.release();
  }
}
