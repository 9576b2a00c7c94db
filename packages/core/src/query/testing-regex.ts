import type { Rng } from './testing-random.js';

/**
 * Generated `$regex` patterns: literals, classes, escapes, quantifiers, alternation, groups,
 * anchors and word boundaries, as users write them. Every one is valid for JavaScript and for
 * PCRE with the same meaning (so mingo is a fair reference).
 */
const LITERALS = [
  'a', 'e', 'al', 'ph', 'Beta', 'GA', 'ALPHA', 'caf', 'é', 'É', 'x', '1', '0', '-', '_', ' ', "'", '"', 'ü', 'Ω', '日',
  '\\.', '\\$', '\\^', '\\(', '\\)', '\\[', '\\]', '\\|', '\\\\', '\\+', '\\?', '\\*', '\\{', '\\}', '\\/', '\\n', '\\t', 'line', 'text',
];
const CLASSES = [
  '.', '.', '\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '[a-f]', '[^a-z]', '[A-Z]', '[0-9]', '[aeiou]', '[-.]', '[^\\s]',
  '[\\w.]', '[\\d-]', '[éü]', '[^a]', '[a-zA-Z]', '[\\]x]', '[.*+?]', '[\\\\]', '[\\n]', '[^\\n]', '[ -/]',
  '[\\D]', '[a\\W]', '[^\\W]', '[^a\\S]', '[\\W\\d]', '[^\\D\\W]', '[[:alpha:]]', '[a-\\d]',
];
const QUANTIFIERS = ['', '', '', '', '*', '+', '?', '{1,2}', '{2}', '{0,}', '{1,}', '*?', '+?', '??'];
export const REGEX_OPTIONS = ['', '', '', 'i', 'm', 's', 'im', 'is', 'ms', 'ims', 'si'];

function atom(r: Rng): string {
  const roll = r.next();
  if (roll < 0.5) return r.pick(LITERALS);
  if (roll < 0.9) return r.pick(CLASSES);
  return `(${r.pick(LITERALS)}${r.pick(CLASSES)})`;
}

function sequence(r: Rng): string {
  let out = '';
  for (let i = r.int(1, 3); i > 0; i--) out += atom(r) + r.pick(QUANTIFIERS);
  return out;
}

function body(r: Rng): string {
  const roll = r.next();
  if (roll < 0.55) return sequence(r);
  if (roll < 0.7) return `${sequence(r)}|${sequence(r)}`;
  if (roll < 0.85) return `(?:${sequence(r)}|${sequence(r)})${sequence(r)}`;
  if (roll < 0.93) return `\\b${sequence(r)}${r.chance(0.5) ? '\\b' : ''}`;
  return `${sequence(r)}\\B${sequence(r)}`;
}

export function randomRegex(r: Rng): { pattern: string; options: string } {
  for (;;) {
    let pattern = body(r);
    if (r.chance(0.35)) pattern = `^${pattern}`;
    if (r.chance(0.25)) pattern = `${pattern}$`;
    if (r.chance(0.02)) pattern = '^$';
    const options = r.pick(REGEX_OPTIONS);
    try {
      new RegExp(pattern, options);
      return { pattern, options };
    } catch {
      // A quantifier on nothing or on a boundary: try again.
    }
  }
}

/** Random text from regex syntax characters, for hostile inputs; valid JavaScript only. */
export function fuzzRegex(r: Rng): string {
  const alphabet = ['a', 'b', 'A', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '^', '$', '|', '\\', '-', ',', '0', '1', '2', ':', '=', '!', '<', 'é', ' ', 'w', 'd', 's', 'b', 'B', 'n'];
  for (;;) {
    let pattern = '';
    for (let i = r.int(1, 10); i > 0; i--) pattern += r.pick(alphabet);
    try {
      new RegExp(pattern);
      return pattern;
    } catch {
      // Not a JavaScript regex: MongoDB would refuse it too; try again.
    }
  }
}
