import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { createApt, createClient, createUser, expectError, uniqueName, useSecure, type Reply, type Secure } from './security-harness.js';

/** Gate 1 (DESIGN 6.2) over HTTP: each route kind needs its level; manage ⊇ write ⊇ read; narrowing. */

type Level = 'read' | 'write' | 'manage';
interface Route { level: Level; method: string; path: string; body?: unknown }

const PASSWORD = 'a-user-password-1';
const BASE = '/identity/users';

/** The 11 collection routes on identity/users, against an existing user id. */
function routes(id: string, tag: string): Route[] {
  const filter = encodeURIComponent(JSON.stringify({ username: `${tag}-nobody` }));
  return [
    { level: 'read', method: 'GET', path: `${BASE}/count` },
    { level: 'read', method: 'GET', path: `${BASE}?query={}` },
    { level: 'read', method: 'GET', path: `${BASE}/cursor` },
    { level: 'read', method: 'GET', path: `${BASE}/${id}` },
    { level: 'write', method: 'POST', path: BASE, body: { username: `${tag}-new` } },
    { level: 'write', method: 'POST', path: `${BASE}/bulk`, body: { items: [{ username: `${tag}-bulk` }] } },
    { level: 'write', method: 'PATCH', path: `${BASE}/${id}`, body: { description: 'patched' } },
    { level: 'write', method: 'DELETE', path: `${BASE}/${id}` },
    { level: 'write', method: 'PUT', path: `${BASE}/${id}/restore` },
    { level: 'manage', method: 'PATCH', path: `${BASE}/bulk?query=${filter}`, body: { description: 'bulk' } },
    { level: 'manage', method: 'DELETE', path: `${BASE}/${id}/destroy` },
  ];
}

const call = (h: Secure, token: string, route: Route) => h.call(route.path, { method: route.method, token, body: route.body });
const scopeMissing = (reply: Reply, what: string) => {
  const error = expectError(reply, 403, 'SCOPE_MISSING');
  assert.match(error.message as string, /identity:users/, what);
};

/** An admin token, a user to aim at, and APTs of the given scopes. */
async function setup(h: Secure, scopes: string[]) {
  const { access_token: admin } = await h.login();
  const tag = uniqueName('scope');
  const target = await createUser(h, admin, tag, PASSWORD);
  const tokens: Record<string, string> = {};
  for (const scope of scopes) tokens[scope] = (await createApt(h, admin, scope)).token;
  return { admin, tag, target, tokens };
}

for (const shape of storeShapes()) {
  describe(`scopes over HTTP on ${shape.name}`, () => {
    const h = useSecure(shape);

    it('403 SCOPE_MISSING: reads without read, writes with read only, manage routes with write only', async () => {
      const { tag, target, tokens } = await setup(h, ['read:identity:profiles', 'read:identity:users', 'write:identity:users']);
      for (const route of routes(target, tag)) {
        const what = `${route.method} ${route.path}`;
        scopeMissing(await call(h, tokens['read:identity:profiles'], route), `${what} without any users scope`);
        if (route.level !== 'read') scopeMissing(await call(h, tokens['read:identity:users'], route), `${what} read-only`);
        if (route.level === 'manage') scopeMissing(await call(h, tokens['write:identity:users'], route), `${what} write-only`);
      }
      const still = await h.call(`${BASE}/${target}`, { token: tokens['read:identity:users'] });
      assert.equal(still.status, 200);
      assert.equal(still.body.data.description, undefined, 'no refused write changed anything');
      assert.equal(still.body.data.deleted_at, undefined);
    });

    it('manage ⊇ write ⊇ read: each level passes the gate of every route at or below it', async () => {
      const { tag, target, tokens } = await setup(h, ['read:identity:users', 'write:identity:users', 'manage:identity:users']);
      const rank = { read: 1, write: 2, manage: 3 };
      for (const held of ['read', 'write', 'manage'] as const) {
        for (const route of routes(target, `${tag}-${held}`).filter((r) => rank[r.level] <= rank[held] && r.method === 'GET')) {
          const reply = await call(h, tokens[`${held}:identity:users`], route);
          assert.equal(reply.status, 200, `${held} on ${route.method} ${route.path}: ${reply.text}`);
        }
      }
      for (const held of ['write', 'manage'] as const) {
        const token = tokens[`${held}:identity:users`];
        const user = `${tag}-${held}`;
        const created = await h.call(BASE, { token, body: { username: user } });
        assert.equal(created.status, 201, created.text);
        const id = created.body.data.id;
        assert.equal((await h.call(`${BASE}/bulk`, { token, body: { items: [{ username: `${user}-b` }] } })).status, 201);
        assert.equal((await h.call(`${BASE}/${id}`, { method: 'PATCH', token, body: { description: held } })).status, 200);
        assert.equal((await h.call(`${BASE}/${id}`, { method: 'DELETE', token })).status, 200);
        assert.equal((await h.call(`${BASE}/${id}/restore`, { method: 'PUT', token })).status, 200);
      }
      const manage = tokens['manage:identity:users'];
      const filter = encodeURIComponent(JSON.stringify({ username: `${tag}-manage` }));
      const bulk = await h.call(`${BASE}/bulk?query=${filter}`, { method: 'PATCH', token: manage, body: { description: 'bulk' } });
      assert.deepEqual(bulk.body, { total: 1 });
      const destroyed = await h.call(`${BASE}/${target}/destroy`, { method: 'DELETE', token: manage });
      assert.equal(destroyed.status, 200, destroyed.text);
    });

    it('a service scope covers its collections only; whole covers everything', async () => {
      const { admin, tokens } = await setup(h, ['read:identity']);
      const service = tokens['read:identity'];
      for (const path of ['/identity/users/count', '/identity/profiles/count', '/identity/sessions/count']) {
        assert.equal((await h.call(path, { token: service })).status, 200, path);
      }
      expectError(await h.call('/context/settings/count', { token: service }), 403, 'SCOPE_MISSING');
      expectError(await h.call('/auth/apts/count', { token: service }), 403, 'SCOPE_MISSING');
      expectError(await h.call(BASE, { token: service, body: { username: uniqueName('svc') } }), 403, 'SCOPE_MISSING');
      for (const path of ['/identity/users/count', '/context/settings/count', '/auth/apts/count', '/domain/clients/count', '/auth/grants/count']) {
        assert.equal((await h.call(path, { token: admin })).status, 200, `whole on ${path}`);
      }
      const key = await h.call(`/domain/clients/${h.rootClientId}/api-key`, { method: 'POST', token: service });
      expectError(key, 403, 'SCOPE_MISSING');
    });

    it('narrowing: a client limited to read:identity gets read:identity when it asks for whole, never more', async () => {
      const { access_token: admin } = await h.login();
      const secret = 'narrow-client-secret-1';
      const client = await createClient(h, admin, { secret, scopes: ['read:identity'], grant_types: ['client_credentials'] });
      const token = async (scope?: string) => {
        const reply = await h.call('/auth/token', {
          body: { grant_type: 'client_credentials', client_id: client, client_secret: secret, ...(scope === undefined ? {} : { scope }) },
        });
        assert.equal(reply.status, 200, reply.text);
        return reply.body.data as { access_token: string; scope: string };
      };
      const whole = await token('whole');
      assert.equal(whole.scope, 'read:identity');
      assert.equal((await token()).scope, 'read:identity');
      assert.equal((await token('read:identity:users')).scope, 'read:identity:users');
      assert.equal((await token('manage:identity write:context:settings admin')).scope, '');
      assert.equal((await token('read:identity:users manage:identity:users')).scope, 'read:identity:users');
      const verified = await h.call('/auth/verify', { token: whole.access_token });
      assert.equal(verified.body.data.scope, 'read:identity');
      assert.equal((await h.call('/identity/users/count', { token: whole.access_token })).status, 200);
      expectError(await h.call(BASE, { token: whole.access_token, body: { username: uniqueName('n') } }), 403, 'SCOPE_MISSING');
      expectError(await h.call('/context/settings/count', { token: whole.access_token }), 403, 'SCOPE_MISSING');
      const empty = await token('manage:identity');
      expectError(await h.call('/identity/users/count', { token: empty.access_token }), 403, 'SCOPE_MISSING');
      const password = await h.call('/auth/token', {
        body: { grant_type: 'password', username: h.adminEmail, password: 'x', client_id: client, client_secret: secret },
      });
      expectError(password, 403, 'FORBIDDEN');
    });

    it('a refresh never yields more than the client allows now', async () => {
      const { access_token: admin } = await h.login();
      const secret = 'refresh-client-secret-1';
      const client = await createClient(h, admin, { secret, scopes: ['read:identity', 'read:context'], grant_types: ['password', 'refresh_token'] });
      const login = await h.login(h.adminEmail, undefined, { client_id: client, client_secret: secret });
      assert.equal(login.scope, 'read:identity read:context');
      const patched = await h.call(`/domain/clients/${client}`, { method: 'PATCH', token: admin, body: { scopes: ['read:identity'] } });
      assert.equal(patched.status, 200, patched.text);
      const refreshed = await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: login.refresh_token } });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(refreshed.body.data.scope, 'read:identity');
      expectError(await h.call('/context/settings/count', { token: refreshed.body.data.access_token }), 403, 'SCOPE_MISSING');
      assert.equal((await h.call('/identity/users/count', { token: refreshed.body.data.access_token })).status, 200);
    });

    it('an APT never carries more scope than its creator, at creation or later', async () => {
      const { admin, tokens } = await setup(h, ['write:auth:apts read:identity:users', 'read:identity:users']);
      const creator = tokens['write:auth:apts read:identity:users'];
      expectError(await h.call('/auth/apts', { token: tokens['read:identity:users'], body: { name: 'x', scope: 'whole' } }), 403, 'SCOPE_MISSING');
      const wide = await createApt(h, creator, 'whole');
      assert.equal(wide.scope, 'write:auth:apts read:identity:users');
      const outside = await h.call('/auth/apts', { token: creator, body: { name: uniqueName('x'), scope: 'read:context:settings' } });
      expectError(outside, 403, 'FORBIDDEN');
      const mine = await createApt(h, creator, 'read:identity:users');
      for (const change of [{ scope: 'whole' }, { scope: null }, { subjects: ['admin'] }, { strict: false }, { session: wide.id }]) {
        const patched = await h.call(`/auth/apts/${mine.id}`, { method: 'PATCH', token: creator, body: change });
        expectError(patched, 400, 'BAD_REQUEST');
      }
      expectError(await h.call(`/auth/apts/bulk?query={}`, { method: 'PATCH', token: creator, body: { scope: 'whole' } }), 403, 'SCOPE_MISSING');
      const bulk = await h.call(`/auth/apts/bulk?query={}`, { method: 'PATCH', token: admin, body: { scope: 'whole' } });
      expectError(bulk, 400, 'BAD_REQUEST');
      expectError(await h.call('/context/settings/count', { token: mine.token }), 403, 'SCOPE_MISSING');
      assert.equal((await h.call('/auth/verify', { token: mine.token })).body.data.scope, 'read:identity:users');
      const renamed = await h.call(`/auth/apts/${mine.id}`, { method: 'PATCH', token: creator, body: { name: 'renamed', description: 'ok' } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal((await h.call('/identity/users/count', { token: mine.token })).status, 200);
    });
  });
}
