import { ErrorCode, type Filter } from '@stratum/contracts';
import type { Principal } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlParams } from '../query/params.js';
import type { SqlExecutor } from '../store/types.js';
import type { Possession, Verb } from './policy.js';
import { zoneHolds, zoneSql, type Owned, type Zone } from './zones.js';

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

/** One matched grant's field limit, for the rows its possession reaches. */
export interface GrantLimit {
  possession: Possession;
  /** undefined: every field. */
  fields?: ReadonlySet<string>;
}

/** What the grant gate allows one operation on one collection. */
export interface AccessScope {
  /** Whose `own`, `share`, `group` and `client` the limits' possessions mean. */
  principal?: Principal;
  rows?: RowAccess;
  /**
   * The field limits of the matched grants (a read's `filter`, a write's `field`), each holding
   * only on the rows its own grant reaches: a grant's limit is never lifted on other rows by
   * another grant. undefined: no grant limits fields; empty: no grant, the core fields only.
   */
  limits?: readonly GrantLimit[];
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

const isReadable = (fields: ReadonlySet<string> | undefined, path: string): boolean => {
  if (!fields) return true;
  const dot = path.indexOf('.');
  const top = dot < 0 ? path : path.slice(0, dot);
  return ALWAYS_READABLE.has(top) || fields.has(top);
};

/** The fields of several grants together; undefined when one of them has no limit. */
function unionOf(limits: readonly GrantLimit[]): Set<string> | undefined {
  if (limits.some((limit) => !limit.fields)) return undefined;
  return new Set(limits.flatMap((limit) => [...limit.fields!]));
}

/**
 * The limits of the matched grants, or undefined when an unlimited unscoped grant lifts them on
 * every row. Scoped grants without limits are kept: a row none of them reaches (one a bulk
 * update reaches through another verb's grant) shows only its core fields.
 */
export function limitsOf(grants: readonly { possession: Possession; fields?: readonly string[] }[]): GrantLimit[] | undefined {
  if (grants.some((g) => g.possession === 'any' && !g.fields)) return undefined;
  return grants.map((g) => ({ possession: g.possession, fields: g.fields ? new Set(g.fields) : undefined }));
}

/**
 * The union of each combination of a scope's limits met so far, by the bitmask of the limits
 * that reach a row: the rows of one answer share a few combinations, so a row costs its zone
 * checks and a lookup, not a new set.
 */
const unions = new WeakMap<readonly GrantLimit[], Map<number, Set<string> | undefined>>();

/** Fields readable on one stored document: the union of the limits of the grants that reach it. */
export function readableAt(scope: AccessScope, stored: Owned): ReadonlySet<string> | undefined {
  const limits = scope.limits;
  if (!limits) return undefined;
  const principal = scope.principal;
  const reaches = (l: GrantLimit) => l.possession === 'any' || (principal !== undefined && zoneHolds(l.possession, principal, stored));
  if (limits.length > 30) return unionOf(limits.filter(reaches));
  let mask = 0;
  for (let i = 0; i < limits.length; i++) if (reaches(limits[i])) mask |= 1 << i;
  let byMask = unions.get(limits);
  if (!byMask) unions.set(limits, (byMask = new Map()));
  if (!byMask.has(mask)) byMask.set(mask, unionOf(limits.filter((_, i) => (mask & (1 << i)) !== 0)));
  return byMask.get(mask);
}

/**
 * What every row within `rows` is sure to be reached by, as alternatives of possessions held
 * together: zones are (own OR share) AND group AND client, a write's possessions are
 * alternatives, each with the caller's client.
 */
function guarantees(rows: RowAccess | undefined): Possession[][] {
  if (!rows) return [[]];
  const always: Possession[] = rows.zones?.filter((z) => z === 'group' || z === 'client') ?? [];
  if (rows.client) always.push('client');
  const either = rows.zones?.filter((z) => z === 'own' || z === 'share') ?? [];
  const options = rows.possessions && !rows.possessions.includes('any') ? rows.possessions : [];
  let alternatives: Possession[][] = [always];
  for (const choices of [either, options]) {
    if (choices.length > 0) alternatives = alternatives.flatMap((held) => choices.map((choice) => [...held, choice]));
  }
  return alternatives;
}

/**
 * Fields readable on every row a query within `rows` can touch, whatever the data: a filter or
 * sort on any other field would reveal it through which rows match. undefined: every field.
 */
function queryable(limits: readonly GrantLimit[], rows: RowAccess | undefined): Set<string> | undefined {
  let safe: Set<string> | undefined;
  for (const held of guarantees(rows)) {
    const fields = unionOf(limits.filter((l) => l.possession === 'any' || held.includes(l.possession)));
    if (fields) safe = safe ? new Set([...safe].filter((field) => fields.has(field))) : fields;
  }
  return safe;
}

/**
 * Filtering or sorting on a field the caller cannot read on every row it reaches would reveal
 * it: refused, naming the field. `within`: the access whose rows the query runs on, when not
 * the scope's own (a bulk update's filter runs on its update rows, under its read limits).
 */
export function assertQueryReadable(scope: AccessScope, filter: Filter, sortFields: string[], within: { rows?: RowAccess } = scope): void {
  if (!scope.limits) return;
  const safe = queryable(scope.limits, within.rows);
  if (!safe) return;
  const walk = (f: unknown): void => {
    if (!f || typeof f !== 'object') return;
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (Array.isArray(value)) value.forEach(walk);
      } else if (!key.startsWith('$') && !isReadable(safe, key)) {
        throw new DomainError(ErrorCode.FORBIDDEN, `${key} is not readable by the caller and cannot be queried`, [{ path: key, message: 'not readable' }]);
      }
    }
  };
  walk(filter);
  const hidden = sortFields.find((field) => !isReadable(safe, field));
  if (hidden) throw new DomainError(ErrorCode.FORBIDDEN, `${hidden} is not readable by the caller and cannot be sorted on`, [{ path: hidden, message: 'not readable' }]);
}

/** A document as shown (`shown`, after projection) cut down to what the caller may read of it as stored. */
export function limitReadable<T extends Record<string, unknown>>(scope: AccessScope, stored: Owned, shown: T): T {
  const readable = readableAt(scope, stored);
  if (!readable) return shown;
  // A copy only when a field goes: `shown` is the caller's own copy already.
  const keys = Object.keys(shown);
  const first = keys.findIndex((key) => !isReadable(readable, key));
  if (first < 0) return shown;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) if (i < first || (i > first && isReadable(readable, keys[i]))) out[keys[i]] = shown[keys[i]];
  return out as T;
}

function forbidden(field: string, message: string): DomainError {
  return new DomainError(ErrorCode.FORBIDDEN, message, [{ path: field, message: 'not writable by the caller' }]);
}

/**
 * The access of a write of these fields. Only grants whose `field` allows every one of them
 * count, each for its own rows; ownership fields need one of them to be unscoped. 403 when no
 * grant allows the write, naming the fields.
 */
export function writeAccess(scope: AccessScope, fields: string[]): AccessScope {
  const ownership = fields.find((field) => OWNERSHIP.includes(field));
  const data = fields.filter((field) => !OWNERSHIP.includes(field));
  const eligible = scope.limits?.filter((l) => !l.fields || data.every((field) => l.fields!.has(field)));
  if (eligible && eligible.length === 0) {
    const anyGrant = unionOf(scope.limits!) ?? new Set<string>();
    const denied = data.filter((field) => !anyGrant.has(field));
    if (denied.length > 0) {
      throw new DomainError(ErrorCode.FORBIDDEN, `the caller may not write ${denied.join(', ')}`, denied.map((path) => ({ path, message: 'not writable by the caller' })));
    }
    throw forbidden(data[0], `no single grant of the caller allows writing ${data.join(', ')} together`);
  }
  const unscoped = eligible ? eligible.some((l) => l.possession === 'any') : scope.unscoped;
  if (ownership && !unscoped) throw forbidden(ownership, `setting ${ownership} needs an unscoped grant`);
  if (!eligible) return scope;
  if (unscoped) return { ...scope, rows: undefined, limits: undefined, unscoped };
  const principal = scope.principal!;
  return { ...scope, limits: eligible, unscoped, rows: { principal, possessions: [...new Set(eligible.map((l) => l.possession))], client: principal.cid } };
}
