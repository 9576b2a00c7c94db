import type { Secure } from '../auth/security-harness.js';
import {
  hiddenField, matches, queryFields, readableOn, readRule, sees, viewOf, ZONES,
  type DocModel, type Projection, type Query, type ReadRule, type Rng, type Zone,
} from './isolation-model.js';
import { randomProjection, randomQuery, randomSort } from './isolation-random.js';
import {
  docsOf, Findings, INCLUDE_DELETED, nameOf, note, outcome, parseSse, principals, READ_PATHS, send, syncTruth, tenantOf, USERS,
  type Actor, type World,
} from './isolation-world.js';

/**
 * The read checks of the isolation suite: find, count, cursor, by id, ?after= and populate, as every
 * principal, each answer compared with the reference model.
 */

interface ListOptions {
  query?: Query;
  sort?: string;
  projection?: Projection;
  zones?: Zone[];
  zoneHeader?: boolean;
  includeDeleted?: boolean;
  populate?: boolean;
}

const sortFields = (sort: string | undefined): string[] => (sort ? sort.split(',').map((s) => s.replace(/^[-+]/, '')) : []);

/** What the caller sees of `doc`, populated references included. */
function expectedView(w: World, who: Actor, rule: ReadRule & { status: 200 }, doc: DocModel, options: Pick<ListOptions, 'projection' | 'populate'>): Record<string, unknown> {
  const view = viewOf(w.truth.get(doc.id)!, readableOn(rule.perm, who, doc), options.projection);
  if (options.populate && 'user' in view) {
    const t = tenantOf(w, who);
    const target = w.userDocs.find((u) => u.id === view.user);
    const users = readRule(t, who, USERS);
    view.user = target && users.status === 200 && sees(users, who, target) ? viewOf(w.truth.get(target.id)!, readableOn(users.perm, who, target)) : null;
  }
  return view;
}

/** One find, count or cursor as `who`, compared with the model: status, ids, and every returned field. */
async function checkList(h: Secure, w: World, f: Findings, who: Actor, path: string, route: 'find' | 'count' | 'cursor', o: ListOptions = {}): Promise<void> {
  const t = tenantOf(w, who);
  const params = new URLSearchParams();
  if (route === 'find') params.set('limit', '50');
  if (o.query) params.set('query', JSON.stringify(o.query));
  if (o.sort) params.set('sort', o.sort);
  if (o.projection) params.set('projection', o.projection.fields.map((p) => (o.projection!.include ? p : `-${p}`)).join(','));
  if (o.populate) params.set('populate', 'user');
  const headers: Record<string, string> = o.includeDeleted ? { ...INCLUDE_DELETED } : {};
  if (o.zones && o.zoneHeader) headers['x-zone'] = o.zones.join(',');
  else if (o.zones) params.set('zone', o.zones.join(','));
  const url = `/${path}${route === 'find' ? '' : `/${route}`}?${params}`;
  const routeName = `GET ${decodeURIComponent(url)}${o.zoneHeader ? ` x-zone: ${o.zones}` : ''}${o.includeDeleted ? ' (with soft-deleted)' : ''}`;
  const reply = await send(h, who, 'GET', url, { headers });

  const rule = readRule(t, who, path, o.zones);
  const hidden = rule.status === 200 ? hiddenField([...queryFields(o.query ?? {}), ...sortFields(o.sort)], rule.perm, who, (d) => sees(rule, who, d)) : undefined;
  const expected = rule.status === 403 || hidden ? '403 FORBIDDEN' : '200';
  note(w, `${route} ${expected}`, rule.status === 403 && o.zones && rule.why !== 'no read grant' && `${route} 403 for a zone not held`,
    hidden && `${route} 403 for a hidden field in the query or sort`);
  if (!f.same(who.label, routeName, expected, outcome(reply), rule.status === 403 ? rule.why : hidden ? `${hidden} is not readable` : '')) return;
  if (rule.status !== 200 || hidden) return;

  const want = docsOf(w, path).filter((d) => sees(rule, who, d, o.includeDeleted) && matches(d, o.query ?? {}));
  const tenantDocs = docsOf(w, path).filter((d) => d.tenant === t.domain && !d.destroyed && (o.includeDeleted || !d.deleted) && matches(d, o.query ?? {}));
  note(w, rule.zones && `${route} restricted to zones ${rule.zones.join(',')}${o.zones ? '' : ' (default)'}`, want.length > 0 && want.length < tenantDocs.length && `${route} returning part of the tenant`,
    want.some((d) => readableOn(rule.perm, who, d)) && route !== 'count' && `${route} with filtered fields`,
    want.some((d) => readableOn(rule.perm, who, d)) && want.some((d) => !readableOn(rule.perm, who, d)) && `${route} with fields filtered on some documents only`, o.includeDeleted && want.some((d) => d.deleted) && `${route} with soft-deleted documents`,
    o.populate && want.length > 0 && `${route} populated`);
  if (route === 'count') {
    f.same(who.label, routeName, { total: want.length }, reply.body, `ids ${want.map((d) => nameOf(w, d.id)).join(' ')}`);
    return;
  }
  let items: Record<string, unknown>[];
  if (route === 'find') items = reply.body.items;
  else {
    const parsed = parseSse(reply.text);
    f.same(who.label, routeName, true, parsed.ended, 'the stream ends with event: end');
    items = parsed.docs;
  }
  const wantNames = want.map((d) => nameOf(w, d.id)).sort();
  const gotNames = items.map((d) => nameOf(w, d.id)).sort();
  if (!f.same(who.label, routeName, wantNames, gotNames, 'ids')) return;
  const byId = new Map(items.map((d) => [d.id as string, d]));
  for (const doc of want) f.same(who.label, routeName, expectedView(w, who, rule, doc, o), byId.get(doc.id), `fields of ${nameOf(w, doc.id)}`);
}

/** GET /:id as `who`: 403 without a read grant, the caller's view when the document is in its zones, else 404. */
async function checkById(h: Secure, w: World, f: Findings, who: Actor, doc: DocModel, includeDeleted: boolean, populate = false): Promise<void> {
  const t = tenantOf(w, who);
  const url = `/${doc.path}/${doc.id}${populate ? '?populate=user' : ''}`;
  const routeName = `GET /${doc.path}/${nameOf(w, doc.id)}${populate ? '?populate=user' : ''}${includeDeleted ? ' (with soft-deleted)' : ''}`;
  const reply = await send(h, who, 'GET', url, { headers: includeDeleted ? INCLUDE_DELETED : {} });
  const rule = readRule(t, who, doc.path);
  const expected = rule.status === 403 ? '403 FORBIDDEN' : sees(rule, who, doc, includeDeleted) ? '200' : '404 NOT_FOUND';
  note(w, `by id ${expected}`, expected === '404 NOT_FOUND' && doc.tenant !== t.domain && 'by id 404 for another tenant\'s document',
    expected === '404 NOT_FOUND' && doc.tenant === t.domain && !doc.deleted && !doc.destroyed && 'by id 404 for a live document outside the zones',
    expected === '200' && rule.status === 200 && readableOn(rule.perm, who, doc) && 'by id with filtered fields', populate && `populate by id ${expected}`);
  if (!f.same(who.label, routeName, expected, outcome(reply), rule.status === 403 ? rule.why : '')) return;
  if (expected === '200' && rule.status === 200) f.same(who.label, routeName, expectedView(w, who, rule, doc, { populate }), reply.body.data, 'fields');
}

/**
 * GET ?after=<anchor>&sort=id: the visible documents after the anchor. An anchor the caller cannot
 * see (another tenant's, destroyed, outside the zones) does not exist for it: 400.
 */
async function checkAfter(h: Secure, w: World, f: Findings, who: Actor, anchor: DocModel): Promise<void> {
  const t = tenantOf(w, who);
  const rule = readRule(t, who, anchor.path);
  const routeName = `GET /${anchor.path}?after=${nameOf(w, anchor.id)}&sort=id`;
  const reply = await send(h, who, 'GET', `/${anchor.path}?after=${anchor.id}&sort=id&limit=50`);
  // A soft-deleted anchor keeps its place: a page may end on a document deleted since.
  const inZones = sees(rule, who, anchor, true);
  const expected = rule.status === 403 ? '403 FORBIDDEN' : inZones ? '200' : '400 INVALID_PAGINATION';
  note(w, `after ${expected}`, anchor.deleted && inZones && 'after a soft-deleted anchor');
  if (!f.same(who.label, routeName, expected, outcome(reply)) || expected !== '200' || rule.status !== 200) return;
  const want = docsOf(w, anchor.path).filter((d) => sees(rule, who, d) && d.id > anchor.id).sort((a, b) => (a.id < b.id ? -1 : 1)).map((d) => nameOf(w, d.id));
  f.same(who.label, routeName, want, reply.body.items.map((d: { id: string }) => nameOf(w, d.id)), 'ids, in order');
}

/** Every read route of every readable collection, as every principal. */
export async function checkReads(h: Secure, w: World, rng: Rng, phase: string): Promise<void> {
  const f = new Findings(phase, w);
  await syncTruth(h, w, f, READ_PATHS);
  for (const t of w.tenants) {
    for (const who of principals(t)) {
      for (const path of READ_PATHS) {
        await checkList(h, w, f, who, path, 'find');
        await checkList(h, w, f, who, path, 'count');
        await checkList(h, w, f, who, path, 'cursor');
        await checkList(h, w, f, who, path, 'find', { query: randomQuery(rng, w, t, path), sort: randomSort(rng, path), projection: randomProjection(rng, path) });
        await checkList(h, w, f, who, path, 'count', { query: randomQuery(rng, w, t, path) });
        await checkList(h, w, f, who, path, 'cursor', { query: randomQuery(rng, w, t, path), sort: randomSort(rng, path) });
        await checkList(h, w, f, who, path, rng.pick(['find', 'count', 'cursor'] as const), { zones: rng.someOf(ZONES, 0.35), zoneHeader: rng.chance(0.3) });
        await checkList(h, w, f, who, path, rng.pick(['find', 'count'] as const), { includeDeleted: true, query: rng.chance(0.5) ? randomQuery(rng, w, t, path) : undefined });
        // By id: every document of the tenant (soft-deleted and destroyed ones too), and some of the others'.
        const all = docsOf(w, path);
        const foreign = all.filter((d) => d.tenant !== t.domain);
        const targets = [...all.filter((d) => d.tenant === t.domain), ...Array.from({ length: Math.min(3, foreign.length) }, () => rng.pick(foreign))];
        for (const doc of targets) await checkById(h, w, f, who, doc, doc.deleted && rng.chance(0.6));
        if (targets.length > 0) await checkAfter(h, w, f, who, rng.pick(targets));
      }
    }
  }
  f.done();
}

export async function checkPopulate(h: Secure, w: World, rng: Rng): Promise<void> {
  const f = new Findings('populate', w);
  await syncTruth(h, w, f, READ_PATHS);
  for (const t of w.tenants) {
    for (const who of principals(t)) {
      await checkList(h, w, f, who, 'identity/profiles', 'find', { populate: true });
      await checkList(h, w, f, who, 'identity/profiles', 'cursor', { populate: true, query: rng.chance(0.5) ? randomQuery(rng, w, t, 'identity/profiles') : undefined });
      const profiles = docsOf(w, 'identity/profiles');
      for (let n = 0; n < 4; n++) await checkById(h, w, f, who, rng.pick(profiles), false, true);
    }
  }
  f.done();
}
