import { ErrorCode, type Filter } from '@stratum/contracts';
import type { Limits } from '../config.js';
import type { TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import { FilterCompiler, type FieldResolver } from '../query/filter-compiler.js';
import { SqlParams } from '../query/params.js';
import type { ReadOptions } from '../query/read-options.js';
import { compileSort } from '../query/sort.js';
import { fieldExpression, quoteIdent } from './ddl.js';
import type { RegisteredCollection } from './registry.js';
import { andRows, type RowAccess } from '../access/access-scope.js';

const FILTER_COLUMNS: Record<string, { sql: string; type: 'string' | 'number' }> = {
  id: { sql: '"id"', type: 'string' },
  owner: { sql: '"owner"', type: 'string' },
  ref: { sql: '"ref"', type: 'string' },
  version: { sql: '"version"', type: 'number' },
};
const SORT_COLUMNS: Record<string, { sql: string; type: 'string' | 'number' }> = {
  ...FILTER_COLUMNS,
  owner: { sql: '"owner" COLLATE "C"', type: 'string' },
  ref: { sql: '"ref" COLLATE "C"', type: 'string' },
  created_at: { sql: '"created_at"', type: 'string' },
};

function resolver(reg: RegisteredCollection, columns: typeof FILTER_COLUMNS): FieldResolver {
  return {
    column: (field) => columns[field],
    scalar: (field) => {
      const type = reg.scalarFields.get(field);
      return type ? { sql: fieldExpression(reg.def, field), type } : undefined;
    },
  };
}

/** Every query of a collection starts here: tenant first, live documents unless asked otherwise. */
export interface Scope {
  tenant: TenantId;
  includeDeleted: boolean;
  /** The rows the caller's grants reach (zones, possessions, client), merged into the WHERE. */
  rows?: RowAccess;
}

export interface CompiledWhere {
  params: SqlParams;
  where: string;
}

function assertReadable(reg: RegisteredCollection, filter: Filter): void {
  const walk = (f: unknown): void => {
    if (!f || typeof f !== 'object') return;
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (Array.isArray(value)) value.forEach(walk);
      } else if (reg.writeOnly.has(key.split('.')[0])) {
        throw new DomainError(ErrorCode.FORBIDDEN, `${key} is write-only and cannot be queried`);
      }
    }
  };
  walk(filter);
}

export function compileWhere(reg: RegisteredCollection, scope: Scope, filter: Filter, limits: Limits): CompiledWhere {
  assertReadable(reg, filter);
  const params = new SqlParams();
  const tenant = params.add(scope.tenant);
  const compiled = new FilterCompiler(params, limits, resolver(reg, FILTER_COLUMNS)).compile(filter);
  const live = scope.includeDeleted ? '' : ' AND deleted_at IS NULL';
  return { params, where: `tenant_id = ${tenant}${live}${andRows(scope.rows, params)} AND ${compiled}` };
}

/** `?ref=` is a plain equality on the document's `ref`, added to the caller's filter. */
export function filterWithRef(options: Pick<ReadOptions, 'filter' | 'ref'>): Filter {
  return options.ref === undefined ? options.filter : { $and: [options.filter, { ref: options.ref }] };
}

export interface CompiledSelect {
  sql: string;
  params: unknown[];
}

/** SELECT for find and cursor: filter, sort, keyset `after`, and (for pages) limit and offset. */
export function compileSelect(reg: RegisteredCollection, scope: Scope, options: ReadOptions, limits: Limits, paged: boolean): CompiledSelect {
  const { params, where } = compileWhere(reg, scope, filterWithRef(options), limits);
  for (const field of Object.keys(options.sort)) {
    if (reg.writeOnly.has(field.split('.')[0])) throw new DomainError(ErrorCode.FORBIDDEN, `${field} is write-only and cannot be sorted on`);
  }
  const sort = compileSort(options.sort, params, resolver(reg, SORT_COLUMNS));
  const table = quoteIdent(reg.table);
  let keyset = '';
  if (options.after) {
    if (!sort.keyset) {
      throw new DomainError(ErrorCode.INVALID_PAGINATION, 'after works with a sort on id, created_at or version only; use skip for other sorts');
    }
    const anchor = `(SELECT ${sort.keyset.map((k) => quoteIdent(k.column)).join(', ')} FROM ${table} WHERE tenant_id = $1 AND id = ${params.add(options.after)})`;
    keyset = ` AND ${keysetCondition(sort.keyset, anchor)}`;
  }
  let sql = `SELECT doc FROM ${table} WHERE ${where}${keyset} ORDER BY ${sort.orderBy}`;
  if (paged) sql += ` LIMIT ${params.add(options.limit)} OFFSET ${params.add(options.skip)}`;
  return { sql, params: params.values };
}

/** (k1, k2, …) strictly after the anchor row, each key in its own direction. */
function keysetCondition(keys: { column: string; direction: 1 | -1 }[], anchor: string): string {
  const ors: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const equal = keys.slice(0, i).map((k) => `${quoteIdent(k.column)} = (SELECT ${quoteIdent(k.column)} FROM ${anchor} a)`);
    const k = keys[i];
    const op = k.direction === 1 ? '>' : '<';
    ors.push([...equal, `${quoteIdent(k.column)} ${op} (SELECT ${quoteIdent(k.column)} FROM ${anchor} a)`].join(' AND '));
  }
  return `(${ors.map((o) => `(${o})`).join(' OR ')})`;
}
