import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPlatformClient, type PlatformClient } from './index.js';
import { json, pathOf, searchOf, startTestServer, type TestServer } from './testing/server.js';

const ID = '0123456789abcdef01234567';
const doc = (extra: Record<string, unknown> = {}) => ({ id: ID, version: 1, created_at: '2026-01-01T00:00:00.000Z', timestamp: 1, ...extra });

describe('sdk request building', () => {
  let server: TestServer;
  let platform: PlatformClient;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.seen.length = 0;
    platform = createPlatformClient({ baseUrl: `${server.url}/`, token: 'tok', headers: { 'x-domain': 'acme.com' } });
  });

  it('find encodes every read parameter and unwraps items', async () => {
    server.handle((_req, res) => json(res, 200, { items: [doc()] }));
    const items = await platform.identity.users.find({
      query: { username: 'ann', 'props.n': { $gt: 3 } },
      projection: { username: 1 },
      populate: ['user', 'owner'],
      pagination: { limit: 5, skip: 10, sort: { created_at: -1 } },
      ref: 'r-1',
      zone: 'own',
    });
    assert.deepEqual(items, [doc()]);
    const [seen] = server.seen;
    assert.equal(seen.method, 'GET');
    assert.equal(pathOf(seen), '/identity/users');
    assert.deepEqual(searchOf(seen), {
      query: '{"username":"ann","props.n":{"$gt":3}}',
      projection: '{"username":1}',
      populate: 'user,owner',
      limit: '5',
      skip: '10',
      sort: '{"created_at":-1}',
      ref: 'r-1',
      zone: 'own',
    });
    assert.equal(seen.headers.authorization, 'Bearer tok');
    assert.equal(seen.headers['x-domain'], 'acme.com');
    assert.equal(seen.headers.accept, 'application/json');
    assert.equal(seen.headers['content-type'], undefined, 'a GET carries no content-type');
  });

  it('sends nothing for absent parameters, the string forms as given, and populate objects as JSON', async () => {
    server.handle((_req, res) => json(res, 200, { items: [] }));
    await platform.context.configs.find();
    await platform.context.configs.find({ query: {}, projection: '-props', pagination: { sort: '-created_at,key', after: ID } });
    await platform.identity.profiles.find({ populate: [{ path: 'user', select: ['username'] }] });
    assert.deepEqual(searchOf(server.seen[0]), {});
    assert.equal(server.seen[0].url, '/context/configs');
    assert.deepEqual(searchOf(server.seen[1]), { projection: '-props', sort: '-created_at,key', after: ID });
    assert.deepEqual(searchOf(server.seen[2]), { populate: '[{"path":"user","select":["username"]}]' });
  });

  it('count unwraps total; options set the soft-delete, request id and extra headers', async () => {
    server.handle((_req, res) => json(res, 200, { total: 7 }));
    const total = await platform.special.stats.count({ query: { key: 'k' } }, {
      includeDeleted: true, requestId: 'req-1', headers: { 'x-zone': 'group', 'x-domain': 'other.org' },
    });
    assert.equal(total, 7);
    const [seen] = server.seen;
    assert.equal(seen.url, `/special/stats/count?query=${encodeURIComponent('{"key":"k"}')}`);
    assert.equal(seen.headers['x-exclude-soft-delete-query'], 'true');
    assert.equal(seen.headers['x-request-id'], 'req-1');
    assert.equal(seen.headers['x-zone'], 'group');
    assert.equal(seen.headers['x-domain'], 'other.org', 'a call header wins over the client default');
  });

  it('create posts JSON with the Idempotency-Key and reports ETag and replay', async () => {
    server.handle((_req, res) => json(res, 201, { data: doc({ username: 'ann' }) }, { etag: '"1"', 'idempotent-replayed': 'true' }));
    const created = await platform.identity.users.create({ username: 'ann', password: 'secret-pw' }, { idempotencyKey: 'k-1' });
    assert.equal(created.username, 'ann');
    const meta = await platform.identity.users.createWithMeta({ username: 'ann' });
    assert.deepEqual({ etag: meta.etag, replayed: meta.replayed }, { etag: '"1"', replayed: true });
    const [first, second] = server.seen;
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/identity/users');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.equal(first.headers['idempotency-key'], 'k-1');
    assert.deepEqual(JSON.parse(first.body), { username: 'ann', password: 'secret-pw' });
    assert.equal(second.headers['idempotency-key'], undefined);
  });

  it('createBulk wraps items and unwraps them', async () => {
    server.handle((_req, res) => json(res, 201, { items: [doc({ key: 'a' }), doc({ key: 'b' })] }));
    const items = await platform.context.settings.createBulk([{ key: 'a' }, { key: 'b' }], { idempotencyKey: 'bulk-1' });
    assert.deepEqual(items.map((i) => i.key), ['a', 'b']);
    const [seen] = server.seen;
    assert.equal(seen.url, '/context/settings/bulk');
    assert.deepEqual(JSON.parse(seen.body), { items: [{ key: 'a' }, { key: 'b' }] });
    assert.equal(seen.headers['idempotency-key'], 'bulk-1');
  });

  it('findById encodes the id, sends ref, and exposes the ETag', async () => {
    server.handle((_req, res) => json(res, 200, { data: doc({ version: 4 }) }, { etag: '"4"' }));
    const { data, etag } = await platform.identity.users.findByIdWithEtag(ID, { ref: 'r/1', projection: 'username' });
    assert.equal(data.version, 4);
    assert.equal(etag, '"4"');
    await platform.identity.users.findById('a/b?c');
    assert.equal(pathOf(server.seen[0]), `/identity/users/${ID}`);
    assert.deepEqual(searchOf(server.seen[0]), { ref: 'r/1', projection: 'username' });
    assert.equal(server.seen[1].url, '/identity/users/a%2Fb%3Fc', 'an id is one path segment, whatever it holds');
  });

  it('updateById sends PATCH with If-Match from a version or an ETag', async () => {
    server.handle((_req, res) => json(res, 200, { data: doc({ version: 2 }) }, { etag: '"2"' }));
    const updated = await platform.identity.users.updateById(ID, { name: 'Ann', email: null }, { ifMatch: 1 });
    assert.equal(updated.version, 2);
    const { etag } = await platform.identity.users.updateByIdWithEtag(ID, { name: 'B' }, { ifMatch: 'W/"7"' });
    assert.equal(etag, '"2"');
    await platform.identity.users.updateById(ID, { name: 'C' });
    const [a, b, c] = server.seen;
    assert.equal(a.method, 'PATCH');
    assert.equal(a.url, `/identity/users/${ID}`);
    assert.deepEqual(JSON.parse(a.body), { name: 'Ann', email: null });
    assert.equal(a.headers['if-match'], '"1"');
    assert.equal(b.headers['if-match'], 'W/"7"');
    assert.equal(c.headers['if-match'], undefined);
  });

  it('updateBulk puts the filter in the query string and unwraps total', async () => {
    server.handle((_req, res) => json(res, 200, { total: 3 }));
    const total = await platform.special.files.updateBulk({ tags: 'x' }, { description: 'd' });
    assert.equal(total, 3);
    const [seen] = server.seen;
    assert.equal(seen.method, 'PATCH');
    assert.equal(pathOf(seen), '/special/files/bulk');
    assert.deepEqual(searchOf(seen), { query: '{"tags":"x"}' });
    assert.deepEqual(JSON.parse(seen.body), { description: 'd' });
  });

  it('delete, restore and destroy use their methods and paths', async () => {
    server.handle((_req, res) => json(res, 200, { data: doc() }));
    const grants = platform.auth.grants;
    await grants.deleteById(ID, { ifMatch: 3 });
    await grants.restoreById(ID);
    await grants.destroyById(ID, { ifMatch: '"5"' });
    assert.deepEqual(server.seen.map((s) => `${s.method} ${s.url} ${s.headers['if-match'] ?? '-'}`), [
      `DELETE /auth/grants/${ID} "3"`,
      `PUT /auth/grants/${ID}/restore -`,
      `DELETE /auth/grants/${ID}/destroy "5"`,
    ]);
  });

  it('every typed accessor addresses its built-in collection; collection() any other', () => {
    const paths = [
      platform.identity.users, platform.identity.profiles, platform.identity.sessions, platform.auth.grants, platform.auth.apts,
      platform.domain.clients, platform.domain.apps, platform.context.configs, platform.context.settings,
      platform.essential.sagas, platform.special.files, platform.special.stats, platform.collection('shop', 'orders'),
    ].map((c) => c.path);
    assert.deepEqual(paths, [
      '/identity/users', '/identity/profiles', '/identity/sessions', '/auth/grants', '/auth/apts', '/domain/clients', '/domain/apps',
      '/context/configs', '/context/settings', '/essential/sagas', '/special/files', '/special/stats', '/shop/orders',
    ]);
  });
});
