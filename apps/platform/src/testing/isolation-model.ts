import { randomInt } from 'node:crypto';

/**
 * The reference model of the isolation suite (auth/isolation.security.test.ts): who may do what to
 * which document, and what of it they see. Written from the rules of docs/access.md and the
 * suite's brief, never by calling the platform's access code, so that the two can disagree.
 */

// --- a small seeded PRNG ------------------------------------------------------------------------

/** mulberry32: 32 bits of state, good enough to choose test data, the same on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  /** Each item with probability p, in order. */
  subset<T>(items: readonly T[], p = 0.5): T[] {
    return items.filter(() => this.chance(p));
  }

  /** As subset, but never empty (for a non-empty list). */
  someOf<T>(items: readonly T[], p = 0.5): T[] {
    const out = this.subset(items, p);
    return out.length > 0 || items.length === 0 ? out : [this.pick(items)];
  }
}

/** STRATUM_TEST_SEED when set (an unsigned 32-bit integer), else a fresh random seed. */
export function seedOf(env: Record<string, string | undefined> = process.env): number {
  const raw = env.STRATUM_TEST_SEED;
  if (raw === undefined || raw.trim() === '') return randomInt(0, 2 ** 32 - 1);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`STRATUM_TEST_SEED must be an integer in [0, 2^32), got ${JSON.stringify(raw)}`);
  return n;
}

// --- the rules -----------------------------------------------------------------------------------

export type Verb = 'create' | 'read' | 'update' | 'delete';
export type Possession = 'own' | 'share' | 'group' | 'client' | 'any';
export type Zone = 'own' | 'share' | 'group' | 'client';
export const ZONES: readonly Zone[] = ['own', 'share', 'group', 'client'];
const VERBS: readonly Verb[] = ['create', 'read', 'update', 'delete'];

/** Returned whatever a grant's `filter` says. */
export const ALWAYS_READABLE: ReadonlySet<string> = new Set(['id', 'version', 'owner', 'shares', 'groups', 'clients', 'ref', 'created_at', 'updated_at', 'deleted_at']);
/** Fields whose writing needs an unscoped grant (and that `field` does not govern). */
const OWNERSHIP: ReadonlySet<string> = new Set(['owner', 'clients']);

/** A grant as sent to `POST /auth/grants`. */
export interface GrantSpec {
  subject: string;
  action: string;
  object: string;
  field?: string[];
  filter?: string[];
}

export interface TenantModel {
  /** The tenant's domain, which is also its id and the one group its users are in. */
  domain: string;
  /** Every grant of the tenant, the built-in `admin` one included. */
  grants: GrantSpec[];
}

export interface PrincipalModel {
  label: string;
  tenant: string;
  uid: string;
  /** Roles, as stored on the user: `role` or `role@domain`. */
  subjects: string[];
  /** The acting client: the token's, or the `x-client-id` coworker. */
  cid: string;
  /** The token's coworkers (its own client included). */
  coworkers: string[];
}

export interface DocModel {
  id: string;
  tenant: string;
  /** `service/collection`. */
  path: string;
  owner: string;
  shares: string[];
  groups: string[];
  clients: string[];
  /** The caller-chosen fields (key, value, tags, user, first_name…). */
  data: Record<string, unknown>;
  version: number;
  deleted: boolean;
  destroyed: boolean;
}

export const qualified = (subject: string, domain: string): string => (subject.includes('@') ? subject : `${subject}@${domain}`);

export function actionOf(action: string): { verbs: readonly Verb[]; possession: Possession } {
  const [verb, possession = 'any'] = action.split(':');
  return { verbs: verb === 'any' ? VERBS : [verb as Verb], possession: possession as Possession };
}

export function covers(object: string, path: string): boolean {
  const [service, collection] = path.split('/');
  return object === 'all' || object === `${service}:all` || object === `${service}:${collection}`;
}

/** One grant of the caller for a verb and collection, with its own limits (undefined: every field). */
export interface HeldGrant {
  possession: Possession;
  field?: ReadonlySet<string>;
  filter?: ReadonlySet<string>;
}

export interface Permission {
  can: boolean;
  possessions: ReadonlySet<Possession>;
  grants: HeldGrant[];
}

const limitOf = (fields: string[] | undefined) => (fields?.length ? new Set(fields) : undefined);

/** The grants of the caller's roles for this verb and collection, each kept with its own limits. */
export function permission(tenant: TenantModel, who: PrincipalModel, verb: Verb, path: string): Permission {
  const mine = new Set(who.subjects.map((s) => qualified(s, tenant.domain)));
  const matched = tenant.grants.filter((g) => mine.has(qualified(g.subject, tenant.domain)) && actionOf(g.action).verbs.includes(verb) && covers(g.object, path));
  const grants = matched.map((g) => ({ possession: actionOf(g.action).possession, field: limitOf(g.field), filter: limitOf(g.filter) }));
  return { can: grants.length > 0, possessions: new Set(grants.map((g) => g.possession)), grants };
}

export type ReadRule = { status: 403; why: string } | { status: 200; zones?: Zone[]; perm: Permission };

/** What a read of `path` reaches: 403, or the zones (undefined: the whole tenant) and the read grants. */
export function readRule(tenant: TenantModel, who: PrincipalModel, path: string, requested?: Zone[]): ReadRule {
  const perm = permission(tenant, who, 'read', path);
  if (!perm.can) return { status: 403, why: 'no read grant' };
  const unscoped = perm.possessions.has('any');
  if (requested) {
    const missing = requested.filter((z) => !unscoped && !perm.possessions.has(z));
    if (missing.length > 0) return { status: 403, why: `zone ${missing.join(',')} not held` };
    return { status: 200, zones: requested, perm };
  }
  if (unscoped) return { status: 200, perm };
  const held = ZONES.filter((z) => perm.possessions.has(z));
  const preferred = held.filter((z) => z === 'own' || z === 'share');
  return { status: 200, zones: preferred.length > 0 ? preferred : held, perm };
}

/** One possession (or zone) on its own: own, share, group or client. */
function holds(possession: Zone, who: PrincipalModel, doc: DocModel): boolean {
  switch (possession) {
    case 'own': return doc.owner === who.uid;
    case 'share': return doc.shares.includes(who.uid);
    case 'group': return doc.groups.includes(who.tenant);
    case 'client': return doc.clients.includes(who.cid);
  }
}

/** Whether a read under `rule` returns `doc`: same tenant, existing, live (unless asked), in the zones. */
export function sees(rule: ReadRule, who: PrincipalModel, doc: DocModel, includeDeleted = false): boolean {
  if (rule.status !== 200 || doc.tenant !== who.tenant || doc.destroyed || (doc.deleted && !includeDeleted)) return false;
  const zones = rule.zones;
  if (!zones) return true;
  const either = zones.filter((z) => z === 'own' || z === 'share');
  if (either.length > 0 && !either.some((z) => holds(z, who, doc))) return false;
  if (zones.includes('group') && !holds('group', who, doc)) return false;
  if (zones.includes('client') && !holds('client', who, doc)) return false;
  return true;
}

const grantReaches = (grant: HeldGrant, who: PrincipalModel, doc: DocModel) => grant.possession === 'any' || holds(grant.possession, who, doc);

/**
 * What a reader gets of `doc`: the fields of the `filter`s of the read grants that reach this
 * document, all of them if one has no filter. A grant never widens what another shows of rows
 * only the other reaches. No grant reaching it (or none at all): the core fields.
 */
export function readableOn(perm: Permission, who: PrincipalModel, doc: DocModel): ReadonlySet<string> | undefined {
  const reaching = perm.grants.filter((g) => grantReaches(g, who, doc));
  return reaching.some((g) => !g.filter) ? undefined : new Set(reaching.flatMap((g) => [...g.filter!]));
}

/** Every way a live document of the caller's tenant can stand to it: owned or not, shared or not, in its group or not, of its client or not. */
function standings(who: PrincipalModel): DocModel[] {
  const all: DocModel[] = [];
  for (let bits = 0; bits < 16; bits++) {
    all.push({
      id: `standing-${bits}`, tenant: who.tenant, path: '', data: {}, version: 1, deleted: false, destroyed: false,
      owner: bits & 1 ? who.uid : 'someone-else', shares: bits & 2 ? [who.uid] : [], groups: bits & 4 ? [who.tenant] : [], clients: bits & 8 ? [who.cid] : [],
    });
  }
  return all;
}

/**
 * The first of `fields` a query may not name: one some document it could touch (`admits`) does
 * not show the caller, judged on every standing such a document could have, not on the data
 * (else which documents match would reveal the field).
 */
export function hiddenField(fields: string[], perm: Permission, who: PrincipalModel, admits: (doc: DocModel) => boolean): string | undefined {
  const rows = standings(who).filter(admits);
  return fields.find((field) => rows.some((doc) => !fieldReadable(readableOn(perm, who, doc), field)));
}

/** The grants allowing a write of these fields: those whose `field` holds every one (ownership fields aside). */
function allowing(perm: Permission, fields: string[]): HeldGrant[] {
  const data = fields.filter((f) => !OWNERSHIP.has(f));
  return perm.grants.filter((g) => !g.field || data.every((f) => g.field!.has(f)));
}

/** Whether a write of `verb` (of `fields`) on an existing document reaches it: through a grant allowing those fields. */
export function reaches(perm: Permission, who: PrincipalModel, doc: DocModel, includeDeleted: boolean, fields: string[] = []): boolean {
  if (!perm.can || doc.tenant !== who.tenant || doc.destroyed || (doc.deleted && !includeDeleted)) return false;
  const grants = allowing(perm, fields);
  if (grants.some((g) => g.possession === 'any')) return true;
  return grants.some((g) => grantReaches(g, who, doc)) && doc.clients.includes(who.cid);
}

/** Why a write of these fields is refused (403), or undefined when one grant allows them all. */
export function writeRefusal(perm: Permission, fields: string[]): string | undefined {
  if (!perm.can) return 'no grant';
  const grants = allowing(perm, fields);
  if (grants.length === 0) return `no grant may write ${fields.filter((f) => !OWNERSHIP.has(f)).join(', ')}`;
  const ownership = fields.find((f) => OWNERSHIP.has(f));
  return ownership && !grants.some((g) => g.possession === 'any') ? `${ownership} needs an unscoped grant` : undefined;
}

export const fieldReadable = (readable: ReadonlySet<string> | undefined, field: string): boolean =>
  !readable || ALWAYS_READABLE.has(field.split('.')[0]) || readable.has(field.split('.')[0]);

/** What a caller allowed `readable` gets of a whole document, after an optional projection. */
export function viewOf(doc: Record<string, unknown>, readable: ReadonlySet<string> | undefined, projection?: Projection): Record<string, unknown> {
  let out = doc;
  if (projection) {
    out = projection.include
      ? Object.fromEntries(Object.entries(doc).filter(([k]) => k === 'id' || projection.fields.includes(k)))
      : Object.fromEntries(Object.entries(doc).filter(([k]) => !projection.fields.includes(k)));
  }
  return Object.fromEntries(Object.entries(out).filter(([k]) => fieldReadable(readable, k)));
}

export interface Projection {
  include: boolean;
  fields: string[];
}

// --- queries: the few Mongo forms the suite sends -----------------------------------------------

export type Query = Record<string, unknown>;

/** Every field a filter names, inside $and/$or/$nor too. */
export function queryFields(query: unknown): string[] {
  if (!query || typeof query !== 'object') return [];
  return Object.entries(query as Record<string, unknown>).flatMap(([key, value]) =>
    (key === '$and' || key === '$or' || key === '$nor' ? (Array.isArray(value) ? value.flatMap(queryFields) : []) : key.startsWith('$') ? [] : [key]));
}

function fieldMatches(actual: unknown, condition: unknown): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
    return Object.entries(condition as Record<string, unknown>).every(([op, operand]) => {
      switch (op) {
        case '$gte': return values.some((v) => typeof v === 'number' && typeof operand === 'number' && v >= operand);
        case '$lt': return values.some((v) => typeof v === 'number' && typeof operand === 'number' && v < operand);
        case '$in': return Array.isArray(operand) && values.some((v) => operand.includes(v));
        default: throw new Error(`the model does not know ${op}`);
      }
    });
  }
  return values.some((v) => v === condition);
}

/** Whether a document (its core and data fields, flat) matches one of the suite's filters. */
export function matches(doc: DocModel, query: Query): boolean {
  const flat: Record<string, unknown> = { ...doc.data, id: doc.id, owner: doc.owner, shares: doc.shares, groups: doc.groups, clients: doc.clients };
  return Object.entries(query).every(([key, value]) => {
    if (key === '$or') return (value as Query[]).some((q) => matches(doc, q));
    if (key === '$and') return (value as Query[]).every((q) => matches(doc, q));
    return fieldMatches(flat[key], value);
  });
}

// --- predictions of writes ------------------------------------------------------------------------

const union = (...lists: (readonly unknown[] | undefined)[]): string[] => [...new Set(lists.flatMap((l) => (l ?? []).map(String)))];

const CORE_BODY = new Set(['shares', 'groups', 'clients']);

/** The document a create of `body` by `who` makes (id to be filled in). */
export function created(who: PrincipalModel, path: string, body: Record<string, unknown>): Omit<DocModel, 'id'> {
  return {
    tenant: who.tenant, path,
    owner: who.uid,
    shares: union(body.shares as unknown[]),
    groups: union(body.groups as unknown[]),
    clients: union(body.clients as unknown[], [who.cid], who.coworkers),
    data: Object.fromEntries(Object.entries(body).filter(([k]) => !CORE_BODY.has(k))),
    version: 1, deleted: false, destroyed: false,
  };
}

/** The document after a PATCH of `body` (top-level fields replaced; clients keep the caller's). */
export function patched(doc: DocModel, who: PrincipalModel, body: Record<string, unknown>): DocModel {
  const next: DocModel = { ...doc, data: { ...doc.data }, version: doc.version + 1 };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'shares') next.shares = union(value as unknown[]);
    else if (key === 'groups') next.groups = union(value as unknown[]);
    else if (key === 'clients') next.clients = union(value as unknown[], [who.cid], who.coworkers);
    else next.data[key] = value;
  }
  return next;
}

/**
 * Ownership lists compared as sets: a create drops duplicates in `shares` and `groups`, a PATCH or
 * PATCH /bulk stores them as sent. Not an isolation matter (a duplicate grants nothing more).
 */
const sorted = (list: unknown): unknown => (Array.isArray(list) ? [...new Set(list.map(String))].sort() : list);

/** The modelled part of a stored document, comparable with `modelled(doc)`. */
export function modelledOfStored(stored: Record<string, unknown>, dataFields: readonly string[]): Record<string, unknown> {
  const data = Object.fromEntries(dataFields.filter((f) => f in stored).map((f) => [f, stored[f]]));
  return {
    id: stored.id, owner: stored.owner, shares: sorted(stored.shares ?? []), groups: sorted(stored.groups ?? []), clients: sorted(stored.clients ?? []),
    version: stored.version, deleted: stored.deleted_at !== undefined && stored.deleted_at !== null, data,
  };
}

/** A document as the suite compares it; `readable`: only the data fields a caller allowed those sees. */
export function modelled(doc: DocModel, readable?: ReadonlySet<string>): Record<string, unknown> {
  return {
    id: doc.id, owner: doc.owner, shares: sorted(doc.shares), groups: sorted(doc.groups), clients: sorted(doc.clients),
    version: doc.version, deleted: doc.deleted, data: Object.fromEntries(Object.entries(doc.data).filter(([k]) => fieldReadable(readable, k))),
  };
}
