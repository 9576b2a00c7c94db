import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { assertError, startPlatform, type Running } from './oidc-harness.js';

const ADMIN_PASSWORD = 'me-suite-admin-password';

for (const shape of storeShapes()) {
  describe(`GET /me and GET /config with Stratum's own tokens on ${shape.name}`, () => {
    let store: Store;
    let internal: Running;
    let none: Running;

    before(async () => {
      store = await shape.open();
      internal = await startPlatform(store, { AUTH_PROVIDER: 'internal', STRATUM_ADMIN_PASSWORD: ADMIN_PASSWORD });
      none = await startPlatform(store, { AUTH_PROVIDER: 'none' });
    });
    after(async () => {
      await internal?.platform.close();
      await none?.platform.close();
      await store?.close();
    });

    test('GET /config names the provider and Stratum\'s token endpoint, without OIDC', async () => {
      for (const [api, provider] of [[internal, 'internal'], [none, 'none']] as const) {
        const reply = await api.call('/config');
        assert.equal(reply.status, 200);
        assert.deepEqual(reply.body, { data: { authProvider: provider, oidc: null, tokenEndpoint: 'http://localhost:3010/auth/token' } });
      }
    });

    test('internal: a user token gets its user; a client token is not a user (404); no token is 401', async () => {
      const login = await internal.call('/auth/token', {
        body: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }, headers: { 'x-domain': internal.root },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const me = await internal.call('/me', { token: login.body.data.access_token });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.data.user.username, 'admin');
      assert.equal('password' in me.body.data.user, false);
      const created = internal.platform.bootstrap.created!;
      const client = await internal.call('/auth/token', {
        body: { grant_type: 'client_credentials', client_id: internal.platform.bootstrap.clientId, client_secret: created.clientSecret },
      });
      assert.equal(client.status, 200, JSON.stringify(client.body));
      assertError(await internal.call('/me', { token: client.body.data.access_token }), 404, 'NOT_FOUND', 'client token');
      assertError(await internal.call('/me'), 401, 'UNAUTHORIZED', 'no token');
    });

    test('none: the local developer is not a stored user, so /me is 404', async () => {
      assertError(await none.call('/me'), 404, 'NOT_FOUND', 'local developer');
    });
  });
}
