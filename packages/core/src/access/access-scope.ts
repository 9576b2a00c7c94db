import { ErrorCode, type Filter } from '@stratum/contracts';
import type { Principal } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlParams } from '../query/params.js';
import type { SqlExecutor } from '../store/types.js';
import type { Possession, Verb } from './policy.js';
import { zoneSql, type Zone } from './zones.js';

/** Which rows an operation may touch, beyond the tenant. */
export interface RowAccess {
  principal: Principal;
  /** A read's zones: (own OR share) AND group AND client (DESIGN 6.3). */
  zones?: Zone[];
  /** A write's possessions: a row qualifies through any one of them (update:own, delete:group…). */
  possessions?: Possession[];
  /** Writes need the caller's client in the row's `clients` (DESIGN 6.3). */
  client?: string;
}

/** What the grant gate allows one operation on one collection. */
export interface AccessScope {
  rows?: RowAccess;
  /** Fields a write may set; undefined: any. */
  writable?: ReadonlySet<string>;
  /** Fields a read returns and may filter or sort on; undefined: all. */
  readable?: ReadonlySet<string>;
  /** An unscoped grant: the caller may set ownership fields (owner, clients). */
  unscoped: boolean;
}

export const UNRESTRICTED: AccessScope = { unscoped: true };

/** Decides per collection and verb; throws 403 when no grant allows it. Made per request. */
export interface AccessResolver {
  /** `db`: the caller's transaction, if in one, for the policy lookup. */
  resolve(service: string, collection: string, verb: Verb, db?: SqlExecutor): Promise<AccessScope>;
}

function possessionSql(possession: Possession, principal: Principal, params: SqlParams): string {
  if (possession === 'any') return 'TRUE';
  return zoneSql([possession], principal, params);
}

/** The row restriction as SQL on the real ownership columns, with bind parameters. */
export function accessSql(rows: RowAccess, params: SqlParams): string {
  const parts: string[] = [];
  if (rows.zones) parts.push(zoneSql(rows.zones, rows.principal, params));
  if (rows.possessions) parts.push(`(${rows.possessions.map((p) => possessionSql(p, rows.principal, params)).join(' OR ')})`);
  if (rows.client) parts.push(`clients @> ARRAY[${params.add(rows.client)}]::text[]`);
  return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
}

/** ` AND <restriction>` to append to a WHERE, or nothing when the rows are unrestricted. */
export function andRows(rows: RowAccess | undefined, params: SqlParams): string {
  return rows ? ` AND ${accessSql(rows, params)}` : '';
}

/** Core fields every reader sees: identity, ownership and lifecycle are not field-ruled. */
const ALWAYS_READABLE = new Set(['id', 'version', 'owner', 'shares', 'groups', 'clients', 'ref', 'created_at', 'updated_at', 'deleted_at']);
// DESIGN 6.4: who owns a document and which clients see it are the platform's to set, unless an unscoped grant allows.
const OWNERSHIP = ['owner', 'clients'];

export function fieldReadable(scope: AccessScope, path: string): boolean {
  const top = path.split('.')[0];
  return !scope.readable || ALWAYS_READABLE.has(top) || scope.readable.has(top);
}

/** Filtering or sorting on a field the caller cannot read would reveal it: refused, naming the field. */
export function assertQueryReadable(scope: AccessScope, filter: Filter, sortFields: string[]): void {
  if (!scope.readable) return;
  const walk = (f: unknown): void => {
    if (!f || typeof f !== 'object') return;
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (Array.isArray(value)) value.forEach(walk);
      } else if (!key.startsWith('$') && !fieldReadable(scope, key)) {
        throw new DomainError(ErrorCode.FORBIDDEN, `${key} is not readable by the caller and cannot be queried`, [{ path: key, message: 'not readable' }]);
      }
    }
  };
  walk(filter);
  const hidden = sortFields.find((field) => !fieldReadable(scope, field));
  if (hidden) throw new DomainError(ErrorCode.FORBIDDEN, `${hidden} is not readable by the caller and cannot be sorted on`, [{ path: hidden, message: 'not readable' }]);
}

/** A document cut down to the fields the caller may read. */
export function limitReadable<T extends Record<string, unknown>>(scope: AccessScope, doc: T): T {
  if (!scope.readable) return doc;
  return Object.fromEntries(Object.entries(doc).filter(([key]) => fieldReadable(scope, key))) as T;
}

/** A write may set only its grant's fields, and ownership fields only with an unscoped grant. */
export function assertWritable(scope: AccessScope, fields: string[]): void {
  const ownership = fields.find((field) => OWNERSHIP.includes(field));
  if (ownership && !scope.unscoped) {
    throw new DomainError(ErrorCode.FORBIDDEN, `setting ${ownership} needs an unscoped grant`, [{ path: ownership, message: 'not writable by the caller' }]);
  }
  const denied = scope.writable ? fields.filter((field) => !OWNERSHIP.includes(field) && !scope.writable!.has(field)) : [];
  if (denied.length > 0) {
    throw new DomainError(ErrorCode.FORBIDDEN, `the caller may not write ${denied.join(', ')}`, denied.map((path) => ({ path, message: 'not writable by the caller' })));
  }
}
