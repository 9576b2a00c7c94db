import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import {
  ADMIN_PASSWORD, createApt, createClient, decodeJwt, expect401, expectError, uniqueDomain, useSecure, type Secure,
} from './security-harness.js';

/** Strict tokens and api keys (x-api-key, IP whitelist), x-domain and x-client-id against the token. */

const SECRET = 'a-client-secret-123';

async function apiKey(h: Secure, admin: string, clientId: string): Promise<string> {
  const reply = await h.call(`/domain/clients/${clientId}/api-key`, { method: 'POST', token: admin });
  assert.equal(reply.status, 201, reply.text);
  assert.equal(reply.body.data.id, clientId);
  assert.match(reply.body.data.api_key, /^sk_/);
  return reply.body.data.api_key;
}

function strictLogin(h: Secure, extra: Record<string, unknown> = {}) {
  return h.call('/auth/token', { body: { username: h.adminEmail, password: ADMIN_PASSWORD, grant_type: 'password', strict: true, ...extra } });
}

const forbidden = (reply: Awaited<ReturnType<Secure['call']>>) => expectError(reply, 403, 'FORBIDDEN');

for (const shape of storeShapes()) {
  describe(`strict tokens, api keys and request headers on ${shape.name}`, () => {
    const h = useSecure(shape);

    it('a strict token works only with its client\'s x-api-key; a rotated key stops working at once', async () => {
      const { access_token: admin } = await h.login();
      expectError(await strictLogin(h), 400, 'BAD_REQUEST');
      const key = await apiKey(h, admin, h.rootClientId);
      const issued = await strictLogin(h);
      assert.equal(issued.status, 200, issued.text);
      const token = issued.body.data.access_token;
      assert.equal(decodeJwt(token).payload.strict, true);

      const withKey = (k?: string) => h.call('/auth/verify', { token, headers: k === undefined ? {} : { 'x-api-key': k } });
      forbidden(await withKey());
      forbidden(await withKey('sk_wrong'));
      forbidden(await withKey(''));
      assert.equal((await withKey(key)).status, 200);
      const other = await createClient(h, admin, { scopes: ['whole'] });
      forbidden(await withKey(await apiKey(h, admin, other)));

      const rotated = await apiKey(h, admin, h.rootClientId);
      forbidden(await withKey(key));
      expect401(await h.call('/auth/verify', { headers: { 'x-api-key': key } }));
      assert.equal((await withKey(rotated)).status, 200);
      const refreshed = await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: issued.body.data.refresh_token } });
      assert.equal(decodeJwt(refreshed.body.data.access_token).payload.strict, true, 'a refreshed strict token stays strict');
      forbidden(await h.call('/auth/verify', { token: refreshed.body.data.access_token }));
    });

    it('a strict APT needs the key too', async () => {
      const { access_token: admin } = await h.login();
      const key = await apiKey(h, admin, h.rootClientId);
      const apt = await createApt(h, admin, 'read:identity:users', { strict: true });
      forbidden(await h.call('/identity/users/count', { token: apt.token }));
      forbidden(await h.call('/identity/users/count', { token: apt.token, headers: { 'x-api-key': 'sk_nope' } }));
      assert.equal((await h.call('/identity/users/count', { token: apt.token, headers: { 'x-api-key': key } })).status, 200);
    });

    it('the client\'s IP whitelist: 127.0.0.1 is refused unless listed, for strict tokens and bare api keys', async () => {
      const { access_token: admin } = await h.login();
      const common = { secret: SECRET, scopes: ['whole'], grant_types: ['password'] };
      const fenced = await createClient(h, admin, { ...common, whitelist: ['10.9.9.9'] });
      const open = await createClient(h, admin, { ...common, whitelist: ['10.9.9.9', '127.0.0.0/8'] });
      for (const [client, allowed] of [[fenced, false], [open, true]] as const) {
        const key = await apiKey(h, admin, client);
        const issued = await strictLogin(h, { client_id: client, client_secret: SECRET });
        assert.equal(issued.status, 200, issued.text);
        const token = issued.body.data.access_token;
        const strict = await h.call('/auth/verify', { token, headers: { 'x-api-key': key } });
        const bare = await h.call('/auth/verify', { headers: { 'x-api-key': key } });
        if (allowed) {
          assert.equal(strict.status, 200, strict.text);
          assert.equal(bare.status, 200, bare.text);
          assert.equal(bare.body.data.client_id, client);
          assert.equal(bare.body.data.kind, 'api_key');
        } else {
          assert.match(forbidden(strict).message as string, /whitelist/);
          assert.match(forbidden(bare).message as string, /whitelist/);
        }
      }
    });

    it('the whitelist is enforced at once after a PATCH', async () => {
      const { access_token: admin } = await h.login();
      const client = await createClient(h, admin, { secret: SECRET, scopes: ['whole'], grant_types: ['password'] });
      const key = await apiKey(h, admin, client);
      const issued = await strictLogin(h, { client_id: client, client_secret: SECRET });
      const token = issued.body.data.access_token;
      assert.equal((await h.call('/auth/verify', { token, headers: { 'x-api-key': key } })).status, 200);
      const patched = await h.call(`/domain/clients/${client}`, { method: 'PATCH', token: admin, body: { whitelist: ['10.9.9.9'] } });
      assert.equal(patched.status, 200, patched.text);
      forbidden(await h.call('/auth/verify', { token, headers: { 'x-api-key': key } }));
      forbidden(await h.call('/auth/verify', { headers: { 'x-api-key': key } }));
    });

    it('x-domain must name the token\'s tenant: another tenant or an unknown domain is 403 TENANT_MISMATCH', async () => {
      const { access_token: admin } = await h.login();
      const other = uniqueDomain('sec-other');
      await h.platform.identity.tenants.create({ domain: other });
      const apt = await createApt(h, admin, 'read:identity:users');
      const key = await apiKey(h, admin, h.rootClientId);
      const credentials: Record<string, string>[] = [
        { authorization: `Bearer ${admin}` }, { authorization: `Bearer ${apt.token}` }, { 'x-api-key': key },
      ];
      for (const auth of credentials) {
        assert.equal((await h.call('/identity/users/count', { headers: { ...auth, 'x-domain': h.domain } })).status, 200);
        assert.equal((await h.call('/identity/users/count', { headers: { ...auth, 'x-domain': h.domain.toUpperCase() } })).status, 200);
        for (const domain of [other, uniqueDomain('sec-nowhere'), 'not a domain']) {
          expectError(await h.call('/identity/users/count', { headers: { ...auth, 'x-domain': domain } }), 403, 'TENANT_MISMATCH');
        }
      }
      expect401(await h.call('/auth/token', {
        headers: { 'x-domain': other }, body: { username: h.adminEmail, password: ADMIN_PASSWORD, grant_type: 'password' },
      }));
    });

    it('x-client-id must be one of the token\'s coworkers', async () => {
      const { access_token: admin } = await h.login();
      const coworker = await createClient(h, admin, { scopes: ['whole'] });
      const stranger = await createClient(h, admin, { scopes: ['whole'] });
      const call = (token: string, id: string) => h.call('/identity/users/count', { token, headers: { 'x-client-id': id } });
      assert.equal((await call(admin, h.rootClientId)).status, 200, 'its own client');
      for (const id of [coworker, stranger, 'ffffffffffffffffffffffff', 'not-an-id']) forbidden(await call(admin, id));
      const patched = await h.call(`/domain/clients/${h.rootClientId}`, { method: 'PATCH', token: admin, body: { coworkers: [coworker] } });
      assert.equal(patched.status, 200, patched.text);
      const { access_token: token } = await h.login();
      assert.deepEqual(decodeJwt(token).payload.coworkers, [h.rootClientId, coworker]);
      assert.equal((await call(token, coworker)).status, 200, 'a coworker from the token');
      forbidden(await call(token, stranger));
      forbidden(await call(admin, coworker));
      const apt = await createApt(h, token, 'read:identity:users');
      forbidden(await call(apt.token, stranger));
      forbidden(await call(apt.token, 'ffffffffffffffffffffffff'));
    });
  });
}
