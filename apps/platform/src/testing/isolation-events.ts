import assert from 'node:assert/strict';
import { uniqueName, type Secure } from '../auth/security-harness.js';
import { permission, readRule, type GrantSpec } from './isolation-model.js';
import {
  DATA_PATHS, Findings, nameOf, note, others, outcome, PASSWORD, principals, send, syncTruth, type Actor, type World,
} from './isolation-world.js';

/**
 * The isolation suite's checks of the event feed and of another tenant's x-domain, and the
 * reproductions of the leaks it found.
 */

/** Every event the principal may read, page by page. */
async function feedOf(h: Secure, who: Actor): Promise<{ status: string; items: Record<string, any>[] }> {
  const items: Record<string, any>[] = [];
  for (let after = 0; ;) {
    const reply = await send(h, who, 'GET', `/events?after=${after}&limit=500`);
    if (reply.status !== 200) return { status: outcome(reply), items };
    const page = reply.body.items as Record<string, any>[];
    items.push(...page);
    if (page.length < 500) return { status: '200', items };
    after = page[page.length - 1].position;
  }
}

export async function checkEvents(h: Secure, w: World): Promise<void> {
  const f = new Findings('events', w);
  const eventName = (w2: World, e: { id: string; op: string; version?: number }) => `${nameOf(w2, e.id)} ${e.op}${e.version === undefined ? '' : ` v${e.version}`}`;
  for (const t of w.tenants) {
    const foreign = new Set([
      ...w.docs.filter((d) => d.tenant !== t.domain).map((d) => d.id),
      ...w.userDocs.filter((u) => u.tenant !== t.domain).map((u) => u.id),
    ]);
    for (const who of principals(t)) {
      const feed = await feedOf(h, who);
      if (!f.same(who.label, 'GET /events', '200', feed.status)) continue;
      // Events carry whole documents: only collections with an unscoped read grant without a field filter.
      const allowed = (path: string) => {
        const read = permission(t, who, 'read', path);
        return read.grants.some((g) => g.possession === 'any' && !g.filter);
      };
      const paths = [...new Set(feed.items.map((e) => `${e.source?.db}/${e.source?.collection}`))].sort();
      note(w, !who.isAdmin && (DATA_PATHS.some(allowed) ? 'events: a user with some data collection' : 'events: a user with no data collection'));
      f.same(who.label, 'GET /events', paths.filter(allowed), paths, 'collections in the feed');
      const leaked = feed.items.filter((e) => foreign.has(e.id)).map((e) => `${e.topic} ${nameOf(w, e.id)}`);
      f.same(who.label, 'GET /events', [], leaked, 'documents of another tenant');
      const positions = feed.items.map((e) => e.position as number);
      f.same(who.label, 'GET /events', [...positions].sort((a, b) => a - b), positions, 'positions in order');
      for (const path of DATA_PATHS) {
        const expected = allowed(path) ? w.events.get(t.domain)!.filter((e) => e.path === path).map((e) => eventName(w, e)).sort() : [];
        const actual = feed.items.filter((e) => `${e.source?.db}/${e.source?.collection}` === path)
          .map((e) => eventName(w, { id: e.id, op: e.op, version: e.after?.version })).sort();
        f.same(who.label, 'GET /events', expected, actual, `events of ${path}`);
      }
    }
  }
  f.done();
}

export async function checkTenantMismatch(h: Secure, w: World): Promise<void> {
  const f = new Findings('tenant mismatch', w);
  for (const t of w.tenants) {
    for (const who of principals(t)) {
      for (const other of others(w, t)) {
        const theirs = w.docs.find((d) => d.tenant === other.domain && !d.destroyed);
        const headers = { 'x-domain': other.domain };
        f.same(who.label, `GET /special/stats/count x-domain: ${other.name}`, '403 TENANT_MISMATCH', outcome(await send(h, who, 'GET', '/special/stats/count', { headers })));
        f.same(who.label, `GET /events x-domain: ${other.name}`, '403 TENANT_MISMATCH', outcome(await send(h, who, 'GET', '/events', { headers })));
        if (theirs) {
          const path = `/${theirs.path}/${theirs.id}`;
          f.same(who.label, `GET ${path} x-domain: ${other.name}`, '403 TENANT_MISMATCH', outcome(await send(h, who, 'GET', path, { headers })));
          f.same(who.label, `DELETE ${path}/destroy x-domain: ${other.name}`, '403 TENANT_MISMATCH', outcome(await send(h, who, 'DELETE', `${path}/destroy`, { headers })));
        }
      }
      const own = await send(h, who, 'GET', '/special/stats/count', { headers: { 'x-domain': t.domain } });
      const rule = readRule(t, who, 'special/stats');
      f.same(who.label, `GET /special/stats/count x-domain: ${t.name}`, rule.status === 200 ? '200' : '403 FORBIDDEN', outcome(own));
    }
  }
  await syncTruth(h, w, f, DATA_PATHS, 'nothing changed');
  f.done();
}

// --- the known bugs, reproduced -------------------------------------------------------------------

/** A user of the root tenant with these grants on a fresh role, and a document of the admin's it may not fully read. */
async function bugSetup(h: Secure, grants: Omit<GrantSpec, 'subject'>[]): Promise<{ token: string; secret: string }> {
  const admin = (await h.login()).access_token;
  const role = uniqueName('bug').replace(/[^a-z0-9]/g, '');
  for (const grant of grants) assert.equal((await h.call('/auth/grants', { token: admin, body: { subject: role, ...grant } })).status, 201);
  const username = uniqueName('bug');
  assert.equal((await h.call('/identity/users', { token: admin, body: { username, password: PASSWORD, status: 'active', subjects: [role] } })).status, 201);
  const secret = await h.call('/special/stats', { token: admin, body: { key: `salary-${username}`, value: 9000 } });
  assert.equal(secret.status, 201, secret.text);
  return { token: (await h.login(username, PASSWORD)).access_token, secret: secret.body.data.id };
}

export async function reproduceBulkFilterLeak(h: Secure): Promise<void> {
  const { token, secret } = await bugSetup(h, [
    { action: 'read', object: 'special:stats', filter: ['key'] },
    { action: 'update', object: 'special:stats', field: ['tags'] },
  ]);
  const key = (await h.call(`/special/stats/${secret}`, { token })).body.data.key as string;
  const filter = encodeURIComponent(JSON.stringify({ key, value: { $gte: 8000 } }));
  assert.equal((await h.call(`/special/stats/count?query=${filter}`, { token })).status, 403, 'value may not be queried by a read');
  const bulk = await h.call(`/special/stats/bulk?query=${filter}`, { token, method: 'PATCH', body: { tags: [] } });
  assert.equal(bulk.status, 403, `nor by a bulk update, whose total would reveal it: got ${bulk.status} ${bulk.text}`);
}

export async function reproduceAfterOracle(h: Secure): Promise<void> {
  const { token, secret } = await bugSetup(h, [{ action: 'read:own', object: 'special:stats' }]);
  assert.equal((await h.call(`/special/stats/${secret}`, { token })).status, 404, 'outside the own zone the document does not exist');
  const unknown = await h.call('/special/stats?after=0123456789abcdef01234567&sort=id', { token });
  assert.equal(unknown.status, 400, unknown.text);
  const hidden = await h.call(`/special/stats?after=${secret}&sort=id`, { token });
  assert.equal(hidden.status, unknown.status, `after= an id outside the zones answers as an unknown id: got ${hidden.status} ${hidden.text}`);
}

/** One grant's field limit held on every row, though another grant reaches some rows unlimited. */
export async function reproduceUnitedLimits(h: Secure): Promise<void> {
  const { token, secret } = await bugSetup(h, [
    { action: 'read', object: 'special:stats', filter: ['key'] },
    { action: 'read:own', object: 'special:stats' },
    { action: 'update', object: 'special:stats', field: ['tags'] },
    { action: 'update:own', object: 'special:stats' },
    { action: 'create', object: 'special:stats' },
  ]);
  const theirs = await h.call(`/special/stats/${secret}`, { token });
  assert.equal(theirs.status, 200, theirs.text);
  assert.equal(theirs.body.data.value, undefined, 'read:own does not lift the filter on the admin\'s document');
  const mine = await h.call('/special/stats', { token, body: { key: uniqueName('mine'), value: 1 } });
  assert.equal(mine.status, 201, mine.text);
  const listed = await h.call(`/special/stats?query=${encodeURIComponent(JSON.stringify({ id: { $in: [secret, mine.body.data.id] } }))}`, { token });
  const values = Object.fromEntries((listed.body.items as Record<string, unknown>[]).map((d) => [d.id, d.value]));
  assert.deepEqual(values, { [secret]: undefined, [mine.body.data.id]: 1 }, 'each document shows what the grants reaching it allow');
  assert.equal((await h.call('/special/stats/count?query=' + encodeURIComponent('{"value":9000}'), { token })).status, 403, 'value is hidden on some rows');
  assert.equal((await h.call('/special/stats/count?zone=own&query=' + encodeURIComponent('{"value":9000}'), { token })).status, 200, 'in the own zone it is not');
  const events = await h.call('/events?limit=500', { token });
  assert.equal(events.status, 200, events.text);
  assert.equal((events.body.items as { source: { collection: string } }[]).some((e) => e.source.collection === 'stats'), false, 'events carry whole documents');
  const write = await h.call(`/special/stats/${secret}`, { token, method: 'PATCH', body: { value: 1 } });
  assert.equal(write.status, 404, `update:own does not lift update's field limit on the admin's document: got ${write.status} ${write.text}`);
  const tags = await h.call(`/special/stats/${secret}`, { token, method: 'PATCH', body: { tags: ['seen'] } });
  assert.equal(tags.status, 200, tags.text);
  assert.equal(tags.body.data.value, undefined, 'the answer shows what the caller may read');
}
