import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Reply, Secure } from '../auth/security-harness.js';
import { modelled, modelledOfStored, seedOf, type DocModel, type PrincipalModel, type TenantModel } from './isolation-model.js';

/**
 * The shared parts of the isolation suite (auth/isolation.security.test.ts): the world its phases
 * share (tenants, principals, documents, the events they should cause), names for messages, the
 * findings of a phase, requests as a principal, and the admins' view of what is stored.
 */

export const SEED = seedOf();
export const PASSWORD = 'isolation-user-password-1';


/** The collections the suite writes, with the fields it gives their documents. */
export const DATA_FIELDS: Record<string, readonly string[]> = {
  'special/stats': ['key', 'value', 'tags'],
  'context/settings': ['key', 'value', 'tags'],
  'identity/profiles': ['user', 'first_name', 'tags'],
};
export const DATA_PATHS = Object.keys(DATA_FIELDS);
export const USERS = 'identity/users';
/** Read by every principal: the data collections, and the users that profiles reference. */
export const READ_PATHS = [...DATA_PATHS, USERS];
export const SHORT: Record<string, string> = { 'special/stats': 'stats', 'context/settings': 'settings', 'identity/profiles': 'profiles', [USERS]: 'users' };

// --- the world -----------------------------------------------------------------------------------

export interface Actor extends PrincipalModel {
  token: string;
  /** Sent with every request (x-client-id when the actor acts as a coworker client). */
  headers: Record<string, string>;
  isAdmin: boolean;
}

export interface Tenant extends TenantModel {
  index: number;
  name: string;
  admin: Actor;
  users: Actor[];
  /** Client ids, the root client first. */
  clients: string[];
}

export interface LoggedEvent {
  path: string;
  id: string;
  op: string;
  version?: number;
}

export interface World {
  tenants: Tenant[];
  /** Every document the suite made in a data collection, destroyed ones included. */
  docs: DocModel[];
  /** The users of every tenant (admins included), as documents, read from the admins' view. */
  userDocs: DocModel[];
  /** The whole stored documents, as the tenants' admins read them. */
  truth: Map<string, Record<string, unknown>>;
  /** Short names for ids, for messages. */
  names: Map<string, string>;
  /** The writes that succeeded, per tenant: what the event feed must hold. */
  events: Map<string, LoggedEvent[]>;
  /** How often each kind of case came up, printed as a diagnostic: a run that never meets a case does not test it. */
  tally: Map<string, number>;
  /** The coworkers each client was given. */
  coworkers: Map<string, string[]>;
}

export function note(w: World, ...kinds: (string | false | undefined)[]): void {
  for (const kind of kinds) if (kind) w.tally.set(kind, (w.tally.get(kind) ?? 0) + 1);
}

export const principals = (t: Tenant): Actor[] => [t.admin, ...t.users];
export const others = (w: World, t: Tenant): Tenant[] => w.tenants.filter((o) => o !== t);
export const tenantOf = (w: World, who: PrincipalModel): Tenant => w.tenants.find((t) => t.domain === who.tenant)!;
export const docsOf = (w: World, path: string): DocModel[] => (path === USERS ? w.userDocs : w.docs.filter((d) => d.path === path));
export const nameOf = (w: World, id: unknown): string => w.names.get(String(id)) ?? String(id);

function describeTenant(w: World, t: Tenant): string {
  const grants = t.grants.map((g) => `    ${JSON.stringify(g)}`).join('\n');
  const users = t.users.map((u) => `    ${u.label} uid=${u.uid}`).join('\n');
  const clients = t.clients.map((c) => `${nameOf(w, c)}${w.coworkers.get(c)?.length ? ` (coworkers ${w.coworkers.get(c)!.map((x) => nameOf(w, x)).join(' ')})` : ''}`);
  return `  ${t.name} = ${t.domain}, clients ${clients.join(', ')}\n  grants:\n${grants}\n  users:\n${users}`;
}

// --- mismatches ----------------------------------------------------------------------------------

export function fmt(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/** Mismatches of one phase, reported together: each names the seed, the principal, the route, expected and actual. */
export class Findings {
  readonly list: string[] = [];

  constructor(private readonly phase: string, private readonly world: World) {}

  same(who: string, route: string, expected: unknown, actual: unknown, note = ''): boolean {
    if (isDeepStrictEqual(expected, actual)) return true;
    this.list.push(`[seed ${SEED}] ${who} ${route}${note ? ` (${note})` : ''}: expected ${fmt(expected)}, got ${fmt(actual)}`);
    return false;
  }


  done(): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, 30).map((m) => ` - ${m}`).join('\n');
    const more = this.list.length > 30 ? `\n …and ${this.list.length - 30} more` : '';
    const world = this.world.tenants.map((t) => describeTenant(this.world, t)).join('\n');
    assert.fail(`${this.list.length} mismatch(es) with the reference model in ${this.phase}; replay with STRATUM_TEST_SEED=${SEED}\n${shown}${more}\nworld:\n${world}`);
  }
}

// --- HTTP ----------------------------------------------------------------------------------------

export function send(h: Secure, who: Actor, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  return h.call(path, { method, token: who.token, body: options.body, headers: { ...who.headers, ...options.headers } });
}

/** `200`, or `403 FORBIDDEN`: the status, and the code of an error. */
export const outcome = (reply: Reply): string => (reply.status < 300 ? String(reply.status) : `${reply.status} ${reply.body?.code}`);

/** The documents of a cursor answer, and whether it ended with `event: end`. */
export function parseSse(text: string): { docs: Record<string, unknown>[]; ended: boolean } {
  const docs: Record<string, unknown>[] = [];
  let ended = false;
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n');
    if (lines.includes('event: end')) ended = true;
    else if (lines.some((l) => l.startsWith('event: '))) continue;
    for (const line of lines) if (line.startsWith('data: ') && !ended) docs.push(JSON.parse(line.slice(6)));
  }
  return { docs, ended };
}

export const INCLUDE_DELETED = { 'x-exclude-soft-delete-query': 'true' };

// --- the admins' view: what is stored ------------------------------------------------------------

/** Replaces the modelled fields of a document by what is stored. */
/** Takes the server's stamps into the model; `data`: the model's own, when the answer showed the caller only part of it. */
export function absorb(doc: DocModel, stored: Record<string, unknown>, data?: Record<string, unknown>): void {
  const m = modelledOfStored(stored, DATA_FIELDS[doc.path] ?? []);
  doc.owner = m.owner as string;
  doc.shares = m.shares as string[];
  doc.groups = m.groups as string[];
  doc.clients = m.clients as string[];
  doc.version = m.version as number;
  doc.deleted = m.deleted as boolean;
  doc.data = data ?? (m.data as Record<string, unknown>);
}

/**
 * Reads every document of `paths` as each tenant's admin (soft-deleted ones too) and compares the
 * data collections with the model; a difference is a finding, and the model follows what is stored.
 */
export async function syncTruth(h: Secure, w: World, f: Findings, paths: string[], who = 'admin view'): Promise<void> {
  for (const t of w.tenants) {
    for (const path of paths) {
      const reply = await send(h, t.admin, 'GET', `/${path}/cursor`, { headers: INCLUDE_DELETED });
      assert.equal(reply.status, 200, reply.text);
      const { docs: stored, ended } = parseSse(reply.text);
      assert.ok(ended, `the admin's cursor of ${path} ends with event: end`);
      for (const doc of stored) w.truth.set(doc.id as string, doc);
      if (path === USERS) {
        w.userDocs = w.userDocs.filter((u) => u.tenant !== t.domain);
        for (const doc of stored) {
          const m = modelledOfStored(doc, []);
          w.userDocs.push({
            id: doc.id as string, tenant: t.domain, path, owner: m.owner as string, shares: m.shares as string[], groups: m.groups as string[],
            clients: m.clients as string[], data: doc, version: doc.version as number, deleted: m.deleted as boolean, destroyed: false,
          });
        }
        const expected = [...new Set(principals(t).map((p) => nameOf(w, p.uid)))].sort();
        f.same(`${t.name}/admin`, `GET /${path}/cursor`, expected, stored.map((d) => nameOf(w, d.id)).sort(), 'the tenant\'s users');
        continue;
      }
      const mine = w.docs.filter((d) => d.tenant === t.domain && d.path === path && !d.destroyed);
      f.same(`${t.name}/admin`, `GET /${path}/cursor`, mine.map((d) => nameOf(w, d.id)).sort(), stored.map((d) => nameOf(w, d.id)).sort(), `${who}: ids`);
      const byId = new Map(stored.map((d) => [d.id as string, d]));
      for (const doc of mine) {
        const found = byId.get(doc.id);
        if (!found) {
          doc.destroyed = true;
          continue;
        }
        if (!f.same(`${t.name}/admin`, `GET /${path}/cursor`, modelled(doc), modelledOfStored(found, DATA_FIELDS[path]), `${who}: ${nameOf(w, doc.id)}`)) absorb(doc, found);
      }
    }
  }
}

export function logEvent(w: World, doc: DocModel, op: string, version?: number): void {
  w.events.get(doc.tenant)!.push({ path: doc.path, id: doc.id, op, version });
}
