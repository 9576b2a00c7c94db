import type { Filter } from './testing-filters.js';

/**
 * Hostile inputs: SQL and SQL/JSON path injection attempts through field names, values and sort
 * paths. The legal ones are stored in documents too, so that a correct answer is not empty.
 */
export const HOSTILE_KEYS = [
  "it's", 'say "hi"', "'); DROP TABLE c_test_things; --", '"; DROP TABLE c_test_things; --', '--', '/* x */', ';',
  'back\\slash', 'trailing\\', '\\"', 'ünïcødé', '日本語キー', 'emoji😀', 'sp ace', 'a$b', 'tab\tkey', 'line\nkey',
  '") || (@ == "', 'a$"', 'a[0]', '*', '?(@ > 0)', 'like_regex', 'NULL', 'true', '\\u0041', '%s%s', 'x${y}', "'||'",
];

export const HOSTILE_VALUES = [
  "it's", "''", '"quoted"', "'); DROP TABLE c_test_things; --", '"; DROP TABLE c_test_things; --', '$1', '$2::text',
  'back\\slash\\', '\\\\', '") || (@ == "', '" || @ == "', '$.name', '@ like_regex ".*"', '%', '_', '%_%', 'NULL',
  '\\u0000', '${x}', '`id`', 'ünï', '日本', 'x'.repeat(5000), 'a\tb', 'line\nbreak', '\\', '\'', '"', '{}', '[]',
];

/** Never stored (PostgreSQL cannot store them, or they are not text): filters only. */
export const UNSTORABLE_VALUES = ['nul\u0000byte', '\u0000', 'lone \ud800 surrogate', '\udc00', 'emoji 😀', 'cr\r\nlf'];

/** Field names that are not field names: always a 400. */
export const ILLEGAL_KEYS = ['', 'a..b', '.a', 'a.', 'x\u0000y', '\u0000', 'a.0', 'items.1.k', 'props.$x', '$', 'lone\ud800', 'k'.repeat(300)];

export function hostileDocuments(): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  HOSTILE_KEYS.forEach((key, i) => {
    docs.push({ [key]: HOSTILE_VALUES[i % HOSTILE_VALUES.length], props: { [key]: i }, h: HOSTILE_VALUES[(i * 7) % HOSTILE_VALUES.length] });
  });
  // Only under `h` (and hostile names): generated regexes on 5000 characters would take mingo
  // (JavaScript, backtracking) minutes.
  HOSTILE_VALUES.forEach((value, i) => docs.push({ h: value, kind: i % 2 === 0 ? 'a' : 'b' }));
  docs.push({ items: [{ [HOSTILE_KEYS[0]]: 1 }, { [HOSTILE_KEYS[2]]: 2 }] });
  return docs;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Every form for the first items, then a rotating share of them, to keep the run short. */
function rotate<T>(forms: T[], i: number, share: number): T[] {
  return i < 3 ? forms : forms.filter((_, k) => (k + i) % share === 0);
}

/** Legal filters with hostile names: the engine must agree with mingo. */
export function hostileKeyFilters(): Filter[] {
  return HOSTILE_KEYS.flatMap((key, i) => rotate([
    { [key]: HOSTILE_VALUES[i % HOSTILE_VALUES.length] },
    { [key]: { $exists: true } },
    { [key]: { $in: [HOSTILE_VALUES[i % HOSTILE_VALUES.length], 'zzz', null] } },
    { [`props.${key}`]: { $gte: i } },
    { [`props.${key}`]: { $type: 'number' } },
    { [key]: { $regex: '^.', $options: 'i' } },
    { $or: [{ [key]: { $ne: null } }, { name: "it's" }] },
    { items: { $elemMatch: { [key]: { $gt: 0 } } } },
  ], i, 2));
}

/** Keeps a filter to the hostile documents and a few others, so that `$ne` and `$nor` stay cheap. */
const narrow = (field: string) => (filter: Filter): Filter => ({ $and: [filter, { $or: [{ [field]: { $exists: true } }, { count: { $gt: 45 } }] }] });

/** Legal filters with hostile values on `field`: the engine must agree with mingo. */
export function hostileValueFilters(field: string): Filter[] {
  return HOSTILE_VALUES.flatMap((value, i) => rotate([
    { [field]: value },
    { [field]: { $ne: value } },
    { [field]: { $in: [value, 1, null] } },
    { [field]: { $gt: value } },
    { [field]: { $lte: value } },
    { [field]: { $regex: escapeRegex(value).slice(0, 200) } },
    { props: { [`k ${value}`]: value } },
    { ref: value },
    { owner: value },
    { version: { $in: [value, 1] } },
    { $nor: [{ [field]: value }, { kind: value }] },
  ].map(narrow(field)), i, 3));
}

/** Filters with values that cannot be stored: either mingo's answer (nothing) or a 4xx. */
export function unstorableValueFilters(field: string): Filter[] {
  return UNSTORABLE_VALUES.flatMap((value) => [
    { [field]: value }, { [field]: { $gt: value } }, { [field]: { $in: [value] } }, { props: { x: value } },
    { [field]: { $regex: escapeRegex(value) } }, { ref: value }, { id: value }, { [`k${value}`]: 1 },
  ]);
}

export const HOSTILE_SORTS = [...HOSTILE_KEYS, ...HOSTILE_KEYS.map((k) => `props.${k}`)].map((field, i) => ({ [field]: i % 2 === 0 ? 1 : -1 } as const));
