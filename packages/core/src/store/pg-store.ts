import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PoolStats, QueryOptions, QueryResult, SqlExecutor, Store } from './types.js';

// Timestamps and bigints come back as strings: documents carry ISO strings on the wire.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

const preparedNames = new Map<string, string>();

/** One name per statement text: `pg` prepares a name once per connection and refuses another text under it. */
function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (!name) {
    name = `stratum_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    preparedNames.set(sql, name);
  }
  return name;
}

function wrap(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<QueryResult<T>> {
      const values = params as unknown[];
      const result = await (options.prepare ? client.query({ name: preparedName(sql), text: sql, values }) : client.query(sql, values));
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

/** PostgreSQL through a `pg` pool: the scaled shape. */
export class PgStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly executor: SqlExecutor;

  private constructor(private readonly pool: pg.Pool) {
    this.executor = wrap(pool);
  }

  static async open(connectionString: string, max: number): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString, max, application_name: 'stratum' });
    // Idle clients can fail when the server restarts; the pool replaces them, the process lives on.
    pool.on('error', () => undefined);
    const store = new PgStore(pool);
    await store.query('SELECT 1');
    return store;
  }

  query<T>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
    return this.executor.query<T>(sql, params, options);
  }

  exec(sql: string): Promise<void> {
    return this.executor.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(wrap(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** A server-side cursor in a read-only transaction: the database holds the result, not us. */
  async *stream<T>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<T[]> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE stratum_stream NO SCROLL CURSOR FOR ${sql}`, params as unknown[]);
      for (;;) {
        const page = await client.query(`FETCH ${batchSize} FROM stratum_stream`);
        if (page.rows.length > 0) yield page.rows as T[];
        if (page.rows.length < batchSize) break;
      }
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      client.release(broken ? true : undefined);
    }
  }

  poolStats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
