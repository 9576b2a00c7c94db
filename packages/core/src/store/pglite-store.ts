import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { PoolStats, QueryResult, SqlExecutor, Store } from './types.js';

function wrap(db: PGlite | Transaction): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await db.query<T>(sql, params as unknown[]);
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

  private constructor(private readonly db: PGlite) {
    this.executor = wrap(db);
  }

  static async open(dataDir: string): Promise<PgliteStore> {
    if (dataDir !== 'memory://') mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir === 'memory://' ? undefined : dataDir);
    return new PgliteStore(db);
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
      return await this.db.transaction((tx) => fn(wrap(tx)));
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
    await this.db.close();
  }
}
