import { ErrorCode } from '@stratum/contracts';
import { ILLEGAL_KEYS } from './testing-hostile.js';
import type { Filter } from './testing-filters.js';

/**
 * Constructs the compiler refuses on purpose, and malformed filters: each is a 400 with this
 * code (and names `mentions` in the message). None of them is generated for the differential
 * tests: array index paths (`a.0`) mean an element in MongoDB but a field in mingo for objects;
 * lookaround, back references, `\b` in a class and options other than i/m/s have no faithful
 * translation to PostgreSQL's regular expressions.
 */
export interface Refusal {
  filter: Filter;
  code: ErrorCode;
  mentions?: string;
}

const BAD = ErrorCode.INVALID_QUERY;
const NOT_ALLOWED = ErrorCode.QUERY_OPERATOR_NOT_ALLOWED;
const COMPLEX = ErrorCode.QUERY_TOO_COMPLEX;

function nest(levels: number, wrap: (inner: Filter) => Filter, leaf: Filter): Filter {
  let filter = leaf;
  for (let i = 0; i < levels; i++) filter = wrap(filter);
  return filter;
}

const regexRefusals: Refusal[] = [
  '(?=a)', '(?!a)b', '(?<=a)b', '(?<!a)b', '(?<name>a)', '[\\b]', '(a)\\1', '\\k<x>', '\\p{L}', '\\x41', '\\u0041', '\\cA', '\\0',
  '\\q', '\\e', '\\A', '\\Z', '\\m', '\\y', 'a{1000}', 'a{2,300}', '[]', '[^]', 'a[]b', '[a\\q]', '[\\1]',
].map((pattern) => ({ filter: { name: { $regex: pattern } }, code: BAD }));

const optionRefusals: Refusal[] = ['x', 'u', 'g', 'y', 'd', 'q', 'mx', 'iu', 'I', ' '].map((options) => ({
  filter: { name: { $regex: 'a', $options: options } }, code: BAD,
}));

const operatorRefusals: Refusal[] = [
  { filter: { $where: 'this.a == 1' }, code: NOT_ALLOWED, mentions: '$where' },
  { filter: { $expr: { $eq: ['$a', 1] } }, code: NOT_ALLOWED, mentions: '$expr' },
  { filter: { $function: { body: 'return true', args: [], lang: 'js' } }, code: NOT_ALLOWED, mentions: '$function' },
  { filter: { $text: { $search: 'alpha' } }, code: NOT_ALLOWED, mentions: '$text' },
  { filter: { $jsonSchema: { required: ['a'] } }, code: NOT_ALLOWED, mentions: '$jsonSchema' },
  { filter: { $comment: 'hi' }, code: NOT_ALLOWED, mentions: '$comment' },
  { filter: { loc: { $near: [0, 0] } }, code: NOT_ALLOWED, mentions: '$near' },
  { filter: { loc: { $geoWithin: { $center: [[0, 0], 1] } } }, code: NOT_ALLOWED, mentions: '$geoWithin' },
  { filter: { $and: [{ name: 'a' }, { $where: 'sleep(1000)' }] }, code: NOT_ALLOWED, mentions: '$where' },
  { filter: { name: { $not: { $where: 'x' } } }, code: NOT_ALLOWED, mentions: '$where' },
  { filter: { items: { $elemMatch: { $function: {} } } }, code: NOT_ALLOWED, mentions: '$function' },
  { filter: { items: { $elemMatch: { k: { $near: 1 } } } }, code: NOT_ALLOWED, mentions: '$near' },
  { filter: { $or: [{ $nor: [{ $expr: true }] }] }, code: NOT_ALLOWED, mentions: '$expr' },
];

const malformed: Refusal[] = [
  ...ILLEGAL_KEYS.map((key) => ({ filter: { [key]: 1 }, code: key === '$' ? NOT_ALLOWED : BAD })),
  { filter: { $or: [{ 'x\u0000': 1 }] }, code: BAD },
  { filter: { 'tags.0': 'a' }, code: BAD, mentions: 'tags.0' },
  { filter: { items: { $elemMatch: { 'list.1': 2 } } }, code: BAD },
  { filter: { name: { $options: 'i' } }, code: BAD },
  { filter: { nums: { $elemMatch: { $options: 'i' } } }, code: BAD },
  { filter: { name: { $regex: 'a', $options: 1 } }, code: BAD },
  { filter: { name: { $regex: 5 } }, code: BAD },
  { filter: { name: { $in: 5 } }, code: BAD },
  { filter: { nums: { $size: -1 } }, code: BAD },
  { filter: { nums: { $size: 1.5 } }, code: BAD },
  { filter: { n: { $mod: [0, 1] } }, code: BAD },
  { filter: { n: { $mod: [2] } }, code: BAD },
  { filter: { n: { $type: 'date' } }, code: BAD },
  { filter: { n: { $type: [] } }, code: BAD },
  { filter: { n: { $exists: 1 } }, code: BAD },
  { filter: { n: { $gt: true } }, code: BAD },
  { filter: { n: { $gt: null } }, code: BAD },
  { filter: { n: { $lt: {} } }, code: BAD },
  { filter: { n: { $gt: 1, m: 2 } }, code: BAD },
  { filter: { n: { $not: 5 } }, code: BAD },
  { filter: { n: { $not: {} } }, code: BAD },
  { filter: { n: { $and: [{ a: 1 }] } }, code: BAD },
  { filter: { nums: { $elemMatch: {} } }, code: BAD },
  { filter: { nums: { $all: 5 } }, code: BAD },
  { filter: { $and: [] }, code: BAD },
  { filter: { $or: {} }, code: BAD },
  { filter: { $nor: [5] }, code: BAD },
  { filter: { $regex: 'a' }, code: BAD },
];

const limits: Refusal[] = [
  { filter: nest(12, (f) => ({ $and: [f] }), { n: 1 }), code: COMPLEX },
  { filter: nest(9, (f) => ({ $or: [f, { n: 2 }] }), { n: 1 }), code: COMPLEX },
  { filter: nest(12, (f) => ({ $nor: [f] }), { n: 1 }), code: COMPLEX },
  { filter: { n: nest(12, (f) => ({ $not: f }), { $gt: 1 }) }, code: COMPLEX },
  { filter: { nums: nest(12, (f) => ({ $elemMatch: f }), { $gt: 1 }) }, code: COMPLEX },
  { filter: { items: nest(12, (f) => ({ $elemMatch: { sub: f } }), { $gt: 1 }) }, code: COMPLEX },
  { filter: { n: nest(5000, (f) => ({ $not: f }), { $gt: 1 }) }, code: COMPLEX },
  { filter: { n: { $in: Array.from({ length: 501 }, (_, i) => i) } }, code: COMPLEX, mentions: '500' },
  { filter: { n: { $nin: Array.from({ length: 501 }, (_, i) => i) } }, code: COMPLEX },
  { filter: { nums: { $all: Array.from({ length: 501 }, (_, i) => i) } }, code: COMPLEX },
  { filter: { $or: Array.from({ length: 501 }, (_, i) => ({ n: i })) }, code: COMPLEX },
  { filter: { name: { $regex: 'a'.repeat(257) } }, code: BAD, mentions: '256' },
  { filter: { name: { $not: { $regex: `^${'b'.repeat(300)}` } } }, code: BAD },
];

export const REFUSALS: Refusal[] = [...regexRefusals, ...optionRefusals, ...operatorRefusals, ...malformed, ...limits];

/** Right at the limits: must work (and agree with mingo). */
export const AT_THE_LIMITS: Filter[] = [
  nest(8, (f) => ({ $and: [f] }), { n: 1 }),
  nest(7, (f) => ({ $or: [f, { kind: 'a' }] }), { n: { $gt: 1 } }),
  { n: { $in: Array.from({ length: 500 }, (_, i) => i - 250) } },
  { name: { $regex: `^${'a'.repeat(255)}` } },
];
