import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPlatformClient, PlatformError } from './index.js';
import { json, startTestServer, type TestServer } from './testing/server.js';

const ID = '0123456789abcdef01234567';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PlatformError, `expected a PlatformError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('sdk errors and client options', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.seen.length = 0;
  });

  it('turns the platform error body into a PlatformError with every field', async () => {
    const body = {
      statusCode: 422, message: 'The body does not match', error: 'Unprocessable Entity', code: 'VALIDATION_FAILED',
      request_id: 'rid-9', details: [{ path: 'username', message: 'must be string' }],
    };
    server.handle((_req, res) => json(res, 422, body, { 'x-request-id': 'rid-9' }));
    const error = await rejection(createPlatformClient({ baseUrl: server.url }).identity.users.create({ username: 'x' }));
    assert.equal(error.statusCode, 422);
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.message, 'The body does not match');
    assert.equal(error.error, 'Unprocessable Entity');
    assert.equal(error.request_id, 'rid-9');
    assert.deepEqual(error.details, [{ path: 'username', message: 'must be string' }]);
    assert.deepEqual(error.body, body);
    assert.equal(error.name, 'PlatformError');
    assert.ok(error instanceof Error);
  });

  it('reads the RFC 9457 form as well', async () => {
    server.handle((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'https://stratum.dev/errors/duplicate', title: 'Conflict', status: 409, detail: 'taken', code: 'DUPLICATE', request_id: 'r2', errors: [{ path: 'email', message: 'must be unique' }] }));
    });
    const error = await rejection(createPlatformClient({ baseUrl: server.url }).identity.users.find());
    assert.deepEqual(
      { s: error.statusCode, c: error.code, m: error.message, e: error.error, r: error.request_id, d: error.details },
      { s: 409, c: 'DUPLICATE', m: 'taken', e: 'Conflict', r: 'r2', d: [{ path: 'email', message: 'must be unique' }] },
    );
  });

  it('keeps a non-JSON failure as text, with the status and the x-request-id header', async () => {
    server.handle((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'x-request-id': 'edge-1' });
      res.end('<h1>Bad gateway</h1>');
    });
    const error = await rejection(createPlatformClient({ baseUrl: server.url }).special.stats.count());
    assert.equal(error.statusCode, 502);
    assert.equal(error.code, 'HTTP_502');
    assert.equal(error.message, '<h1>Bad gateway</h1>');
    assert.equal(error.request_id, 'edge-1');
    assert.deepEqual(error.details, []);
  });

  it('fails with INVALID_RESPONSE when a success is not JSON', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    const error = await rejection(createPlatformClient({ baseUrl: server.url }).special.stats.count());
    assert.equal(error.code, 'INVALID_RESPONSE');
  });

  it('asks a token function before every request', async () => {
    server.handle((_req, res) => json(res, 200, { total: 0 }));
    let n = 0;
    const platform = createPlatformClient({ baseUrl: server.url, token: async () => `t${++n}` });
    await platform.identity.users.count();
    await platform.identity.users.count();
    assert.deepEqual(server.seen.map((s) => s.headers.authorization), ['Bearer t1', 'Bearer t2']);
    const anonymous = createPlatformClient({ baseUrl: server.url, token: () => undefined });
    await anonymous.identity.users.count();
    assert.equal(server.seen[2].headers.authorization, undefined);
  });

  it('keeps a base path prefix and uses the fetch it is given', async () => {
    server.handle((_req, res) => json(res, 200, { data: { id: ID } }));
    const urls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const platform = createPlatformClient({ baseUrl: `${server.url}/platform/v1//`, fetch: recording });
    await platform.identity.sessions.findById(ID);
    assert.deepEqual(urls, [`${server.url}/platform/v1/identity/sessions/${ID}`]);
    assert.equal(server.seen[0].url, `/platform/v1/identity/sessions/${ID}`);
  });

  it('request() reaches any endpoint with status, headers and body', async () => {
    server.handle((_req, res) => json(res, 200, { status: 'ok' }, { 'x-request-id': 'abc' }));
    const platform = createPlatformClient({ baseUrl: server.url });
    const res = await platform.request<{ status: string }>('GET', 'status', { search: { verbose: '1' }, requestId: 'abc' });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.headers.get('x-request-id'), 'abc');
    assert.equal(server.seen[0].url, '/status?verbose=1');
    await platform.request('POST', '/auth/check', { body: { token: 'x' } });
    assert.equal(server.seen[1].headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(server.seen[1].body), { token: 'x' });
  });

  it('refuses a base URL that is not http(s)', () => {
    assert.throws(() => createPlatformClient({ baseUrl: 'localhost:3010' }), /baseUrl must be an http\(s\) URL/);
  });
});
