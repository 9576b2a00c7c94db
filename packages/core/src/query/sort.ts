import type { Sort } from '@stratum/contracts';
import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '../errors.js';
import type { FieldResolver } from './filter-compiler.js';
import type { SqlParams } from './params.js';

/** Columns that are NOT NULL and unique together with id: the only keys a keyset cursor can use. */
const KEYSET_COLUMNS = new Set(['id', 'created_at', 'version']);

export interface CompiledSort {
  orderBy: string;
  /** Present when the sort can continue after a document: the columns, in order, with direction. */
  keyset?: { column: string; direction: 1 | -1 }[];
}

function badSort(message: string): DomainError {
  return new DomainError(ErrorCode.INVALID_PAGINATION, message);
}

/**
 * Mongo sort order over JSON: missing/null < numbers < strings < objects < arrays < booleans.
 * Strings compare by code point (COLLATE "C"), as the query language does everywhere.
 */
function genericKeys(expr: string, dir: string, nulls: string): string[] {
  return [
    `CASE jsonb_typeof(${expr}) WHEN 'number' THEN 2 WHEN 'string' THEN 3 WHEN 'object' THEN 4 WHEN 'array' THEN 5 WHEN 'boolean' THEN 6 ELSE 1 END ${dir}`,
    `CASE WHEN jsonb_typeof(${expr}) = 'number' THEN (${expr})::numeric END ${dir} ${nulls}`,
    `CASE WHEN jsonb_typeof(${expr}) = 'string' THEN (${expr} #>> '{}') COLLATE "C" END ${dir} ${nulls}`,
    // Only objects, arrays and booleans compare as jsonb: a JSON null must tie with a missing value.
    `CASE WHEN jsonb_typeof(${expr}) IN ('object', 'array', 'boolean') THEN ${expr} END ${dir} ${nulls}`,
  ];
}

export function compileSort(sort: Sort, params: SqlParams, fields: FieldResolver): CompiledSort {
  const entries = Object.entries(sort);
  const keys: string[] = [];
  let keysetOk = true;
  for (const [field, direction] of entries) {
    if (direction !== 1 && direction !== -1) throw badSort(`sort direction of ${field} must be 1 or -1`);
    // As in filters, a segment starting with `$` or containing NUL is never a field name.
    if (field.includes('\u0000') || field.split('.').some((s) => s === '' || s.startsWith('$'))) {
      throw badSort(`cannot sort on ${JSON.stringify(field)}`);
    }
    const dir = direction === 1 ? 'ASC' : 'DESC';
    // Mongo puts missing and null first when ascending.
    const nulls = direction === 1 ? 'NULLS FIRST' : 'NULLS LAST';
    keysetOk &&= KEYSET_COLUMNS.has(field);
    const column = field.includes('.') ? undefined : fields.column(field);
    const known = column ?? (field.includes('.') ? undefined : fields.scalar(field));
    // A NOT NULL column needs no NULLS clause, and without one its index serves either direction.
    const notNull = column !== undefined && KEYSET_COLUMNS.has(field);
    if (known) keys.push(notNull ? `${known.sql} ${dir}` : `${known.sql} ${dir} ${nulls}`);
    else keys.push(...genericKeys(`(doc #> ${params.add(field.split('.'))}::text[])`, dir, nulls));
  }
  const withTiebreak = 'id' in sort ? entries : [...entries, ['id', 1] as [string, 1]];
  if (!('id' in sort)) keys.push('"id" ASC');
  return {
    orderBy: keys.join(', '),
    keyset: keysetOk ? withTiebreak.map(([column, direction]) => ({ column, direction: direction as 1 | -1 })) : undefined,
  };
}
