import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { createPlatformClient, PlatformError } from '@stratum/sdk';
import { ADMIN_PASSWORD, useSecure } from './security-harness.js';

for (const shape of storeShapes()) {
  describe(`SDK sign-in and sessions on ${shape.name}`, () => {
    const h = useSecure(shape);

    test('sign in, use the token, refresh once, sign out: the next call is a 401', async () => {
      const anonymous = createPlatformClient({ baseUrl: h.url });
      await assert.rejects(anonymous.identity.users.count(), (e: unknown) => e instanceof PlatformError && e.statusCode === 401);
      const tokens = await anonymous.tokens.password({ username: h.adminEmail, password: ADMIN_PASSWORD });
      assert.equal(tokens.token_type, 'Bearer');
      const platform = createPlatformClient({ baseUrl: h.url, token: tokens.access_token });
      const claims = await platform.tokens.verify();
      assert.equal(claims.domain, h.domain);
      assert.ok((await platform.identity.users.count()) >= 1);
      assert.equal(await platform.tokens.check(tokens.access_token), true);
      const renewed = await anonymous.tokens.refresh(tokens.refresh_token!);
      await assert.rejects(anonymous.tokens.refresh(tokens.refresh_token!), (e: unknown) => e instanceof PlatformError && e.code === 'UNAUTHORIZED');
      const fresh = createPlatformClient({ baseUrl: h.url, token: renewed.access_token });
      await assert.rejects(fresh.identity.users.count(), (e: unknown) => e instanceof PlatformError && e.statusCode === 401);
      const again = createPlatformClient({ baseUrl: h.url, token: (await anonymous.tokens.password({ username: h.adminEmail, password: ADMIN_PASSWORD })).access_token });
      assert.equal(await again.tokens.logout(), true);
      await assert.rejects(again.identity.users.count(), (e: unknown) => e instanceof PlatformError && e.statusCode === 401);
    });

    test('client credentials through the SDK give a token for the client itself', async () => {
      const anonymous = createPlatformClient({ baseUrl: h.url });
      const tokens = await anonymous.tokens.clientCredentials({ client_id: h.rootClientId, client_secret: h.rootClientSecret });
      const claims = await createPlatformClient({ baseUrl: h.url, token: tokens.access_token }).tokens.verify();
      assert.equal(claims.sub, h.rootClientId);
      assert.equal(claims.uid, undefined);
    });
  });
}
