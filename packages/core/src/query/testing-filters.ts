import type { Rng } from './testing-random.js';
import { randomNumber, randomScalar, randomString, WORDS } from './testing-documents.js';
import { randomRegex } from './testing-regex.js';

export type Filter = Record<string, unknown>;

/**
 * Paths of the generated documents (testing-documents.ts), by what they may hold.
 *
 * Exclusions, where mingo deviates from MongoDB (the compiler follows MongoDB, and
 * testing-mongo-cases.ts checks those cases against MongoDB's documented results instead):
 * - equality with null (also `$in` with null, `$ne`/`$nin` null) is only generated on paths
 *   that never cross an array: MongoDB matches `{'a.b': null}` when an object element of
 *   `a` lacks `b` (jstests/core/dotted_path_in_null.js), mingo does not;
 * - on a path through an array, mingo compares the array of values it collected: `$size`,
 *   `$type: 'array'` and equality with an array see that array (MongoDB never builds it), and
 *   a terminal array reached through an array (`items.list`) is not expanded for comparisons
 *   (MongoDB expands it); so those operators, array values and `items.list` are not generated
 *   on such paths (`items.list` is still queried inside `$elemMatch` on `items`);
 * - `$type` other than `array` is only generated on paths that never hold an array: MongoDB
 *   matches an array when one of its elements has the type, mingo only looks at the array;
 * - `$in`/`$nin` never list an array: MongoDB matches an equal array, mingo does not;
 * - `$all` is only generated on fields that are arrays whenever present, with non-null scalar
 *   values: MongoDB reads `{a: {$all: [x]}}` as `a == x` for a scalar `a`, an array `x` or
 *   null, mingo never matches those;
 * - `$mod` only on fields of safe integers: MongoDB truncates a fractional value and ignores
 *   non-numbers, mingo computes `%` on fractions and coerces `true`, `"5"` and null (and past
 *   2^53 MongoDB, mingo and PostgreSQL compute on 64-bit integers, doubles and decimals);
 * - equality with an object only uses objects taken from the documents, keys in stored
 *   order: MongoDB compares objects key order included, mingo (and jsonb) ignore it.
 */
export const NULL_SAFE = [
  'name', 'kind', 'n', 'f', 'flag', 'tags', 'vals', 'nums', 'grid', 'items', 'props', 'props.a', 'props.a.b',
  'props.a.c', 'props.c', 'props.d', 'props.e', 'props.e.f', 'props.e.f.g', 'mixed', 'ref', 'nope', 'props.zz.yy',
];
/** Never an array, never through one: every `$type` is generated on these. */
export const TYPE_SAFE = ['name', 'kind', 'n', 'f', 'flag', 'props', 'props.a', 'props.a.c', 'props.c', 'props.e', 'props.e.f', 'props.e.f.g', 'ref', 'nope'];
/** Dotted paths through arrays of objects (or through arrays of scalars, where nothing is found). */
export const THROUGH_ARRAYS = ['items.k', 'items.v', 'items.sub', 'items.sub.x', 'items.sub.y', 'props.a.b.q', 'props.d.q', 'mixed.p', 'tags.x'];
export const ALL_PATHS = [...NULL_SAFE, ...THROUGH_ARRAYS];
export const SCALAR_ARRAYS = ['tags', 'vals', 'nums', 'props.a.b', 'props.d'];
/** Arrays whenever present: `$all` is generated on these. */
export const ALWAYS_ARRAYS = ['tags', 'nums'];
/** Integers only, whenever present: `$mod` is generated on these. */
export const INTEGER_PATHS = ['count', 'nums'];

/** Values at a path the MongoDB way: arrays are crossed at every step but the last. */
export function valuesAt(value: unknown, segments: readonly string[]): unknown[] {
  if (segments.length === 0) return [value];
  if (Array.isArray(value)) return value.flatMap((e) => (e && typeof e === 'object' && !Array.isArray(e) ? valuesAt(e, segments) : []));
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = segments;
  return head in (value as object) ? valuesAt((value as Record<string, unknown>)[head], rest) : [];
}

export class Pools {
  private readonly cache = new Map<string, unknown[]>();

  constructor(readonly docs: readonly Record<string, unknown>[]) {}

  /** Values found at the path, and the elements of arrays found there. */
  at(path: string): unknown[] {
    let found = this.cache.get(path);
    if (!found) {
      const segments = path.split('.');
      found = this.docs.flatMap((d) => valuesAt(d, segments)).flatMap((v) => (Array.isArray(v) ? [v, ...v] : [v]));
      this.cache.set(path, found);
    }
    return found;
  }
}

export interface Gen {
  r: Rng;
  pools: Pools;
}

/**
 * A value to compare with: usually one found at the path, sometimes a random one, null or an
 * array (only where mingo agrees with MongoDB about them, see above).
 */
export function valueFor(g: Gen, path: string, allowNull = NULL_SAFE.includes(path), allowArrays = NULL_SAFE.includes(path)): unknown {
  const found = g.pools.at(path).filter((v) => (allowNull || v !== null) && (allowArrays || !Array.isArray(v)));
  const roll = g.r.next();
  if (roll < 0.65 && found.length > 0) return g.r.pick(found);
  if (roll < 0.8) return randomScalar(g.r) ?? (allowNull ? null : 0);
  if (roll < 0.88 && allowNull) return null;
  if (roll < 0.95 && allowArrays) return g.r.sample(found.filter((v) => !Array.isArray(v)), 2);
  return randomString(g.r);
}

function comparable(g: Gen, path: string): string | number {
  const found = g.pools.at(path).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
  if (found.length > 0 && g.r.chance(0.7)) return g.r.pick(found);
  return g.r.chance(0.5) ? randomNumber(g.r) : g.r.pick(WORDS);
}

const RANGE_OPS = ['$gt', '$gte', '$lt', '$lte'];

export function rangeCondition(g: Gen, path: string): Filter {
  const op = g.r.pick(RANGE_OPS);
  const cond: Filter = { [op]: comparable(g, path) };
  if (g.r.chance(0.3)) cond[op.startsWith('$g') ? g.r.pick(['$lt', '$lte']) : g.r.pick(['$gt', '$gte'])] = comparable(g, path);
  return cond;
}

export function inList(g: Gen, path: string, allowNull = NULL_SAFE.includes(path)): unknown[] {
  return Array.from({ length: g.r.int(0, 6) }, () => valueFor(g, path, allowNull, false));
}

export function regexCondition(g: Gen): Filter {
  const { pattern, options } = randomRegex(g.r);
  if (options === '') return { $regex: pattern };
  return g.r.chance(0.5) ? { $regex: pattern, $options: options } : { $options: options, $regex: pattern };
}

/** A `$type` condition for a path that never crosses an array (NULL_SAFE). */
export function typeCondition(g: Gen, path: string): Filter {
  if (!TYPE_SAFE.includes(path)) return { $type: 'array' };
  const types = ['string', 'number', 'bool', 'object', 'array', 'null'];
  return { $type: g.r.chance(0.8) ? g.r.pick(types) : g.r.sample(types, 2) };
}
