export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Keep the statement parsed and planned on each connection (a named prepared statement on
   * PostgreSQL). For hot statements whose text does not vary: parsing and planning a short
   * INSERT costs more than running it.
   */
  prepare?: boolean;
}

/** Anything that runs parameterised SQL: the store itself or an open transaction. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export type StoreKind = 'embedded' | 'postgres';

/** The database behind the platform. Two adapters: PGlite (embedded) and `pg` (PostgreSQL). */
export interface Store extends SqlExecutor {
  readonly kind: StoreKind;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Streams the rows of a read-only query in batches. The next batch is fetched only when the
   * consumer asks for it, so a slow reader never makes the server buffer the result.
   */
  stream<T = Record<string, unknown>>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<T[]>;
  poolStats(): PoolStats;
  close(): Promise<void>;
}
