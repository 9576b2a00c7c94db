import { badQuery } from '../errors.js';

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

/**
 * Translates a JavaScript-syntax regex to PostgreSQL's ARE dialect used by like_regex, refusing
 * constructs whose meaning differs between the two.
 */
export function regexPredicate(pattern: string, options: string, maxLength: number): string {
  if (pattern.length > maxLength) throw badQuery(`$regex is longer than ${maxLength} characters`);
  if (!REGEX_FLAGS.test(options)) throw badQuery(`$options may only contain i, m and s, got ${JSON.stringify(options)}`);
  try {
    new RegExp(pattern, options);
  } catch (error) {
    throw badQuery(`$regex is not a valid regular expression: ${(error as Error).message}`);
  }
  let translated = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (next === 'b' || next === 'B') {
        if (inClass) throw badQuery('$regex: \\b inside a character class is not supported');
        translated += next === 'b' ? '\\y' : '\\Y';
      } else if (/[1-9kpPuxc0]/.test(next)) {
        throw badQuery(`$regex: the escape \\${next} is not supported`);
      } else {
        translated += '\\' + next;
      }
      continue;
    }
    if (ch === '[' && !inClass) inClass = true;
    else if (ch === ']' && inClass) inClass = false;
    else if (!inClass && ch === '(' && pattern[i + 1] === '?' && pattern[i + 2] !== ':') {
      throw badQuery('$regex: lookaround and named groups are not supported');
    }
    translated += ch;
  }
  const flags = options ? ` flag ${JSON.stringify(options)}` : '';
  return `@ like_regex ${JSON.stringify(translated)}${flags}`;
}
