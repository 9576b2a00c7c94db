import { ErrorCode, type Filter, type PopulateSpec, type Projection, type Sort } from '@stratum/contracts';
import type { Limits } from '../config.js';
import { DomainError, badQuery } from '../errors.js';
import { isId } from '../ids.js';

/** A read request after parsing: what the engine needs, already checked against the limits. */
export interface ReadOptions {
  filter: Filter;
  projection?: Projection;
  populate: PopulateSpec[];
  sort: Sort;
  limit: number;
  skip: number;
  after?: string;
  ref?: string;
}

type Raw = Record<string, unknown>;

function pagination(message: string): DomainError {
  return new DomainError(ErrorCode.INVALID_PAGINATION, message);
}

/** Accepts a JSON string (the documented form) or an already-parsed value (qs brackets). */
function jsonParam(name: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new DomainError(ErrorCode.INVALID_JSON, `${name} is not valid JSON`);
  }
}

function integer(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw pagination(`${name} must be an integer`);
  if (n < min || n > max) throw pagination(`${name} must be between ${min} and ${max}`);
  return n;
}

function parseSort(value: unknown, maxKeys: number): Sort {
  const sort: Sort = {};
  if (typeof value === 'string' && !value.trimStart().startsWith('{')) {
    for (const token of value.split(/[\s,]+/).filter(Boolean)) {
      const field = token.replace(/^[-+]/, '');
      sort[field] = token.startsWith('-') ? -1 : 1;
    }
  } else {
    const parsed = jsonParam('sort', value);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw pagination('sort must be an object or a list of fields');
    for (const [field, dir] of Object.entries(parsed)) {
      const d = dir === 1 || dir === '1' || dir === 'asc' ? 1 : dir === -1 || dir === '-1' || dir === 'desc' ? -1 : 0;
      if (d === 0) throw pagination(`sort direction of ${field} must be 1, -1, asc or desc`);
      sort[field] = d;
    }
  }
  if (Object.keys(sort).length > maxKeys) throw pagination(`sort takes at most ${maxKeys} fields`);
  return sort;
}

function parseProjection(value: unknown): Projection | undefined {
  if (value === undefined || value === '') return undefined;
  const projection: Projection = {};
  if (typeof value === 'string' && !value.trimStart().startsWith('{')) {
    for (const token of value.split(/[\s,]+/).filter(Boolean)) projection[token.replace(/^-/, '')] = token.startsWith('-') ? 0 : 1;
  } else {
    const parsed = jsonParam('projection', value);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badQuery('projection must be an object');
    for (const [field, flag] of Object.entries(parsed)) {
      const f = flag === 1 || flag === '1' || flag === true ? 1 : flag === 0 || flag === '0' || flag === false ? 0 : -1;
      if (f === -1) throw badQuery(`projection of ${field} must be 0 or 1`);
      projection[field] = f;
    }
  }
  const flags = new Set(Object.entries(projection).filter(([f]) => f !== 'id').map(([, v]) => v));
  if (flags.size > 1) throw badQuery('projection cannot mix inclusion and exclusion');
  return projection;
}

function parsePopulate(value: unknown): PopulateSpec[] {
  if (value === undefined || value === '') return [];
  const parsed = typeof value === 'string' && /^\s*[[{]/.test(value) ? jsonParam('populate', value) : value;
  const list = Array.isArray(parsed) ? parsed : typeof parsed === 'string' ? parsed.split(/[\s,]+/).filter(Boolean) : [parsed];
  if (list.length > 10) throw badQuery('populate takes at most 10 paths');
  return list.map((item) => {
    if (typeof item === 'string') return { path: item };
    if (item && typeof item === 'object' && typeof (item as Raw).path === 'string') {
      const select = (item as Raw).select;
      const fields = typeof select === 'string' ? select.split(/[\s,]+/).filter(Boolean) : Array.isArray(select) ? select.map(String) : undefined;
      return { path: (item as Raw).path as string, select: fields };
    }
    throw badQuery('populate must be a path, a list of paths or [{path, select}]');
  });
}

/** Parses `query`, `projection`, `populate`, `pagination` and the flat `limit/skip/sort/after/ref`. */
export function parseReadOptions(raw: Raw, limits: Limits): ReadOptions {
  const filter = raw.query === undefined || raw.query === '' ? {} : jsonParam('query', raw.query);
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw badQuery('query must be a JSON object');
  const nested = raw.pagination === undefined ? {} : jsonParam('pagination', raw.pagination);
  if (nested === null || typeof nested !== 'object' || Array.isArray(nested)) throw pagination('pagination must be an object');
  const page = { ...(nested as Raw), ...pick(raw, ['limit', 'skip', 'sort', 'after']) };
  for (const key of Object.keys(nested as Raw)) {
    if (!['limit', 'skip', 'sort', 'after'].includes(key)) throw pagination(`unknown pagination field ${key}`);
  }
  const ref = raw.ref;
  if (ref !== undefined && typeof ref !== 'string') throw badQuery('ref must be a string');
  const after = page.after;
  if (after !== undefined && !isId(after)) throw pagination('after must be the id of a document');
  const options: ReadOptions = {
    filter: filter as Filter,
    projection: parseProjection(raw.projection),
    populate: parsePopulate(raw.populate),
    sort: page.sort === undefined || page.sort === '' ? {} : parseSort(page.sort, limits.sortKeys),
    limit: page.limit === undefined ? limits.pageDefault : integer('limit', page.limit, 1, limits.pageMax),
    skip: page.skip === undefined ? 0 : integer('skip', page.skip, 0, limits.skipMax),
    after: after as string | undefined,
    ref: ref as string | undefined,
  };
  if (options.after && options.skip > 0) throw pagination('after and skip cannot be combined');
  return options;
}

function pick(raw: Raw, keys: string[]): Raw {
  const out: Raw = {};
  for (const key of keys) if (raw[key] !== undefined) out[key] = raw[key];
  return out;
}
