import type { Secure } from '../auth/security-harness.js';
import {
  created, hiddenField, matches, modelled, modelledOfStored, patched, permission, queryFields, reaches, readableOn, writeRefusal,
  type DocModel, type Permission, type Rng, type Verb,
} from './isolation-model.js';
import { createBody, patchBody, randomQuery } from './isolation-random.js';
import {
  absorb, DATA_FIELDS, DATA_PATHS, docsOf, Findings, fmt, INCLUDE_DELETED, logEvent, nameOf, note, others, outcome, parseSse, principals,
  send, SHORT, syncTruth, type Actor, type Tenant, type World,
} from './isolation-world.js';

/**
 * The write checks of the isolation suite: creates and bulk creates, PATCH, DELETE, restore and
 * destroy by id, and PATCH /bulk, each answer and what it stored compared with the reference model.
 */

/** Creates in every data collection of every tenant by random principals, each compared with the model. */
export async function createDocuments(h: Secure, w: World, rng: Rng): Promise<void> {
  const f = new Findings('creates', w);
  for (const t of w.tenants) {
    for (const path of DATA_PATHS) {
      const target = rng.range(8, 14);
      const count = () => w.docs.filter((d) => d.tenant === t.domain && d.path === path).length;
      // Every principal tries once, then random ones until the collection holds `target` documents (the admin last).
      const first = principals(t);
      for (let attempt = 0; attempt < first.length || (count() < target && attempt < 6 * target); attempt++) {
        const who = attempt < first.length ? first[attempt] : attempt >= 3 * target ? t.admin : rng.chance(0.15) ? t.admin : rng.pick(t.users);
        const bodies = rng.chance(0.2) ? [createBody(rng, w, t, who, path), createBody(rng, w, t, who, path)] : [createBody(rng, w, t, who, path)];
        const bulk = bodies.length > 1;
        const perm = permission(t, who, 'create', path);
        const refusal = bodies.map((b) => writeRefusal(perm, Object.keys(b))).find(Boolean);
        const routeName = `POST /${path}${bulk ? '/bulk' : ''} ${fmt(bulk ? { items: bodies } : bodies[0])}`;
        const reply = await send(h, who, 'POST', `/${path}${bulk ? '/bulk' : ''}`, { body: bulk ? { items: bodies } : bodies[0] });
        f.same(who.label, routeName, refusal ? '403 FORBIDDEN' : '201', outcome(reply), refusal);
        note(w, `create${bulk ? ' bulk' : ''} ${refusal ? `403 (${refusal === 'no grant' ? 'no grant' : refusal.includes('unscoped') ? 'clients' : 'fields'})` : '201'}`);
        if (reply.status !== 201) continue;
        const made: Record<string, unknown>[] = bulk ? reply.body.items : [reply.body.data];
        made.forEach((stored, i) => {
          const doc: DocModel = { id: stored.id as string, ...created(who, path, bodies[i]) };
          w.names.set(doc.id, `${t.name}/${SHORT[path]}#${count()}`);
          // The answer shows what the caller may read of the document (its core fields without a read grant).
          const shown = readableOn(permission(t, who, 'read', path), who, doc);
          if (!refusal) f.same(who.label, routeName, modelled(doc, shown), modelledOfStored(stored, DATA_FIELDS[path]), `the created ${nameOf(w, doc.id)}`);
          absorb(doc, stored, doc.data);
          w.docs.push(doc);
          logEvent(w, doc, 'c', stored.version as number);
        });
      }
    }
  }
  await syncTruth(h, w, f, DATA_PATHS, 'after the creates');
  f.done();
}

type WriteOp = 'patch' | 'delete' | 'restore' | 'destroy';
const OPS: WriteOp[] = ['patch', 'patch', 'patch', 'delete', 'delete', 'restore', 'destroy'];
const VERB_OF: Record<WriteOp, Verb> = { patch: 'update', delete: 'delete', restore: 'update', destroy: 'delete' };

/** A document to write: often one the model says is reachable, sometimes another tenant's, else any. */
function pickTarget(rng: Rng, w: World, who: Actor, t: Tenant, path: string, verb: Verb): DocModel | undefined {
  const all = docsOf(w, path);
  const perm = permission(t, who, verb, path);
  const reachable = all.filter((d) => reaches(perm, who, d, true));
  const foreign = all.filter((d) => d.tenant !== t.domain);
  // Near misses: a possession without the caller's client in `clients`, or the client without a possession.
  const mine = all.filter((d) => d.tenant === t.domain);
  const unreached = perm.possessions.has('any') ? [] : mine.filter((d) => !reaches(perm, who, d, true));
  const withoutClient = unreached.filter((d) => reaches(perm, { ...who, cid: d.clients[0] }, d, true));
  const withoutPossession = unreached.filter((d) => d.clients.includes(who.cid));
  const roll = rng.int(100);
  if (roll < 30 && reachable.length > 0) return rng.pick(reachable);
  if (roll < 50 && withoutClient.length > 0) {
    note(w, `${verb} on a near miss: a possession held, the caller's client not in clients`);
    return rng.pick(withoutClient);
  }
  if (roll < 58 && withoutPossession.length > 0) {
    note(w, `${verb} on a near miss: the caller's client in clients, no possession`);
    return rng.pick(withoutPossession);
  }
  if (roll < 70 && foreign.length > 0) return rng.pick(foreign);
  return mine.length > 0 ? rng.pick(mine) : undefined;
}

/** The status a write by id should answer: 403 when refused, 404 out of reach, 409 for a delete or restore with nothing to do. */
function expectedOf(op: WriteOp, perm: Permission, who: Actor, doc: DocModel, withDeleted: boolean, body: Record<string, unknown> | undefined, refusal: string | undefined): string {
  if (refusal) return '403 FORBIDDEN';
  if (op === 'patch') return reaches(perm, who, doc, withDeleted, Object.keys(body!)) ? '200' : '404 NOT_FOUND';
  if (op === 'delete') return !reaches(perm, who, doc, withDeleted) ? '404 NOT_FOUND' : doc.deleted ? '409 CONFLICT' : '200';
  if (op === 'restore') return !reaches(perm, who, doc, true) ? '404 NOT_FOUND' : doc.deleted ? '200' : '409 CONFLICT';
  return reaches(perm, who, doc, true) ? '200' : '404 NOT_FOUND';
}

/** One write by id as `who`: `route`, or a random one (mostly among `held`); its answer and the stored document compared with the model. */
async function writeOnce(h: Secure, w: World, f: Findings, rng: Rng, t: Tenant, who: Actor, held: { op: WriteOp; path: string }[], route: WriteOp | undefined): Promise<void> {
  const candidates = route ? held.filter((c) => c.op === route) : held;
  const choice = candidates.length > 0 && rng.chance(0.7) ? rng.pick(candidates) : undefined;
  const op = route ?? choice?.op ?? rng.pick(OPS);
  const path = choice?.path ?? rng.pick(DATA_PATHS);
  const doc = pickTarget(rng, w, who, t, path, VERB_OF[op]);
  if (!doc) return;
  const perm = permission(t, who, VERB_OF[op], path);
  const withDeleted = (op === 'patch' || op === 'delete') && rng.chance(0.25);
  const body = op === 'patch' ? patchBody(rng, w, t, who, path) : undefined;
  const refusal = body ? writeRefusal(perm, Object.keys(body)) : perm.can ? undefined : 'no grant';
  const expected = expectedOf(op, perm, who, doc, withDeleted, body, refusal);
  const [method, suffix] = ({ patch: ['PATCH', ''], delete: ['DELETE', ''], restore: ['PUT', '/restore'], destroy: ['DELETE', '/destroy'] } as const)[op];
  const routeName = `${method} /${path}/${nameOf(w, doc.id)}${suffix}${body ? ` ${fmt(body)}` : ''}${withDeleted ? ' (with soft-deleted)' : ''}`;
  const state = `${doc.deleted ? 'soft-deleted' : doc.destroyed ? 'destroyed' : 'live'} v${doc.version}`;
  const reply = await send(h, who, method, `/${path}/${doc.id}${suffix}`, { body, headers: withDeleted ? INCLUDE_DELETED : {} });
  f.same(who.label, routeName, expected, outcome(reply), refusal ?? state);
  note(w, `${op} ${expected}${refusal ? ` (${refusal === 'no grant' ? 'no grant' : refusal.includes('unscoped') ? 'clients' : 'fields'})` : ''}`, expected === '404 NOT_FOUND' && doc.tenant !== t.domain && `${op} 404 for another tenant's document`,
    expected === '404 NOT_FOUND' && doc.tenant === t.domain && !doc.destroyed && `${op} 404 for a document of the tenant out of reach`,
    expected === '200' && !perm.possessions.has('any') && `${op} 200 through a possession`);
  if (reply.status !== 200) return;
  const stored = reply.body.data as Record<string, unknown>;
  if (op === 'destroy') {
    doc.destroyed = true;
    logEvent(w, doc, 'd');
    return;
  }
  const next = op === 'patch' ? patched(doc, who, body!) : { ...doc, version: doc.version + 1, deleted: op === 'delete' };
  const shown = readableOn(permission(t, who, 'read', path), who, next);
  if (expected === '200') f.same(who.label, routeName, modelled(next, shown), modelledOfStored(stored, DATA_FIELDS[path]), 'the answer');
  absorb(doc, stored, next.data);
  logEvent(w, doc, op === 'patch' ? 'u' : op === 'delete' ? 'd' : 'r', op === 'delete' ? undefined : doc.version);
}

/** PATCH, DELETE, restore and destroy by id as every principal, each compared with the model. */
export async function writeById(h: Secure, w: World, rng: Rng): Promise<void> {
  const f = new Findings('writes by id', w);
  for (const t of w.tenants) {
    for (const who of principals(t)) {
      // Mostly an operation and collection the principal holds a grant for (else most answers would be a plain 403).
      const held = OPS.flatMap((op) => DATA_PATHS.filter((path) => permission(t, who, VERB_OF[op], path).can).map((path) => ({ op, path })));
      // Each route once, then random ones.
      const routes: (WriteOp | undefined)[] = ['patch', 'delete', 'restore', 'destroy', ...Array<undefined>(who.isAdmin ? 1 : 6).fill(undefined)];
      for (const route of routes) await writeOnce(h, w, f, rng, t, who, held, route);
      // Another tenant's x-domain with this principal's token is refused before anything else.
      const other = rng.pick(others(w, t));
      const mine = w.docs.filter((d) => d.tenant === t.domain && !d.destroyed);
      if (mine.length > 0) {
        const doc = rng.pick(mine);
        const reply = await send(h, who, 'PATCH', `/${doc.path}/${doc.id}`, { body: { tags: ['x'] }, headers: { 'x-domain': other.domain } });
        f.same(who.label, `PATCH /${doc.path}/${nameOf(w, doc.id)} x-domain: ${other.name}`, '403 TENANT_MISMATCH', outcome(reply));
      }
    }
  }
  await syncTruth(h, w, f, DATA_PATHS, 'after the writes by id');
  f.done();
}

/** One PATCH /bulk per principal: status, total, and exactly which documents changed (by version). */
export async function writeBulk(h: Secure, w: World, rng: Rng): Promise<void> {
  const f = new Findings('bulk updates', w);
  for (const t of w.tenants) {
    for (const who of principals(t)) for (let n = who.isAdmin ? 1 : 3; n > 0; n--) {
      const updatable = DATA_PATHS.filter((p) => permission(t, who, 'update', p).can);
      const path = updatable.length > 0 && rng.chance(0.75) ? rng.pick(updatable) : rng.pick(DATA_PATHS);
      const query = randomQuery(rng, w, t, path);
      const body = patchBody(rng, w, t, who, path);
      if (Object.keys(body).length === 0) body.tags = ['bulk'];
      const perm = permission(t, who, 'update', path);
      const read = permission(t, who, 'read', path);
      const fields = Object.keys(body);
      const refusal = writeRefusal(perm, fields);
      // The filter of a bulk update reads the fields it names (the total tells what matched): it may name only what the
      // caller's read grants show on every document the update could reach; without a read grant, only core fields.
      const hidden = hiddenField(queryFields(query), read, who, (d) => reaches(perm, who, d, false, fields));
      const want = w.docs.filter((d) => d.path === path && reaches(perm, who, d, false, fields) && matches(d, query));
      const expected = refusal ? '403 FORBIDDEN' : hidden ? '403 FORBIDDEN' : '200';
      const routeName = `PATCH /${path}/bulk?query=${JSON.stringify(query)} ${fmt(body)}`;
      const reply = await send(h, who, 'PATCH', `/${path}/bulk?query=${encodeURIComponent(JSON.stringify(query))}`, { body });
      const ok = f.same(who.label, routeName, expected, outcome(reply), refusal ?? (hidden ? `${hidden} is not readable by the caller` : ''));
      const all = w.docs.filter((d) => d.path === path && d.tenant === t.domain && !d.deleted && !d.destroyed && matches(d, query));
      const missed = all.filter((d) => !reaches(perm, who, d, false, fields) && reaches(perm, { ...who, cid: d.clients[0] }, d, false, fields));
      note(w, `bulk ${expected}`, hidden && 'bulk 403 for a hidden field in the filter',
        expected === '200' && missed.length > 0 && 'bulk 200 passing over documents of a held possession but another client',
        expected === '200' && want.length > 0 && want.length < all.length && 'bulk 200 reaching part of the matching documents');
      if (ok && expected === '200') f.same(who.label, routeName, { total: want.length }, reply.body, `reachable and matching: ${want.map((d) => nameOf(w, d.id)).join(' ') || 'none'}`);
      // What changed, by version, in every tenant.
      const before = new Map(w.docs.map((d) => [d.id, d.version]));
      const predicted = new Map<string, DocModel>(reply.status === 200 ? want.map((d) => [d.id, patched(d, who, body)]) : []);
      for (const tenant of w.tenants) {
        const stored = parseSse((await send(h, tenant.admin, 'GET', `/${path}/cursor`, { headers: INCLUDE_DELETED })).text).docs;
        for (const s of stored) w.truth.set(s.id as string, s);
        const byId = new Map(stored.map((s) => [s.id as string, s]));
        const changed = w.docs.filter((d) => d.path === path && byId.has(d.id) && byId.get(d.id)!.version !== before.get(d.id)).map((d) => nameOf(w, d.id)).sort();
        f.same(who.label, routeName, [...predicted.keys()].filter((id) => w.docs.find((d) => d.id === id)!.tenant === tenant.domain).map((id) => nameOf(w, id)).sort(),
          changed, `documents of ${tenant.name} whose version changed`);
        for (const doc of w.docs.filter((d) => d.path === path && d.tenant === tenant.domain && byId.has(d.id))) {
          const s = byId.get(doc.id)!;
          const next = predicted.get(doc.id);
          if (next) f.same(who.label, routeName, modelled(next), modelledOfStored(s, DATA_FIELDS[path]), `${nameOf(w, doc.id)} as written`);
          if (s.version !== doc.version) logEvent(w, doc, 'u', s.version as number);
          absorb(doc, s);
        }
      }
    }
  }
  f.done();
}
