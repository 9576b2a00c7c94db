import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { totpCode, base32Decode } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { ADMIN_PASSWORD, decodeJwt, expect401, useSecure, type Reply } from './security-harness.js';

/** Seed 003 is the auth contract: every curl in it works as written against a fresh platform. */

const TOKEN_KEYS = ['access_token', 'expires_in', 'refresh_token', 'scope', 'session', 'token_type'];

function assertTokenResponse(reply: Reply, keys = TOKEN_KEYS) {
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(Object.keys(reply.body), ['data']);
  const data = reply.body.data;
  assert.deepEqual(Object.keys(data).sort(), keys);
  assert.equal(data.token_type, 'Bearer');
  assert.ok(Number.isInteger(data.expires_in) && data.expires_in > 0);
  assert.match(data.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(reply.headers.get('cache-control'), 'no-store');
  return data;
}

for (const shape of storeShapes()) {
  describe(`seed 003 curls against a fresh platform on ${shape.name}`, () => {
    const h = useSecure(shape);

    it('POST /auth/token with username, password and grant_type answers the token envelope', async () => {
      const reply = await h.call('/auth/token', {
        headers: { 'content-type': 'application/json' },
        body: `{ "username": "${h.adminEmail}", "password": "${ADMIN_PASSWORD}", "grant_type": "password" }`,
      });
      const data = assertTokenResponse(reply);
      assert.equal(data.scope, 'whole');
      assert.match(data.session, /^[0-9a-f]{24}$/);
      const { header, payload } = decodeJwt(data.access_token);
      assert.equal(header.alg, 'EdDSA');
      assert.equal(typeof header.kid, 'string');
      assert.equal(payload.type, 'access');
      assert.equal(decodeJwt(data.refresh_token).payload.type, 'refresh');
    });

    it('GET /auth/verify returns the claims: sub, client_id, coworkers, scope, exp', async () => {
      const { access_token: token, session } = await h.login();
      const reply = await h.call('/auth/verify', { token });
      assert.equal(reply.status, 200, reply.text);
      const claims = reply.body.data;
      const users = await h.call(`/identity/users?query=${encodeURIComponent(JSON.stringify({ email: h.adminEmail }))}`, { token });
      assert.equal(users.body.items.length, 1);
      assert.equal(claims.sub, users.body.items[0].id);
      assert.equal(claims.client_id, h.rootClientId);
      assert.ok(Array.isArray(claims.coworkers) && claims.coworkers.includes(h.rootClientId));
      assert.equal(claims.scope, 'whole');
      assert.equal(claims.session, session);
      assert.equal(claims.domain, h.domain);
      assert.ok(claims.exp > Date.now() / 1000 && claims.exp <= Date.now() / 1000 + 86_400);
      assert.ok(claims.zone === undefined || typeof claims.zone === 'string');
    });

    it('GET /auth/logout answers {result:true} and the token fails on the very next request', async () => {
      const { access_token: token } = await h.login();
      const reply = await h.call('/auth/logout', { token });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.body, { result: true });
      expect401(await h.call('/auth/verify', { token }));
      const post = await h.login();
      assert.deepEqual((await h.call('/auth/logout', { method: 'POST', token: post.access_token })).body, { result: true });
      expect401(await h.call('/auth/verify', { token: post.access_token }));
    });

    it('POST /auth/check {token} answers {result:true} for a live token and false otherwise', async () => {
      const { access_token: token } = await h.login();
      const other = await h.login();
      const check = (t: string) => h.call('/auth/check', { token, body: { token: t } });
      const live = await check(other.access_token);
      assert.equal(live.status, 200, live.text);
      assert.deepEqual(live.body, { result: true });
      assert.deepEqual((await check('not-a-token')).body, { result: false });
      assert.deepEqual((await check(other.refresh_token!)).body, { result: false }, 'a refresh token is not an access token');
      await h.call('/auth/logout', { token: other.access_token });
      assert.deepEqual((await check(other.access_token)).body, { result: false });
      expect401(await h.call('/auth/check', { body: { token } }));
    });

    it('POST /auth/check {token, secret} checks a TOTP code', async () => {
      const { access_token: token } = await h.login();
      const secret = 'JBSWY3DPEHPK3PXP';
      const code = totpCode(base32Decode(secret)!, Math.floor(Date.now() / 30_000));
      assert.deepEqual((await h.call('/auth/check', { token, body: { token: code, secret } })).body, { result: true });
      const wrong = code === '000000' ? '111111' : '000000';
      assert.deepEqual((await h.call('/auth/check', { token, body: { token: wrong, secret } })).body, { result: false });
    });

    it('APTs: created as in the seed, the token shown once, listed with ?query={}, revoked by DELETE', async () => {
      const { access_token: token } = await h.login();
      const created = await h.call('/auth/apts', {
        token, body: { name: 'ci-bot', scope: 'read:identity:users', description: 'Read-only token for CI pipeline' },
      });
      assert.equal(created.status, 201, created.text);
      const apt = created.body.data;
      for (const key of ['id', 'name', 'token', 'scope', 'created_at']) assert.ok(key in apt, `${key} in ${created.text}`);
      assert.equal(apt.name, 'ci-bot');
      assert.equal(apt.scope, 'read:identity:users');
      assert.match(apt.token, /^apt_[\w-]{20,}$/);
      assert.ok(!('token_hash' in apt));

      const one = await h.call(`/auth/apts/${apt.id}`, { token });
      assert.equal(one.status, 200, one.text);
      assert.ok(!('token' in one.body.data) && !('token_hash' in one.body.data), one.text);
      assert.ok(!one.text.includes(apt.token));
      const list = await h.call('/auth/apts?query={}', { token });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.body.items.some((item: { id: string }) => item.id === apt.id));
      assert.ok(!list.text.includes('token_hash') && !list.text.includes(apt.token));

      const used = await h.call('/identity/users?query={}', { token: apt.token });
      assert.equal(used.status, 200, used.text);
      const verified = await h.call('/auth/verify', { token: apt.token });
      assert.equal(verified.body.data.scope, 'read:identity:users');
      assert.equal(verified.body.data.client_id, h.rootClientId);

      const deleted = await h.call(`/auth/apts/${apt.id}`, { method: 'DELETE', token });
      assert.equal(deleted.status, 200, deleted.text);
      expect401(await h.call('/identity/users?query={}', { token: apt.token }));
      expect401(await h.call('/auth/verify', { token: apt.token }));
      const restored = await h.call(`/auth/apts/${apt.id}/restore`, { method: 'PUT', token });
      assert.equal(restored.status, 409, 'a revoked APT is revoked for good');
      expect401(await h.call('/auth/verify', { token: apt.token }));
    });

    it('zone query parameters are accepted', async () => {
      const { access_token: token } = await h.login();
      for (const zone of ['own', 'own,share']) {
        const reply = await h.call(`/identity/users?query={}&zone=${zone}`, { token });
        assert.equal(reply.status, 200, `zone=${zone}: ${reply.text}`);
        assert.ok(Array.isArray(reply.body.items));
      }
    });

    it('POST /auth/token takes a form body, Basic client auth, and x-no-api-response: true', async () => {
      const form = await h.call('/auth/token', { form: { username: h.adminEmail, password: ADMIN_PASSWORD, grant_type: 'password' } });
      const data = assertTokenResponse(form);
      const bare = await h.call('/auth/token', {
        headers: { 'x-no-api-response': 'true' },
        body: { username: h.adminEmail, password: ADMIN_PASSWORD, grant_type: 'password' },
      });
      assert.equal(bare.status, 200, bare.text);
      assert.deepEqual(Object.keys(bare.body).sort(), TOKEN_KEYS, 'the bare token object, no envelope');
      const basic = Buffer.from(`${h.rootClientId}:${h.rootClientSecret}`).toString('base64');
      const client = await h.call('/auth/token', {
        headers: { authorization: `Basic ${basic}` },
        form: { grant_type: 'client_credentials' },
      });
      const clientData = assertTokenResponse(client, TOKEN_KEYS.filter((k) => k !== 'refresh_token'));
      assert.equal(decodeJwt(clientData.access_token).payload.sub, h.rootClientId);
      const alias = await h.call('/auth/token', { body: { grant_type: 'client_credential', client_id: h.rootClientId, client_secret: h.rootClientSecret } });
      assertTokenResponse(alias, TOKEN_KEYS.filter((k) => k !== 'refresh_token'));
      for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
        const reply = await h.call('/auth/verify', { headers: { authorization: `${scheme} ${data.access_token}` } });
        assert.equal(reply.status, 200, `${scheme}: ${reply.text}`);
      }
    });

    it('refresh_token grant rotates the refresh token and keeps the session', async () => {
      const first = await h.login();
      const refreshed = await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: first.refresh_token } });
      const data = assertTokenResponse(refreshed);
      assert.equal(data.session, first.session);
      assert.notEqual(data.refresh_token, first.refresh_token);
      assert.equal((await h.call('/auth/verify', { token: data.access_token })).status, 200);
    });
  });
}
