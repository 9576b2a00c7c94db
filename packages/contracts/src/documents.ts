/** Fields every document carries (DESIGN 4.2). Timestamps are ISO-8601 strings on the wire. */
export interface Core {
  id: string;
  ref?: string | null;
  owner?: string | null;
  shares?: string[];
  groups?: string[];
  clients?: string[];
  created_at: string;
  created_by?: string | null;
  created_in?: string | null;
  updated_at?: string | null;
  updated_by?: string | null;
  updated_in?: string | null;
  deleted_at?: string | null;
  deleted_by?: string | null;
  deleted_in?: string | null;
  restored_at?: string | null;
  restored_by?: string | null;
  restored_in?: string | null;
  description?: string | null;
  identity?: string | null;
  relations?: string[];
  props?: Record<string, unknown>;
  tags?: string[];
  version: number;
  timestamp: number;
}

/** Fields a client may never send: the platform computes them. */
export const COMPUTED_FIELDS = [
  'id', 'version', 'timestamp',
  'created_at', 'created_by', 'created_in',
  'updated_at', 'updated_by', 'updated_in',
  'deleted_at', 'deleted_by', 'deleted_in',
  'restored_at', 'restored_by', 'restored_in',
] as const;

/** Core fields a client may send on create and update. */
export const WRITABLE_CORE_FIELDS = [
  'ref', 'shares', 'groups', 'clients', 'description', 'identity', 'relations', 'props', 'tags',
] as const;

export type Filter = Record<string, unknown>;
export type SortDirection = 1 | -1;
export type Sort = Record<string, SortDirection>;
export type Projection = Record<string, 0 | 1>;

export interface Pagination {
  limit?: number;
  skip?: number;
  sort?: Sort;
  /** Keyset cursor: the id of the last document of the previous page. */
  after?: string;
}

export interface PopulateSpec {
  path: string;
  select?: string[];
}

export interface QueryParams {
  query?: Filter;
  projection?: Projection;
  populate?: PopulateSpec[];
  pagination?: Pagination;
  ref?: string;
  zone?: string;
}

export interface DataEnvelope<T> { data: T }
export interface ItemsEnvelope<T> { items: T[] }
export interface TotalEnvelope { total: number }
export interface ResultEnvelope { result: boolean }

/** The 11 routes every collection serves (DESIGN 5.1). */
export type CollectionOperation =
  | 'count' | 'create' | 'createBulk' | 'find' | 'cursor' | 'findById'
  | 'updateById' | 'updateBulk' | 'deleteById' | 'restoreById' | 'destroyById';

export type ScopeLevel = 'read' | 'write' | 'manage';

export const OPERATION_SCOPE: Record<CollectionOperation, ScopeLevel> = {
  count: 'read',
  create: 'write',
  createBulk: 'write',
  find: 'read',
  cursor: 'read',
  findById: 'read',
  updateById: 'write',
  updateBulk: 'manage',
  deleteById: 'write',
  restoreById: 'write',
  destroyById: 'manage',
};

/** A change event (seed 000): webhook body, bus message and feed item. */
export interface CqrsPayload<T = Record<string, unknown>> {
  /** The document's id. */
  id: string;
  ts_ms: number;
  /** create, update, delete (soft or hard), restore */
  op: 'c' | 'u' | 'd' | 'r';
  /** `{service}.{collection}` */
  topic: string;
  source: { name: string; db: string; collection: string };
  after?: T;
  before?: T;
}
