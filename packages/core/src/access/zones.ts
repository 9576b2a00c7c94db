import { ErrorCode } from '@stratum/contracts';
import { actorOf, type Principal } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlParams } from '../query/params.js';
import type { Possession } from './policy.js';

/** Ownership zones of seed 003: whose documents a read reaches. */
export type Zone = 'own' | 'share' | 'group' | 'client';
const ZONES: readonly Zone[] = ['own', 'share', 'group', 'client'];
export const DEFAULT_ZONES: readonly Zone[] = ['own', 'share'];

/** Parses `own,share` (from `?zone=`, `x-zone` or the token); 400 naming an unknown zone. */
export function parseZones(raw: string): Zone[] {
  const zones = [...new Set(raw.split(',').map((z) => z.trim()).filter(Boolean))];
  const unknown = zones.find((z) => !ZONES.includes(z as Zone));
  if (unknown !== undefined || zones.length === 0) {
    throw new DomainError(ErrorCode.BAD_REQUEST, `zone must be a comma-separated list of ${ZONES.join(', ')}${unknown ? `, got ${JSON.stringify(unknown)}` : ''}`);
  }
  return zones as Zone[];
}

/**
 * The zones a read runs in: the ones asked for (or the default), each backed by a grant of that
 * possession. An unscoped grant (`any`) backs every zone, and without an explicit zone it reads
 * unrestricted. Returns undefined for no zone restriction.
 */
export function resolveZones(requested: Zone[] | undefined, possessions: ReadonlySet<Possession>): Zone[] | undefined {
  const unscoped = possessions.has('any');
  if (!requested) {
    if (unscoped) return undefined;
    const held = DEFAULT_ZONES.filter((z) => possessions.has(z));
    return held.length > 0 ? held : ZONES.filter((z) => possessions.has(z));
  }
  const missing = requested.filter((z) => !unscoped && !possessions.has(z));
  if (missing.length > 0) throw new DomainError(ErrorCode.FORBIDDEN, `zone ${missing.join(',')} is not backed by a grant of the caller (held: ${[...possessions].join(', ') || 'none'})`);
  return requested;
}

/**
 * The SQL of DESIGN 6.3 for a set of zones: (own OR share) AND group AND client, on the real
 * columns, with the caller's ids as bind parameters.
 */
export function zoneSql(zones: readonly Zone[], principal: Principal, params: SqlParams): string {
  const parts: string[] = [];
  const either: string[] = [];
  if (zones.includes('own')) either.push(`owner = ${params.add(actorOf(principal))}`);
  if (zones.includes('share')) either.push(`shares @> ARRAY[${params.add(actorOf(principal))}]::text[]`);
  if (either.length > 0) parts.push(`(${either.join(' OR ')})`);
  if (zones.includes('group')) parts.push(`groups && ${params.add(principal.groups)}::text[]`);
  if (zones.includes('client')) parts.push(`clients @> ARRAY[${params.add(principal.cid)}]::text[]`);
  return parts.length > 0 ? `(${parts.join(' AND ')})` : 'TRUE';
}

/** A stored document, whose ownership fields (owner, shares, groups, clients) the zones read. */
export type Owned = Readonly<Record<string, unknown>>;

const has = (list: unknown, value: string): boolean => Array.isArray(list) && list.includes(value);

/** Whether one zone (or possession) reaches a document: the SQL of `zoneSql` for one row, in memory. */
export function zoneHolds(zone: Zone, principal: Principal, doc: Owned): boolean {
  switch (zone) {
    case 'own': return doc.owner === actorOf(principal);
    case 'share': return has(doc.shares, actorOf(principal));
    case 'group': return Array.isArray(doc.groups) && principal.groups.some((group) => has(doc.groups, group));
    case 'client': return has(doc.clients, principal.cid);
  }
}
