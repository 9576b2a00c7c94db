import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CollectionEngine, type Store } from '@stratum/core';
import { storeShapes, testContext, testLimits } from '@stratum/core/testing';
import { TestOidcProvider } from '@stratum/core/testing/oidc';
import { assertError, startPlatform, subject, uniqueDomain, usersOf, type Running } from './oidc-harness.js';

const ADMIN_PASSWORD = 'oidc-suite-admin-password';

for (const shape of storeShapes()) {
  describe(`AUTH_PROVIDER=oidc on ${shape.name}`, () => {
    let store: Store;
    let provider: TestOidcProvider;
    let api: Running;

    before(async () => {
      store = await shape.open();
      provider = await TestOidcProvider.start();
      api = await startPlatform(store, provider.env({
        OIDC_SCOPE: 'read:context:settings', OIDC_ROLES: 'reader', OIDC_CLIENT_ID: 'spa-test', OIDC_JWKS_COOLDOWN_SECONDS: '0', STRATUM_ADMIN_PASSWORD: ADMIN_PASSWORD,
      }));
      // The grant behind OIDC_ROLES, written as the platform's own work before any request.
      const { registry } = api.platform;
      await new CollectionEngine(store, registry, testLimits()).create(testContext(api.root), registry.get('auth', 'grants'),
        { subject: 'reader', action: 'read', object: 'context:settings' });
    });
    after(async () => {
      await api?.platform.close();
      await provider?.close();
      await store?.close();
    });

    test('GET /config is public and shows the provider\'s public values only', async () => {
      const reply = await api.call('/config');
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, { data: { authProvider: 'oidc', oidc: { issuer: provider.issuer, audience: provider.audience, clientId: 'spa-test' } } });
    });

    test('a valid token: GET /me creates the local user once, later calls return the same user', async () => {
      const sub = subject();
      const token = await provider.sign(sub, { email: 'ada@example.com', name: 'Ada', picture: 'https://img.example.com/ada.png' });
      const first = await api.call('/me', { token });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const user = first.body.data.user;
      assert.match(user.id, /^[0-9a-f]{24}$/);
      assert.equal(user.provider, 'oidc');
      assert.equal(user.email, 'ada@example.com');
      assert.equal(user.name, 'Ada');
      assert.equal(user.picture, 'https://img.example.com/ada.png');
      assert.equal(user.status, 'active');
      for (const hidden of ['external_id', 'password', 'totp_secret']) assert.equal(hidden in user, false, hidden);
      const second = await api.call('/me', { token: await provider.sign(sub, { name: 'Ada L.' }, { key: 'ec' }) });
      assert.equal(second.status, 200);
      assert.equal(second.body.data.user.id, user.id);
      assert.equal(second.body.data.user.name, 'Ada L.', 'profile fields follow the provider');
      assert.equal(second.body.data.user.email, 'ada@example.com', 'a field the token lacks is kept');
      assert.ok(second.body.data.user.last_seen_at >= user.last_seen_at);
      assert.ok(second.body.data.user.version > user.version);
      assert.deepEqual(await usersOf(store, api.root, sub), [{ id: user.id }]);
    });

    test('the principal is the local user, acting through the tenant\'s oidc client with OIDC_SCOPE', async () => {
      const token = await provider.sign(subject());
      const me = (await api.call('/me', { token })).body.data.user;
      const verify = await api.call('/auth/verify', { token });
      assert.equal(verify.status, 200);
      assert.equal(verify.body.data.uid, me.id);
      assert.equal(verify.body.data.kind, 'oidc');
      assert.equal(verify.body.data.domain, api.root);
      assert.equal(verify.body.data.scope, 'read:context:settings');
      const clients = await store.query<{ id: string }>("SELECT id FROM c_domain_clients WHERE tenant_id = $1 AND ref = 'stratum:oidc'", [api.root]);
      assert.deepEqual(clients.rows.map((r) => r.id), [verify.body.data.client_id]);
      assert.equal((await api.call('/context/settings', { token })).status, 200);
      assertError(await api.call('/identity/users', { token }), 403, 'SCOPE_MISSING', 'users are not in OIDC_SCOPE');
      assert.deepEqual((await api.call('/auth/check', { token, body: { token } })).body, { result: true });
    });

    test('the same subject in another tenant (x-domain) is a different local user', async () => {
      const other = uniqueDomain('oidc-other');
      await api.platform.identity.tenants.create({ domain: other });
      const sub = subject();
      const token = await provider.sign(sub);
      const inRoot = await api.call('/me', { token });
      const inOther = await api.call('/me', { token, headers: { 'x-domain': other } });
      assert.equal(inRoot.status, 200);
      assert.equal(inOther.status, 200, JSON.stringify(inOther.body));
      assert.notEqual(inOther.body.data.user.id, inRoot.body.data.user.id);
      assert.deepEqual(await usersOf(store, other, sub), [{ id: inOther.body.data.user.id }]);
      assert.deepEqual(await usersOf(store, api.root, sub), [{ id: inRoot.body.data.user.id }]);
      assert.equal((await api.call('/auth/verify', { token, headers: { 'x-domain': other } })).body.data.domain, other);
      assertError(await api.call('/me', { token, headers: { 'x-domain': uniqueDomain('nowhere') } }), 401, 'UNAUTHORIZED', 'unknown tenant');
    });

    test('bad tokens are 401 and create no user', async () => {
      const cases: [string, (sub: string) => Promise<string> | string][] = [
        ['wrong audience', (sub) => provider.sign(sub, { aud: 'api://someone-else' })],
        ['wrong issuer', (sub) => provider.sign(sub, { iss: 'https://evil.example.com/' })],
        ['expired', (sub) => provider.sign(sub, {}, { expiresIn: -300 })],
        ['HS256 keyed with the public key', (sub) => provider.signHs256WithPublicKey(sub)],
        ['alg none', (sub) => provider.unsigned(sub)],
        ['unknown kid', (sub) => provider.sign(sub, {}, { kid: 'not-a-published-kid' })],
        ['tampered payload', (sub) => provider.tampered(subject(), sub)],
      ];
      for (const [what, make] of cases) {
        const sub = subject();
        assertError(await api.call('/me', { token: await make(sub) }), 401, 'UNAUTHORIZED', what);
        assert.deepEqual(await usersOf(store, api.root, sub), [], `${what}: no user`);
      }
    });

    test('without a token, or with anything but a provider JWT, protected routes are 401', async () => {
      assertError(await api.call('/me'), 401, 'UNAUTHORIZED', 'no token');
      assertError(await api.call('/me', { headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHORIZED', 'basic');
      assertError(await api.call('/me', { token: 'apt_0123456789abcdef' }), 401, 'UNAUTHORIZED', 'apt');
      assertError(await api.call('/me', { headers: { 'x-api-key': 'key_0123456789' } }), 401, 'UNAUTHORIZED', 'api key');
      // Stratum still signs its own tokens, but this deployment accepts the provider's only.
      const login = await api.call('/auth/token', { body: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }, headers: { 'x-domain': api.root } });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assertError(await api.call('/me', { token: login.body.data.access_token }), 401, 'UNAUTHORIZED', 'a Stratum token');
      const oidcToken = await provider.sign(subject());
      assert.deepEqual((await api.call('/auth/check', { token: oidcToken, body: { token: login.body.data.access_token } })).body, { result: false });
    });

    test('concurrent first GET /me calls create one user', async () => {
      const sub = subject();
      const token = await provider.sign(sub);
      const replies = await Promise.all(Array.from({ length: 8 }, () => api.call('/me', { token })));
      assert.deepEqual(replies.map((r) => r.status), Array(8).fill(200), JSON.stringify(replies.find((r) => r.status !== 200)?.body));
      assert.equal(new Set(replies.map((r) => r.body.data.user.id)).size, 1);
      assert.equal((await usersOf(store, api.root, sub)).length, 1);
    });

    test('a suspended or deleted local user is refused at once, and not replaced by a new one', async () => {
      const sub = subject();
      const token = await provider.sign(sub);
      const id = (await api.call('/me', { token })).body.data.user.id;
      await store.query(`UPDATE c_identity_users SET doc = doc || '{"status":"suspended"}' WHERE tenant_id = $1 AND id = $2`, [api.root, id]);
      assertError(await api.call('/context/settings', { token }), 403, 'FORBIDDEN', 'suspended');
      await store.query('UPDATE c_identity_users SET deleted_at = now() WHERE tenant_id = $1 AND id = $2', [api.root, id]);
      assertError(await api.call('/me', { token }), 403, 'FORBIDDEN', 'deleted');
      assert.deepEqual(await usersOf(store, api.root, sub), [], 'no new user replaces the deleted one');
    });

    // Last: it retires the provider's first RSA key.
    test('key rotation at the provider: the new key works after the JWKS refresh, the retired one stops', async () => {
      const sub = subject();
      const oldToken = await provider.sign(sub);
      assert.equal((await api.call('/me', { token: oldToken })).status, 200);
      const hits = provider.hits;
      await provider.addKey('rsa-next', 'RS256');
      provider.unpublish('rsa');
      const fresh = await api.call('/me', { token: await provider.sign(sub, {}, { key: 'rsa-next' }) });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.equal(provider.hits, hits + 1, 'the unknown kid caused one JWKS fetch');
      assertError(await api.call('/me', { token: await provider.sign(sub) }), 401, 'UNAUTHORIZED', 'the retired key');
      assert.equal((await api.call('/me', { token: await provider.sign(sub, {}, { key: 'ec' }) })).status, 200, 'keys still published keep working');
    });
  });
}
