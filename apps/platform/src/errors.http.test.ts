import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { PlatformError } from '@stratum/sdk';
import { expectError, expectErrorResponse, json, unique, usePlatform } from './testing/http-harness.js';

const MISSING = 'ffffffffffffffffffffffff';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const shape of storeShapes()) {
  describe(`errors and limits over HTTP on ${shape.name}`, () => {
    const h = usePlatform(shape, { small: { BODY_LIMIT: '2048' } });
    const post = (path: string, body: unknown, init: RequestInit = {}) => h.fetch(path, json(body, { method: 'POST', ...init }));

    it('an id that is not 24 lowercase hex is 400 INVALID_ID on every id route', async () => {
      for (const bad of ['xyz', '0123456789ABCDEF01234567', '0123456789abcdef0123456', '%00']) {
        for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['PUT', '/restore'], ['DELETE', '/destroy']]) {
          const init = method === 'PATCH' ? json({ description: 'x' }, { method }) : { method };
          await expectErrorResponse(await h.fetch(`/identity/users/${bad}${suffix}`, init), 400, 'INVALID_ID');
        }
      }
    });

    it('an unknown id is 404 NOT_FOUND, an unknown collection 404 ROUTE_NOT_FOUND', async () => {
      await expectError(h.sdk.identity.users.findById(MISSING), 404, 'NOT_FOUND');
      await expectError(h.sdk.context.settings.deleteById(MISSING), 404, 'NOT_FOUND');
      const nowhere = h.sdk.collection('nope', 'nothing');
      await expectError(nowhere.find(), 404, 'ROUTE_NOT_FOUND');
      await expectError(nowhere.count(), 404, 'ROUTE_NOT_FOUND');
      await expectError(nowhere.create({}), 404, 'ROUTE_NOT_FOUND');
      await expectError(nowhere.findById(MISSING), 404, 'ROUTE_NOT_FOUND');
      await expectErrorResponse(await h.fetch('/nope/nothing/cursor'), 404, 'ROUTE_NOT_FOUND');
    });

    it('unknown paths and methods are 404 or 405 in the one shape, never 5xx', async () => {
      const probes: [string, string][] = [
        ['GET', '/nothing'], ['GET', '/a/b/c/d/e'], ['GET', '/identity'], ['GET', '/identity/users/count/extra'],
        ['PUT', '/identity/users'], ['PATCH', '/identity/users'], ['DELETE', '/identity/users'], ['OPTIONS', '/identity/users'],
        ['POST', `/identity/users/${MISSING}`], ['PUT', `/identity/users/${MISSING}`], ['GET', `/identity/users/${MISSING}/restore`],
        ['POST', '/status'], ['DELETE', '/metrics'], ['PROPFIND', '/identity/users'],
      ];
      for (const [method, path] of probes) {
        const res = await h.fetch(path, { method });
        assert.ok(res.status === 404 || res.status === 405, `${method} ${path} answered ${res.status}`);
        await expectErrorResponse(res, res.status, res.status === 404 ? 'ROUTE_NOT_FOUND' : 'METHOD_NOT_ALLOWED');
      }
      for (const path of ['/%ff', `/identity/users/${'a'.repeat(300)}`]) {
        await expectErrorResponse(await h.fetch(path), 400, 'BAD_REQUEST');
      }
    });

    it('a limit over 50 is 400 INVALID_PAGINATION', async () => {
      await expectError(h.sdk.identity.users.find({ pagination: { limit: 51 } }), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch('/identity/users?pagination={"limit":500}'), 400, 'INVALID_PAGINATION');
      assert.ok(Array.isArray(await h.sdk.identity.users.find({ pagination: { limit: 50 } })));
    });

    it('a malformed JSON body is 400 INVALID_JSON', async () => {
      await expectErrorResponse(await post('/identity/users', '{"username": '), 400, 'INVALID_JSON');
      await expectErrorResponse(await post('/identity/users', ''), 400, 'INVALID_JSON');
      await expectErrorResponse(await h.fetch(`/identity/users/${MISSING}`, json('{nope', { method: 'PATCH' })), 400, 'INVALID_JSON');
    });

    it('a body over BODY_LIMIT is 413 before it is parsed, sized or streamed', async () => {
      const small = h.others.small;
      const tag = unique('limit');
      const fits = await small.fetch('/context/settings', json({ key: tag, description: 'x'.repeat(1500) }, { method: 'POST' }));
      assert.equal(fits.status, 201);
      await expectErrorResponse(await small.fetch('/context/settings', json({ key: tag, description: 'x'.repeat(3000) }, { method: 'POST' })), 413, 'PAYLOAD_TOO_LARGE');
      await expectErrorResponse(await small.fetch('/context/settings', json(`{${'x'.repeat(3000)}`, { method: 'POST' })), 413, 'PAYLOAD_TOO_LARGE');
      const chunks = [new TextEncoder().encode(`{"key":"${tag}","description":"`), new Uint8Array(3000).fill(120), new TextEncoder().encode('"}')];
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
      const chunked = await small.fetch('/context/settings', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
      await expectErrorResponse(chunked, 413, 'PAYLOAD_TOO_LARGE');
      assert.equal(await h.sdk.context.settings.count({ query: { key: tag } }), 1);
    });

    it('a bulk over BULK_LIMIT is 400 TOO_MANY_ITEMS and writes nothing', async () => {
      const tag = unique('bulk');
      const items = Array.from({ length: 501 }, (_, i) => ({ key: `${tag}-${i}`, tags: [tag] }));
      await expectError(h.sdk.context.settings.createBulk(items), 400, 'TOO_MANY_ITEMS');
      assert.equal(await h.sdk.context.settings.count({ query: { tags: tag } }), 0);
      await expectErrorResponse(await post('/context/settings/bulk', { items: [] }), 400, 'BAD_REQUEST');
      const extra = await expectErrorResponse(await post('/context/settings/bulk', { items: [{ key: tag }], more: 1 }), 400, 'UNKNOWN_FIELD');
      assert.match(extra.message as string, /\bmore\b/);
    });

    it('an unknown body field is 400 UNKNOWN_FIELD naming it', async () => {
      const error = await expectError(h.sdk.collection('identity', 'users').create({ username: unique('u'), nickname: 'x' }), 400, 'UNKNOWN_FIELD');
      assert.match(error.message, /\bnickname\b/);
      assert.deepEqual(error.details.map((d) => d.path), ['nickname']);
      const user = await h.sdk.identity.users.create({ username: unique('u') });
      const patch = await expectError(h.sdk.collection('identity', 'users').updateById(user.id, { colour: 'red' }), 400, 'UNKNOWN_FIELD');
      assert.match(patch.message, /\bcolour\b/);
      const inBulk = await expectError(h.sdk.collection('context', 'settings').createBulk([{ key: 'a' }, { key: 'b', oops: 1 }]), 400, 'UNKNOWN_FIELD');
      assert.match(inBulk.message, /items\.1.*\boops\b/);
    });

    it('a computed field in a body is 400 COMPUTED_FIELD naming it', async () => {
      const users = h.sdk.collection('identity', 'users');
      const user = await users.create({ username: unique('u') });
      const computed: Record<string, unknown> = { id: MISSING, version: 7, created_at: new Date().toISOString(), owner: MISSING, deleted_at: null, timestamp: 1 };
      for (const [field, value] of Object.entries(computed)) {
        const onCreate = await expectError(users.create({ username: unique('u'), [field]: value }), 400, 'COMPUTED_FIELD');
        assert.match(onCreate.message, new RegExp(`\\b${field}\\b`));
        const onPatch = await expectError(users.updateById(user.id, { [field]: value }), 400, 'COMPUTED_FIELD');
        assert.deepEqual(onPatch.details.map((d) => d.path), [field]);
      }
      assert.equal((await users.findById(user.id)).version, 1, 'nothing was written');
    });

    it('a schema violation is 422 VALIDATION_FAILED with details', async () => {
      const users = h.sdk.collection('identity', 'users');
      const error = await expectError(users.create({ username: 5, status: 'sleeping', password: 'short' }), 422, 'VALIDATION_FAILED');
      assert.deepEqual(error.details.map((d) => d.path).sort(), ['password', 'status', 'username']);
      for (const detail of error.details) assert.ok(detail.message.length > 0);
      const missing = await expectError(h.sdk.collection('context', 'configs').create({ value: 1 }), 422, 'VALIDATION_FAILED');
      assert.deepEqual(missing.details.map((d) => d.path), ['key']);
    });

    it('a duplicate username is 409 DUPLICATE', async () => {
      const username = unique('dup');
      await h.sdk.identity.users.create({ username });
      const error = await expectError(h.sdk.identity.users.create({ username }), 409, 'DUPLICATE');
      assert.match(error.message, /username/);
      const other = await h.sdk.identity.users.create({ username: unique('dup') });
      await expectError(h.sdk.identity.users.updateById(other.id, { username }), 409, 'DUPLICATE');
      assert.equal(await h.sdk.identity.users.count({ query: { username } }), 1);
    });

    it('$where and other operators outside the allow-list are 400 QUERY_OPERATOR_NOT_ALLOWED naming them', async () => {
      for (const [operator, query] of [['$where', { $where: 'sleep(1000)' }], ['$expr', { $expr: { $gt: ['$a', 1] } }], ['$function', { a: { $function: {} } }]] as const) {
        const error = await expectError(h.sdk.identity.users.find({ query }), 400, 'QUERY_OPERATOR_NOT_ALLOWED');
        assert.ok(error.message.includes(operator), error.message);
      }
      await expectErrorResponse(await h.fetch('/identity/users/count?query[$where]=1'), 400, 'QUERY_OPERATOR_NOT_ALLOWED');
      await expectErrorResponse(await h.fetch(`/identity/users/bulk?query[$where]=1`, json({ name: 'x' }, { method: 'PATCH' })), 400, 'QUERY_OPERATOR_NOT_ALLOWED');
    });

    it('a write-only field is never returned and cannot be queried or sorted on', async () => {
      const tag = unique('secret');
      const users = h.sdk.identity.users;
      const noPassword = (doc: object, where: string) => {
        assert.equal('password' in doc, false, `${where} returned the password`);
        assert.equal(JSON.stringify(doc).includes('correct horse'), false, `${where} leaked it`);
      };
      const created = await users.create({ username: `${tag}-a`, password: 'correct horse battery', tags: [tag] });
      noPassword(created, 'create');
      const [bulk] = await users.createBulk([{ username: `${tag}-b`, password: 'correct horse staple', tags: [tag] }]);
      noPassword(bulk, 'bulk create');
      noPassword(await users.findById(created.id), 'get');
      noPassword((await users.find({ query: { tags: tag }, projection: { password: 1 } }))[0], 'find with projection');
      for (const doc of await users.find({ query: { tags: tag } })) noPassword(doc, 'find');
      for await (const doc of users.cursor({ query: { tags: tag } })) noPassword(doc, 'cursor');
      noPassword(await users.updateById(created.id, { password: 'correct horse again' }), 'update');
      noPassword(await users.deleteById(bulk.id), 'delete');
      await expectError(users.find({ query: { password: { $exists: true } } }), 403, 'FORBIDDEN');
      await expectError(users.count({ query: { $or: [{ password: 'x' }] } }), 403, 'FORBIDDEN');
      await expectError(users.find({ pagination: { sort: 'password' } }), 403, 'FORBIDDEN');
      await expectErrorResponse(await h.fetch('/identity/users/cursor?query[password][$regex]=^a'), 403, 'FORBIDDEN');
    });

    it('Accept: application/problem+json gets the same facts as RFC 9457', async () => {
      const headers = { accept: 'application/problem+json', 'x-request-id': 'problem-1' };
      const res = await h.fetch('/identity/users/xyz', { headers });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'instance', 'request_id', 'status', 'title', 'type']);
      assert.equal(problem.status, 400);
      assert.equal(problem.title, 'Bad Request');
      assert.equal(problem.code, 'INVALID_ID');
      assert.equal(problem.instance, '/identity/users/xyz');
      assert.equal(problem.request_id, 'problem-1');
      assert.match(problem.type as string, /^https?:\/\/\S+invalid_id$/);
      assert.match(problem.detail as string, /xyz/);
      const invalid = await h.fetch('/identity/users', json({ username: 5 }, { method: 'POST', headers: { accept: 'application/problem+json, application/json' } }));
      assert.equal(invalid.status, 422);
      const details = (await invalid.json()) as { errors: unknown[]; status: number };
      assert.deepEqual(details.errors, [{ path: 'username', message: 'must be string' }]);
      const sdkError = await h.sdk.identity.users.findById('xyz', {}, { headers: { accept: 'application/problem+json' } })
        .then(() => assert.fail('expected a 400'), (error: unknown) => error);
      assert.ok(sdkError instanceof PlatformError);
      assert.deepEqual([sdkError.statusCode, sdkError.code, sdkError.error], [400, 'INVALID_ID', 'Bad Request'], 'the SDK reads the problem form too');
    });

    it('x-request-id is echoed when sent and generated when absent or unsafe', async () => {
      const sent = await h.fetch('/identity/users/count', { headers: { 'x-request-id': 'client-abc.123' } });
      assert.equal(sent.headers.get('x-request-id'), 'client-abc.123');
      const generated = await h.fetch('/identity/users/count');
      assert.match(generated.headers.get('x-request-id') ?? '', UUID);
      const unsafe = await h.fetch('/identity/users/count', { headers: { 'x-request-id': 'evil id\twith spaces' } });
      assert.match(unsafe.headers.get('x-request-id') ?? '', UUID);
      const failed = await h.fetch('/identity/users/xyz', { headers: { 'x-request-id': 'client-err-1' } });
      assert.equal((await expectErrorResponse(failed, 400, 'INVALID_ID')).request_id, 'client-err-1');
      const streamed = await h.fetch('/identity/users/cursor?limit=1', { headers: { 'x-request-id': 'client-sse-1' } });
      assert.equal(streamed.headers.get('x-request-id'), 'client-sse-1');
      await streamed.text();
      const viaSdk = await expectError(h.sdk.identity.users.findById(MISSING, {}, { requestId: 'sdk-req-7' }), 404, 'NOT_FOUND');
      assert.equal(viaSdk.request_id, 'sdk-req-7');
      for (const path of ['/status', '/nothing', '/%ff']) assert.match((await h.fetch(path)).headers.get('x-request-id') ?? '', UUID, path);
    });
  });
}
