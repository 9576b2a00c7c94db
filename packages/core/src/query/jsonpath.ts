import { DomainError, badQuery } from '../errors.js';

export type Scalar = string | number | boolean | null;

/**
 * Builds SQL/JSON path text. The path is always sent as a bind parameter, never spliced into
 * SQL, and every key and literal inside it is JSON-quoted, so neither can change its structure.
 */
export function jsonPath(segments: readonly string[]): string {
  return '$' + segments.map((s) => '.' + JSON.stringify(s)).join('');
}

export function jsonLiteral(value: Scalar): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badQuery('numbers in a query must be finite');
    return JSON.stringify(value);
  }
  return JSON.stringify(value);
}

export function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Mongo accepts regex options imsx; SQL/JSON like_regex has i, m, s (and x with other meaning). */
const REGEX_FLAGS = /^[ims]*$/;
/** PostgreSQL's repetition bound (RE_DUP_MAX); JavaScript and PCRE accept more. */
const MAX_REPEAT = 255;

/*
 * JavaScript (mingo) and PCRE (MongoDB) agree on these, PostgreSQL's AREs do not: `\w`, `\d`,
 * `\s` and word boundaries are ASCII-only in both (AREs follow the locale, so `é` or `日` would
 * be word characters), `.` never matches `\n` without the s flag, while `[^a]` always does (AREs
 * without s exclude `\n` from both). So classes are spelled out, `.` becomes `[^\n]` and the ARE
 * always runs with s.
 */
const WORD = 'A-Za-z0-9_';
const SPACE = ' \\t\\n\\v\\f\\r';
const IN_CLASS: Record<string, string> = { d: '0-9', w: WORD, s: SPACE };
const OUT_OF_CLASS: Record<string, string> = {
  d: '[0-9]', D: '[^0-9]', w: `[${WORD}]`, W: `[^${WORD}]`, s: `[${SPACE}]`, S: `[^${SPACE}]`,
  b: `(?:(?<=[${WORD}])(?![${WORD}])|(?<![${WORD}])(?=[${WORD}]))`,
  B: `(?:(?<=[${WORD}])(?=[${WORD}])|(?<![${WORD}])(?![${WORD}]))`,
};
/** Escapes meaning the same character everywhere. */
const CONTROL = new Set(['n', 'r', 't', 'f', 'v']);

function unsupportedEscape(ch: string): DomainError {
  return badQuery(`$regex: the escape \\${ch} is not supported`);
}

/** An escaped character outside a class: ASCII punctuation stays escaped, letters must be known. */
function escapeOutside(ch: string): string {
  if (ch in OUT_OF_CLASS) return OUT_OF_CLASS[ch];
  if (CONTROL.has(ch)) return `\\${ch}`;
  if (/^[\x20-\x7e]$/.test(ch) && !/[A-Za-z0-9]/.test(ch)) return `\\${ch}`;
  // JavaScript reads an escaped non-ASCII character as itself; for an ARE it may be a letter.
  if (ch.charCodeAt(0) > 0x7e) return ch;
  throw unsupportedEscape(ch);
}

/** One member of a bracket expression: a character, a set like `\d`, or the complement of one (`\D`). */
type ClassAtom = { char: string } | { set: string } | { notSet: string };

function classAtom(pattern: string, i: number): { atom: ClassAtom; next: number } {
  if (pattern[i] !== '\\') {
    const ch = String.fromCodePoint(pattern.codePointAt(i)!);
    return { atom: { char: ch }, next: i + ch.length };
  }
  const ch = pattern[i + 1];
  if (ch in IN_CLASS) return { atom: { set: IN_CLASS[ch] }, next: i + 2 };
  if (ch.toLowerCase() in IN_CLASS) return { atom: { notSet: IN_CLASS[ch.toLowerCase()] }, next: i + 2 };
  if (ch === 'b') throw badQuery('$regex: \\b inside a character class is not supported');
  if (CONTROL.has(ch)) return { atom: { char: JSON.parse(`"\\${ch === 'v' ? 'u000b' : ch}"`) }, next: i + 2 };
  if (/[A-Za-z0-9]/.test(ch)) throw unsupportedEscape(ch);
  return { atom: { char: ch }, next: i + 2 };
}

/** A character inside an ARE bracket expression, escaped when the ARE would read it as syntax. */
function classChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  return /[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * A class with complements in it (`[a\W]`): an ASCII complement cannot sit inside an ARE bracket,
 * so `[m\W]` becomes `(?:[m]|[^w])` and `[^m\W]`, which is "not m and a word character",
 * becomes `(?:(?![m])[w])`.
 */
function withComplements(members: string, complements: string[], negated: boolean): string {
  if (!negated) return `(?:${[...(members ? [`[${members}]`] : []), ...complements.map((c) => `[^${c}]`)].join('|')})`;
  const last = complements[complements.length - 1];
  const ahead = complements.slice(0, -1).map((c) => `(?=[${c}])`).join('');
  return `(?:${members ? `(?![${members}])` : ''}${ahead}[${last}])`;
}

/** `[...]` from `start` (the `[`): members re-spelled for the ARE, ranges only between characters. */
function translateClass(pattern: string, start: number): { text: string; next: number } {
  let i = start + 1;
  const negated = pattern[i] === '^';
  if (negated) i++;
  if (pattern[i] === ']') throw badQuery('$regex: empty character classes ([] and [^]) are not supported');
  let members = '';
  const complements: string[] = [];
  while (pattern[i] !== ']') {
    const { atom, next } = classAtom(pattern, i);
    i = next;
    const range = 'char' in atom && pattern[i] === '-' && pattern[i + 1] !== ']' && pattern[i + 1] !== undefined;
    const end = range ? classAtom(pattern, i + 1) : undefined;
    if ('char' in atom && end && 'char' in end.atom) {
      members += `${classChar(atom.char)}-${classChar(end.atom.char)}`;
      i = end.next;
    } else if ('notSet' in atom) {
      complements.push(atom.notSet);
    } else {
      members += 'char' in atom ? classChar(atom.char) : atom.set;
    }
  }
  const text = complements.length > 0 ? withComplements(members, complements, negated) : `[${negated ? '^' : ''}${members}]`;
  return { text, next: i + 1 };
}

/** `{n}`, `{n,}` or `{n,m}` at `i`: a bounded quantifier; any other `{` is a literal in JavaScript. */
function quantifier(pattern: string, i: number): { text: string; next: number } {
  const bound = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i));
  if (!bound) return { text: '\\{', next: i + 1 };
  if (Number(bound[1]) > MAX_REPEAT || Number(bound[2] || 0) > MAX_REPEAT) {
    throw badQuery(`$regex: repetition counts above ${MAX_REPEAT} are not supported`);
  }
  return { text: bound[0], next: i + bound[0].length };
}

/** Translates a JavaScript-syntax regex (already checked by `new RegExp`) to an ARE. */
function translateRegex(pattern: string, dotAll: boolean): string {
  let out = '';
  for (let i = 0; i < pattern.length;) {
    const ch = pattern[i];
    if (ch === '\\') {
      out += escapeOutside(pattern[i + 1]);
      i += 2;
    } else if (ch === '[') {
      const { text, next } = translateClass(pattern, i);
      out += text;
      i = next;
    } else if (ch === '{') {
      const { text, next } = quantifier(pattern, i);
      out += text;
      i = next;
    } else {
      if (ch === '(' && pattern[i + 1] === '?' && pattern[i + 2] !== ':') {
        throw badQuery('$regex: lookaround and named groups are not supported');
      }
      out += ch === '.' && !dotAll ? '[^\\n]' : ch === '}' || ch === ']' ? `\\${ch}` : ch;
      i++;
    }
  }
  return out;
}

/**
 * Translates a JavaScript-syntax regex to PostgreSQL's ARE dialect used by like_regex, refusing
 * constructs whose meaning differs between the two. The result is a filter predicate on `@`.
 */
export function regexPredicate(pattern: string, options: string, maxLength: number): string {
  if (pattern.length > maxLength) throw badQuery(`$regex is longer than ${maxLength} characters`);
  if (!REGEX_FLAGS.test(options)) throw badQuery(`$options may only contain i, m and s, got ${JSON.stringify(options)}`);
  try {
    new RegExp(pattern, options);
  } catch (error) {
    throw badQuery(`$regex is not a valid regular expression: ${(error as Error).message}`);
  }
  const translated = translateRegex(pattern, options.includes('s'));
  const flags = [...new Set([...options, 's'])].join('');
  return `@ like_regex ${JSON.stringify(translated)} flag ${JSON.stringify(flags)}`;
}
