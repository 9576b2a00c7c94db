import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.js';
import type { PoolStats, QueryResult, SqlExecutor, Store } from './types.js';

/**
 * PGlite runs no autovacuum. Without VACUUM a table never learns where deleted rows left room, so
 * every insert extends it: the outbox's pending table, where each event is inserted and deleted
 * again, grew by about 550 bytes per event for ever. Without ANALYZE the planner guesses. So the
 * store vacuums and analyzes the tables it wrote once this many rows changed (or this fraction of
 * the rows written since open), at most once per interval, since it holds the single connection
 * (~0.2 s for a 10k-row table).
 */
export interface Maintenance {
  minRows: number;
  fraction: number;
  intervalMs: number;
}
const MAINTENANCE: Maintenance = { minRows: 1000, fraction: 0.1, intervalMs: 10_000 };
// The table a statement writes, also as the first step of a CTE: `WITH written AS (INSERT INTO <table> …), …`.
const WRITTEN_TABLE = /^\s*(?:WITH\s+\w+\s+AS\s+\(\s*)?(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)/i;

function wrap(db: PGlite | Transaction, changed: (sql: string, rows: number) => void): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await db.query<T>(sql, params as unknown[]);
      if (result.affectedRows) changed(sql, result.affectedRows);
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
  private changedRows = 0;
  private writtenRows = 0;
  private lastMaintenance = 0;
  private readonly dirty = new Set<string>();
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
    const table = WRITTEN_TABLE.exec(sql)?.[1];
    if (!table) return;
    this.dirty.add(table);
    this.changedRows += rows;
    this.writtenRows += rows;
    const { minRows, fraction, intervalMs } = this.maintenance;
    const due = this.changedRows >= Math.max(minRows, this.writtenRows * fraction);
    if (!due || this.maintaining || Date.now() - this.lastMaintenance < intervalMs) return;
    const tables = [...this.dirty].join(', ');
    this.dirty.clear();
    this.changedRows = 0;
    this.lastMaintenance = Date.now();
    // Top-level statements wait for an open transaction to end, so this never runs inside one.
    this.maintaining = this.db.exec(`VACUUM (ANALYZE) ${tables}`)
      .then(() => undefined, () => undefined) // maintenance only saves space and helps the planner
      .finally(() => {
        this.maintaining = undefined;
      });
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
