import type { Filter } from './testing-filters.js';

/**
 * Fixed cases where mingo deviates from MongoDB, so they are not generated for the differential
 * tests (see testing-filters.ts): the engine must give MongoDB's documented answer. `matches`
 * are indexes into MONGO_DOCS.
 *
 * Null through arrays follows jstests/core/dotted_path_in_null.js and jstests/core/indexv.js:
 * an object element lacking the field counts as null, scalar elements and empty arrays do not,
 * and a scalar met on the way (`a: 5` for `a.b`) means the field is missing. `$type` matches an
 * array when one of its elements has the type (MongoDB manual, `$type`, "Arrays"). Arrays are
 * expanded one level only (jstests/core/multi.js: `{a: [[[1]]]}` does not match `{a: 1}`).
 * `$in` and `$all` with an array value mean equality with that array, `$all` with a scalar or null
 * means equality too. `$mod` truncates the
 * value, divisor and remainder towards zero.
 */
export const MONGO_DOCS: Record<string, unknown>[] = [
  { a: [{ b: 5 }], m: [1, 'x'], l: [{ v: [1, 2] }, { v: [3] }], c: 5.5, g: [[1]] },
  { a: [{}], m: ['x'], l: [{ v: 5 }], c: -5.5, g: [1] },
  { a: [], m: [null], l: [1, 2], c: 4, g: [[[1]]] },
  { a: [{}, { b: 5 }], m: [[1]], l: { v: [1] }, c: '5', g: 1 },
  { a: [5, { b: 5 }], m: { p: [true] }, c: true },
  { a: [null], m: 3, c: null },
  { a: null },
  { a: 5 },
  { a: [{ b: null }] },
  {},
  { a: [{ b: [] }, { b: { c: 1 } }] },
];

const NULL_AB = [1, 3, 6, 7, 8, 9];
const complement = (ids: number[]) => MONGO_DOCS.map((_, i) => i).filter((i) => !ids.includes(i));

export const MONGO_CASES: { filter: Filter; matches: number[] }[] = [
  { filter: { 'a.b': null }, matches: NULL_AB },
  { filter: { 'a.b': { $eq: null } }, matches: NULL_AB },
  { filter: { 'a.b': { $in: [null] } }, matches: NULL_AB },
  { filter: { 'a.b': { $in: [null, 5] } }, matches: [0, 1, 3, 4, 6, 7, 8, 9] },
  { filter: { 'a.b': { $ne: null } }, matches: complement(NULL_AB) },
  { filter: { 'a.b': { $nin: [null, 5] } }, matches: [2, 5, 10] },
  { filter: { 'a.b.c': null }, matches: [0, 1, 3, 4, 6, 7, 8, 9] },
  { filter: { $nor: [{ 'a.b': null }] }, matches: complement(NULL_AB) },
  { filter: { a: { $elemMatch: { b: null } } }, matches: [1, 3, 8] },
  { filter: { m: { $type: 'number' } }, matches: [0, 5] },
  { filter: { m: { $type: 'string' } }, matches: [0, 1] },
  { filter: { m: { $type: 'null' } }, matches: [2] },
  { filter: { m: { $type: 'array' } }, matches: [0, 1, 2, 3] },
  { filter: { m: { $type: ['null', 'number'] } }, matches: [0, 2, 5] },
  { filter: { 'm.p': { $type: 'bool' } }, matches: [4] },
  { filter: { m: { $not: { $type: 'string' } } }, matches: complement([0, 1]) },
  { filter: { 'l.v': 2 }, matches: [0] },
  { filter: { 'l.v': { $gt: 2 } }, matches: [0, 1] },
  { filter: { 'l.v': { $size: 1 } }, matches: [0, 3] },
  { filter: { 'l.v': { $type: 'array' } }, matches: [0, 3] },
  { filter: { 'l.v': [] }, matches: [] },
  { filter: { 'l.v': [3] }, matches: [0] },
  { filter: { 'l.v': { $all: [5] } }, matches: [1] },
  { filter: { l: { $in: [[1, 2]] } }, matches: [2] },
  { filter: { l: { $nin: [[1, 2]] } }, matches: complement([2]) },
  { filter: { l: { $all: [[1, 2]] } }, matches: [2] },
  { filter: { m: { $all: ['x'] } }, matches: [0, 1] },
  { filter: { m: { $all: [3] } }, matches: [5] },
  { filter: { m: { $all: [null] } }, matches: [2, 6, 7, 8, 9, 10] },
  { filter: { g: 1 }, matches: [1, 3] },
  { filter: { g: { $gte: 1 } }, matches: [1, 3] },
  { filter: { g: { $in: [1] } }, matches: [1, 3] },
  { filter: { g: [1] }, matches: [0, 1] },
  { filter: { c: { $mod: [2, 1] } }, matches: [0] },
  { filter: { c: { $mod: [2, -1] } }, matches: [1] },
  { filter: { c: { $mod: [2.9, 1.2] } }, matches: [0] },
  { filter: { c: { $mod: [4, 0] } }, matches: [2] },
];
