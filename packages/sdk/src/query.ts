import type { Filter, PopulateSpec, Projection, Sort } from '@stratum/contracts';

/** Pagination as the SDK accepts it: `sort` as an object or the string form (`-created_at,name`). */
export interface PageParams {
  limit?: number;
  skip?: number;
  sort?: Sort | string;
  /** Keyset cursor: the id of the last document of the previous page. */
  after?: string;
}

/** Parameters of `count`. */
export interface CountParams {
  query?: Filter;
  ref?: string;
  zone?: string;
}

/** Parameters of `find` and `cursor` (DESIGN 5.1 query parameters). */
export interface FindParams extends CountParams {
  /** `{field: 1}` to include, `{field: 0}` to exclude, or the string form `name,email` / `-props`. */
  projection?: Projection | string;
  /** Reference paths to replace by their documents: `'user'`, `['user']` or `[{path, select}]`. */
  populate?: string | (string | PopulateSpec)[];
  pagination?: PageParams;
}

/** Parameters of `findById`. */
export interface FindByIdParams {
  ref?: string;
  projection?: Projection | string;
  populate?: string | (string | PopulateSpec)[];
}

type Raw = FindParams & FindByIdParams;

function populateParam(populate: NonNullable<Raw['populate']>): string {
  if (typeof populate === 'string') return populate;
  if (populate.every((p) => typeof p === 'string')) return populate.join(',');
  return JSON.stringify(populate);
}

/**
 * Encodes read parameters the way the platform documents them: `query`, `projection` and
 * object sorts as JSON strings, pagination as the flat `limit`, `skip`, `sort`, `after`.
 */
export function readSearch(params: Raw = {}): URLSearchParams {
  const search = new URLSearchParams();
  if (params.query !== undefined && Object.keys(params.query).length > 0) search.set('query', JSON.stringify(params.query));
  if (params.projection !== undefined) {
    search.set('projection', typeof params.projection === 'string' ? params.projection : JSON.stringify(params.projection));
  }
  if (params.populate !== undefined && params.populate.length > 0) search.set('populate', populateParam(params.populate));
  const page = params.pagination ?? {};
  if (page.limit !== undefined) search.set('limit', String(page.limit));
  if (page.skip !== undefined) search.set('skip', String(page.skip));
  if (page.sort !== undefined) search.set('sort', typeof page.sort === 'string' ? page.sort : JSON.stringify(page.sort));
  if (page.after !== undefined) search.set('after', page.after);
  if (params.ref !== undefined) search.set('ref', params.ref);
  if (params.zone !== undefined) search.set('zone', params.zone);
  return search;
}
