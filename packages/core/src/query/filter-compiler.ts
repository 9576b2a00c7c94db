import { ErrorCode } from '@stratum/contracts';
import { DomainError, badQuery } from '../errors.js';
import { findUnstorableText } from '../storable.js';
import { isScalar, jsonLiteral, jsonPath, regexPredicate, type Scalar } from './jsonpath.js';
import type { SqlParams } from './params.js';

export interface FilterLimits {
  queryDepth: number;
  inItems: number;
  regexLength: number;
}

/** Fast paths the compiler may take at the top level: real columns and schema-typed fields. */
export interface FieldResolver {
  /** A NOT NULL or nullable column holding exactly this field's scalar value. */
  column(field: string): { sql: string; type: 'string' | 'number' } | undefined;
  /** A schema-typed top-level scalar field, as the SQL expression its indexes use. */
  scalar(field: string): { sql: string; type: 'string' | 'number' } | undefined;
}

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$not', '$exists',
  '$regex', '$options', '$elemMatch', '$size', '$all', '$type', '$mod',
]);
const LOGICAL = new Set(['$and', '$or', '$nor']);
const RANGE: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

const TYPE_ALIASES: Record<string, string> = {
  double: 'number', number: 'number', decimal: 'number', int: 'int', long: 'int',
  string: 'string', object: 'object', array: 'array', bool: 'boolean', boolean: 'boolean', null: 'null',
};
const TYPE_CODES: Record<number, string> = { 1: 'number', 2: 'string', 3: 'object', 4: 'array', 8: 'boolean', 10: 'null', 16: 'int', 18: 'int', 19: 'number' };

const notOperatorKey = (key: string) => !key.startsWith('$');

/**
 * In lax mode a comparison unwraps an array operand, so `$.a ? (@ == 1)` would also look inside
 * arrays nested in `a`; MongoDB looks one level deep only. Every test on `@` starts with this.
 */
const NOT_ARRAY = '@.type() != "array"';
const CAST = { string: 'text', number: 'numeric' } as const;
/** A filter with NUL or lone surrogates anywhere is refused before any SQL is built. */
function assertStorableText(filter: unknown): void {
  const found = findUnstorableText(filter);
  if (found) throw badQuery(`the query ${found.path ? `at ${found.path} ` : ''}${found.reason}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fieldSegments(path: string): string[] {
  if (path.length === 0 || path.length > 256) throw badQuery(`invalid field path ${JSON.stringify(path)}`);
  if (path.includes('\u0000')) throw badQuery('field paths cannot contain NUL');
  const segments = path.split('.');
  for (const segment of segments) {
    if (segment === '' || segment.startsWith('$')) throw badQuery(`invalid field path ${JSON.stringify(path)}`);
    if (/^\d+$/.test(segment)) throw badQuery(`array index paths are not supported (${path}); use $elemMatch`);
  }
  return segments;
}

/**
 * Compiles a Mongo filter into a parameterised SQL boolean expression over a JSONB value.
 * Array semantics follow MongoDB: a condition on a path holds if it holds for the value or for
 * any element of an array at that path (SQL/JSON lax mode unwraps arrays the same way).
 */
export class FilterCompiler {
  private aliases = 0;

  constructor(
    private readonly params: SqlParams,
    private readonly limits: FilterLimits,
    private readonly fields?: FieldResolver,
  ) {}

  compile(filter: unknown, root = 'doc'): string {
    assertStorableText(filter);
    return this.filter(filter, root, 0);
  }

  private checkDepth(depth: number): void {
    if (depth > this.limits.queryDepth) {
      throw new DomainError(ErrorCode.QUERY_TOO_COMPLEX, `the filter is nested deeper than ${this.limits.queryDepth} levels`);
    }
  }

  private filter(filter: unknown, root: string, depth: number): string {
    if (!isPlainObject(filter)) throw badQuery('a filter must be a JSON object');
    this.checkDepth(depth);
    const parts: string[] = [];
    for (const [key, value] of Object.entries(filter)) {
      if (key.startsWith('$')) parts.push(this.logical(key, value, root, depth));
      else parts.push(this.field(fieldSegments(key), value, root, depth));
    }
    return parts.length === 0 ? 'TRUE' : parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`;
  }

  private logical(operator: string, value: unknown, root: string, depth: number): string {
    if (!LOGICAL.has(operator)) {
      if (FIELD_OPERATORS.has(operator)) throw badQuery(`${operator} must be applied to a field`);
      throw new DomainError(ErrorCode.QUERY_OPERATOR_NOT_ALLOWED, `query operator ${operator} is not allowed`);
    }
    if (!Array.isArray(value) || value.length === 0) throw badQuery(`${operator} must be a non-empty array of filters`);
    if (value.length > this.limits.inItems) throw new DomainError(ErrorCode.QUERY_TOO_COMPLEX, `${operator} has more than ${this.limits.inItems} clauses`);
    const clauses = value.map((clause) => this.filter(clause, root, depth + 1));
    if (operator === '$and') return `(${clauses.join(' AND ')})`;
    if (operator === '$or') return `(${clauses.join(' OR ')})`;
    return `NOT COALESCE((${clauses.join(' OR ')}), FALSE)`;
  }

  private field(segments: string[], condition: unknown, root: string, depth: number): string {
    if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
      const keys = Object.keys(condition);
      if (keys.some(notOperatorKey)) throw badQuery(`a condition on ${segments.join('.')} mixes operators and fields`);
      return this.operators(segments, condition, root, depth);
    }
    return this.eq(segments, condition, root);
  }

  private operators(segments: string[], ops: Record<string, unknown>, root: string, depth: number): string {
    this.checkDepth(depth);
    const parts: string[] = [];
    for (const [op, operand] of Object.entries(ops)) {
      if (!FIELD_OPERATORS.has(op)) {
        if (LOGICAL.has(op)) throw badQuery(`${op} cannot be applied to a field`);
        throw new DomainError(ErrorCode.QUERY_OPERATOR_NOT_ALLOWED, `query operator ${op} is not allowed`);
      }
      if (op === '$options') {
        if (!('$regex' in ops)) throw badQuery('$options requires $regex');
        continue;
      }
      parts.push(this.operator(segments, op, operand, ops, root, depth));
    }
    return parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`;
  }

  private operator(segments: string[], op: string, operand: unknown, ops: Record<string, unknown>, root: string, depth: number): string {
    const name = segments.join('.');
    switch (op) {
      case '$eq': return this.eq(segments, operand, root);
      case '$ne': return this.not(this.eq(segments, operand, root));
      case '$in': return this.in(segments, this.list(name, op, operand), root);
      case '$nin': return this.not(this.in(segments, this.list(name, op, operand), root));
      case '$gt': case '$gte': case '$lt': case '$lte': return this.range(segments, op, operand, root);
      case '$exists': return this.exists(segments, operand, root);
      case '$regex': return this.regex(segments, operand, ops.$options, root);
      case '$not': {
        if (!isPlainObject(operand) || Object.keys(operand).length === 0 || Object.keys(operand).some(notOperatorKey)) {
          throw badQuery(`$not on ${name} must be an object of operators`);
        }
        return this.not(this.operators(segments, operand, root, depth + 1));
      }
      case '$elemMatch': return this.elemMatch(segments, operand, root, depth);
      case '$size': return this.size(segments, operand, root);
      case '$all': return this.all(segments, operand, root, depth);
      case '$type': return this.type(segments, operand, root);
      default: return this.mod(segments, operand, root);
    }
  }

  private not(sql: string): string {
    return `NOT COALESCE(${sql}, FALSE)`;
  }

  private list(name: string, op: string, operand: unknown): unknown[] {
    if (!Array.isArray(operand)) throw badQuery(`${op} on ${name} must be an array`);
    if (operand.length > this.limits.inItems) {
      throw new DomainError(ErrorCode.QUERY_TOO_COMPLEX, `${op} on ${name} has more than ${this.limits.inItems} values`);
    }
    return operand;
  }

  private pathExists(root: string, path: string): string {
    return `(${root} @? ${this.params.add(path)}::jsonpath)`;
  }

  private fast(segments: string[], root: string): { sql: string; type: 'string' | 'number' } | undefined {
    if (root !== 'doc' || segments.length !== 1 || !this.fields) return undefined;
    return this.fields.column(segments[0]) ?? this.fields.scalar(segments[0]);
  }

  private eq(segments: string[], value: unknown, root: string): string {
    const fast = this.fast(segments, root);
    if (fast && typeof value === fast.type) return `(${fast.sql} = ${this.params.add(value)}::${CAST[fast.type]})`;
    const path = jsonPath(segments);
    if (value === null) return this.eqNull(segments, root);
    if (isScalar(value)) return this.pathExists(root, `${path} ? (${NOT_ARRAY} && @ == ${jsonLiteral(value)})`);
    return this.eqDocument(path, value, root);
  }

  /**
   * Equality with null, as MongoDB has it: the value is null (or an array holding null), or the
   * path is missing, where missing also means a scalar met on the way (`a: 5` for `a.b`) or an
   * object element of an array without the next key. Scalar elements of an array and empty
   * arrays are not "missing" (jstests/core/dotted_path_in_null.js).
   */
  private eqNull(segments: string[], root: string): string {
    const parts = [
      `NOT ${this.pathExists(root, jsonPath(segments.slice(0, 1)))}`,
      this.pathExists(root, `${jsonPath(segments)} ? (${NOT_ARRAY} && @ == null)`),
    ];
    for (let k = 1; k < segments.length; k++) {
      const parent = jsonPath(segments.slice(0, k));
      parts.push(this.pathExists(root, `${parent}.type() ? (@ != "object" && @ != "array")`));
      parts.push(this.pathExists(root, `${parent} ? (@.type() == "object" && !exists(@.${JSON.stringify(segments[k])}))`));
    }
    return `(${parts.join(' OR ')})`;
  }

  /** Equality with an object or array: the value itself, or an element of an array there. */
  private eqDocument(path: string, value: unknown, root: string): string {
    const v = `x${++this.aliases}`;
    const json = this.params.add(JSON.stringify(value));
    return `EXISTS (SELECT 1 FROM jsonb_path_query(${root}, ${this.params.add(path)}::jsonpath) AS ${v}(v) WHERE ${v}.v = ${json}::jsonb OR (jsonb_typeof(${v}.v) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(${v}.v) AS e(v) WHERE e.v = ${json}::jsonb)))`;
  }

  private in(segments: string[], values: unknown[], root: string): string {
    if (values.length === 0) return 'FALSE';
    const fast = this.fast(segments, root);
    if (fast && values.every((v) => typeof v === fast.type)) {
      return `(${fast.sql} = ANY(${this.params.add(values)}::${fast.type === 'string' ? 'text' : 'numeric'}[]))`;
    }
    const path = jsonPath(segments);
    const scalars = values.filter((v) => isScalar(v) && v !== null) as Scalar[];
    const parts: string[] = [];
    if (scalars.length > 0) parts.push(this.pathExists(root, `${path} ? (${NOT_ARRAY} && (${scalars.map((s) => `@ == ${jsonLiteral(s)}`).join(' || ')}))`));
    if (values.includes(null)) parts.push(this.eq(segments, null, root));
    for (const v of values) if (!isScalar(v)) parts.push(this.eqDocument(path, v, root));
    return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  }

  private range(segments: string[], op: string, value: unknown, root: string): string {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw badQuery(`${op} on ${segments.join('.')} needs a number or a string`);
    }
    const fast = this.fast(segments, root);
    if (fast && typeof value === fast.type) return `(${fast.sql} ${RANGE[op]} ${this.params.add(value)}::${CAST[fast.type]})`;
    return this.pathExists(root, `${jsonPath(segments)} ? (${NOT_ARRAY} && @ ${RANGE[op]} ${jsonLiteral(value)})`);
  }

  private exists(segments: string[], operand: unknown, root: string): string {
    if (typeof operand !== 'boolean') throw badQuery(`$exists on ${segments.join('.')} must be true or false`);
    const sql = this.pathExists(root, jsonPath(segments));
    return operand ? sql : `NOT ${sql}`;
  }

  private regex(segments: string[], pattern: unknown, options: unknown, root: string): string {
    if (typeof pattern !== 'string') throw badQuery(`$regex on ${segments.join('.')} must be a string`);
    if (options !== undefined && typeof options !== 'string') throw badQuery('$options must be a string');
    return this.pathExists(root, `${jsonPath(segments)} ? (${NOT_ARRAY} && ${regexPredicate(pattern, options ?? '', this.limits.regexLength)})`);
  }

  /** Values at the path without unwrapping a final array: `$size`, `$elemMatch`, `$type: array`. */
  private overValues(segments: string[], root: string, where: (v: string) => string): string {
    const v = `x${++this.aliases}`;
    return `EXISTS (SELECT 1 FROM jsonb_path_query(${root}, ${this.params.add(jsonPath(segments))}::jsonpath) AS ${v}(v) WHERE ${where(`${v}.v`)})`;
  }

  private elemMatch(segments: string[], operand: unknown, root: string, depth: number): string {
    if (!isPlainObject(operand) || Object.keys(operand).length === 0) {
      throw badQuery(`$elemMatch on ${segments.join('.')} must be a non-empty object`);
    }
    const e = `e${++this.aliases}`;
    const keys = Object.keys(operand);
    const onElement = keys.every((k) => k.startsWith('$') && !LOGICAL.has(k));
    const condition = onElement
      ? this.elementOperators(operand, `${e}.v`, depth + 1)
      : `jsonb_typeof(${e}.v) = 'object' AND ${this.filter(operand, `${e}.v`, depth + 1)}`;
    return this.overValues(segments, root, (v) =>
      `jsonb_typeof(${v}) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(${v}) AS ${e}(v) WHERE ${condition})`);
  }

  /** Operators applied to an array element itself: the element is the root and the path is empty. */
  private elementOperators(ops: Record<string, unknown>, root: string, depth: number): string {
    return this.operators([], ops, root, depth);
  }

  private size(segments: string[], operand: unknown, root: string): string {
    if (!Number.isInteger(operand) || (operand as number) < 0) throw badQuery(`$size on ${segments.join('.')} must be a non-negative integer`);
    const n = this.params.add(operand);
    return this.overValues(segments, root, (v) => `jsonb_typeof(${v}) = 'array' AND jsonb_array_length(${v}) = ${n}::int`);
  }

  private all(segments: string[], operand: unknown, root: string, depth: number): string {
    const values = this.list(segments.join('.'), '$all', operand);
    if (values.length === 0) return 'FALSE';
    return `(${values.map((v) =>
      isPlainObject(v) && '$elemMatch' in v ? this.elemMatch(segments, v.$elemMatch, root, depth) : this.eq(segments, v, root)).join(' AND ')})`;
  }

  private type(segments: string[], operand: unknown, root: string): string {
    const wanted = (Array.isArray(operand) ? operand : [operand]).map((t) => {
      const name = typeof t === 'number' ? TYPE_CODES[t] : typeof t === 'string' ? TYPE_ALIASES[t] : undefined;
      if (!name) throw badQuery(`$type ${JSON.stringify(t)} is not supported`);
      return name;
    });
    if (wanted.length === 0) throw badQuery('$type needs at least one type');
    const parts = wanted.map((name) => {
      if (name === 'array') return this.overValues(segments, root, (v) => `jsonb_typeof(${v}) = 'array'`);
      const test = name === 'int' ? '@.type() == "number" && @ == @.floor()' : `@.type() == ${JSON.stringify(name)}`;
      return this.pathExists(root, `${jsonPath(segments)} ? (${test})`);
    });
    return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  }

  private mod(segments: string[], operand: unknown, root: string): string {
    if (!Array.isArray(operand) || operand.length !== 2 || !operand.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      throw badQuery(`$mod on ${segments.join('.')} must be [divisor, remainder]`);
    }
    // MongoDB truncates the divisor, the remainder and the value towards zero (64-bit integers).
    const [divisor, remainder] = (operand as number[]).map(Math.trunc);
    if (divisor === 0) throw badQuery('$mod divisor cannot be 0');
    const mod = (v: string) => `${v} % ${jsonLiteral(divisor)} == ${jsonLiteral(remainder)}`;
    return this.pathExists(root, `${jsonPath(segments)} ? (@.type() == "number" && ((@ >= 0 && ${mod('@.floor()')}) || (@ < 0 && ${mod('@.ceiling()')})))`);
  }
}
