import type { Rng } from './testing-random.js';

/**
 * Generated documents for the differential tests of the filter compiler.
 *
 * Strings deliberately avoid what makes mingo (JavaScript semantics) differ from MongoDB (PCRE
 * over UTF-8, binary string order), so that a disagreement is always the compiler's:
 * - no characters outside the BMP: JavaScript compares and regex-matches UTF-16 code units,
 *   MongoDB code points;
 * - no `\r`, `\u2028`, `\u2029`: JavaScript treats them as line ends for `.`, `^` and `$`,
 *   PCRE (and so MongoDB) only `\n`;
 * - no string ending in `\n`: PCRE's `$` also matches before a final newline, JavaScript's not;
 * - no non-ASCII white space: JavaScript's `\s` matches it, PCRE's does not.
 */
export const WORDS = [
  'alpha', 'Alpha', 'ALPHA', 'beta', 'Beta', 'gamma', 'GAMMA', 'delta', 'epsilon', 'zeta', 'eta', 'theta',
  'iota', 'kappa', 'Lambda', 'mu', 'nu', 'xi', 'omicron', 'pi', 'rho', 'sigma', 'Tau', 'upsilon', 'phi',
  'chi', 'psi', 'omega', 'a', 'A', 'b', 'B', 'z', 'Z', '', ' ', 'x1', 'x-2', 'a.b', 'a+b', 'a|b', '(x)',
  '[y]', '{z}', '^c', 'd$', 'e*f', 'g?', 'h\\i', "it's", 'say "hi"', 'tab\tsep', 'line1\nline2',
  'multi\nline\ntext', '\nleading', '10', '9', '-3', '1e3', 'true', 'null', '_under', 'snake_case',
  'café', 'CAFÉ', 'naïve', 'Ωmega', 'straße', '日本語', 'über', 'Ünïcode', 'façade', 'résumé',
];

export const KINDS = ['a', 'b', 'c', 'A', 'B', 'ab', 'abc'];

export const NUMBERS = [
  0, 1, -1, 2, 3, 5, 7, 10, -10, 42, 100, -100, 255, 1000, 65536, 2147483647, -2147483648, 1e15,
  0.5, -0.5, 1.5, 2.25, 3.14159, -2.75, 0.1, 1e-7, 2.5e10, 99.99, 1e21, -1e21, 5e-324, 1.7976931348623157e308,
  123456789.12345679, 0.30000000000000004,
];

export function randomString(r: Rng): string {
  const roll = r.next();
  if (roll < 0.55) return r.pick(WORDS);
  if (roll < 0.75) return `${r.pick(WORDS)} ${r.pick(WORDS)}`.trimEnd() || 'w';
  if (roll < 0.9) return `${r.pick(WORDS)}${r.int(0, 99)}`;
  const word = r.pick(WORDS);
  return r.chance(0.5) ? word.toUpperCase() : word.toLowerCase();
}

/**
 * Safe integers only: beyond 2^53 MongoDB's `$mod` works on 64-bit integers, mingo on doubles and
 * PostgreSQL on exact decimals, and no two of them agree.
 */
export function randomInt(r: Rng): number {
  return r.chance(0.3) ? r.pick(NUMBERS.filter(Number.isSafeInteger)) : r.int(-50, 50);
}

export function randomNumber(r: Rng): number {
  if (r.chance(0.4)) return r.pick(NUMBERS);
  return r.chance(0.5) ? r.int(-50, 50) : Math.round((r.next() * 200 - 100) * 100) / 100;
}

export function randomScalar(r: Rng): string | number | boolean | null {
  const roll = r.next();
  if (roll < 0.4) return randomString(r);
  if (roll < 0.75) return randomNumber(r);
  if (roll < 0.9) return r.chance(0.5);
  return null;
}

function scalarArray(r: Rng, make: (r: Rng) => unknown, max = 4): unknown[] {
  return Array.from({ length: r.int(0, max) }, () => make(r));
}

/** An element of `items`: an object with some of k, v, sub, list (never null, never an array). */
function item(r: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.chance(0.8)) out.k = r.chance(0.85) ? r.pick([...KINDS, ...WORDS.slice(0, 12)]) : randomScalar(r);
  if (r.chance(0.75)) out.v = r.chance(0.9) ? randomInt(r) : randomScalar(r);
  if (r.chance(0.4)) out.sub = r.chance(0.85) ? { x: randomScalar(r), ...(r.chance(0.3) ? { y: randomInt(r) } : {}) } : {};
  if (r.chance(0.35)) out.list = scalarArray(r, randomScalar, 3);
  return out;
}

/** A leaf under `props`: a scalar, an array of scalars or a small object. */
function leaf(r: Rng): unknown {
  const roll = r.next();
  if (roll < 0.7) return randomScalar(r);
  if (roll < 0.85) return scalarArray(r, randomScalar, 3);
  return { q: randomScalar(r) };
}

/**
 * `props` is always an object and `props.a`, `props.e`, `props.e.f` are never arrays, so that
 * equality with null on those paths never crosses an array (see testing-filters.ts).
 */
function props(r: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.chance(0.7)) {
    const roll = r.next();
    out.a = roll < 0.75 ? { ...(r.chance(0.8) ? { b: leaf(r) } : {}), ...(r.chance(0.5) ? { c: randomScalar(r) } : {}) } : roll < 0.9 ? randomScalar(r) : {};
  }
  if (r.chance(0.6)) out.c = randomScalar(r);
  if (r.chance(0.4)) out.d = leaf(r);
  if (r.chance(0.3)) out.e = r.chance(0.8) ? { f: r.chance(0.8) ? { g: randomScalar(r) } : randomScalar(r) } : randomScalar(r);
  return out;
}

function mixed(r: Rng): unknown {
  const roll = r.next();
  if (roll < 0.6) return randomScalar(r);
  if (roll < 0.8) return scalarArray(r, randomScalar, 3);
  if (roll < 0.9) return { p: randomScalar(r) };
  return {};
}

function grid(r: Rng): unknown {
  const roll = r.next();
  if (roll < 0.6) return Array.from({ length: r.int(0, 3) }, () => scalarArray(r, () => r.int(0, 4), 3));
  if (roll < 0.8) return [r.int(0, 4), [r.int(0, 4), r.int(0, 4)]];
  return r.int(0, 4);
}

type Maker = (r: Rng, index: number) => unknown;

/** Field → how often it is present → how its value is made. */
const FIELDS: [string, number, Maker][] = [
  ['name', 0.9, (r) => (r.chance(0.88) ? randomString(r) : r.pick([null, 42, -1.5, true, false]))],
  ['kind', 0.85, (r) => (r.chance(0.92) ? r.pick(KINDS) : null)],
  ['n', 0.85, (r) => (r.chance(0.88) ? randomInt(r) : r.pick([null, '5', '-3', true]))],
  ['f', 0.8, (r) => (r.chance(0.9) ? randomNumber(r) : null)],
  ['flag', 0.75, (r) => (r.chance(0.9) ? r.chance(0.5) : null)],
  ['tags', 0.7, (r) => scalarArray(r, () => r.pick([...KINDS, ...WORDS.slice(0, 20)]), 4)],
  ['vals', 0.7, (r) => (r.chance(0.85) ? scalarArray(r, randomScalar, 5) : randomScalar(r))],
  ['nums', 0.7, (r) => scalarArray(r, (x) => x.int(-10, 20), 5)],
  ['count', 0.8, randomInt],
  ['grid', 0.3, grid],
  ['items', 0.7, (r) => (r.chance(0.85) ? Array.from({ length: r.int(0, 4) }, () => item(r)) : r.chance(0.7) ? item(r) : 'none')],
  ['props', 0.8, props],
  ['mixed', 0.8, mixed],
  ['ref', 0.3, (r, i) => `R${i}-${r.pick(WORDS.slice(0, 30)).replace(/\W/g, '') || 'x'}`],
];

export function makeDocument(r: Rng, index: number): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const [field, presence, make] of FIELDS) if (r.chance(presence)) doc[field] = make(r, index);
  return doc;
}

/** Documents of the typed collection: `name` is a string and `score` a number when present. */
export function makeTypedDocument(r: Rng, index: number): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (r.chance(0.85)) doc.name = randomString(r);
  if (r.chance(0.85)) doc.score = randomNumber(r);
  if (r.chance(0.5)) doc.other = randomScalar(r);
  if (r.chance(0.3)) doc.ref = `T${index}`;
  return doc;
}
