import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import {
  ADMIN_PASSWORD, createApt, createClient, createUser, decodeJwt, expect401, expectError, startSecure, uniqueName, useSecure, type Secure,
} from './security-harness.js';

/** Sign-in: throttling, no user enumeration through messages, and authorization_code with PKCE. */

const PASSWORD = 'a-user-password-1';
const REDIRECT = 'https://app.example/callback';

const passwordGrant = (h: Secure, username: string, password: string) =>
  h.call('/auth/token', { body: { username, password, grant_type: 'password' } });

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

for (const shape of storeShapes()) {
  describe(`sign-in on ${shape.name}`, () => {
    const h = useSecure(shape);

    it('more than LOGIN_ATTEMPTS_PER_MINUTE failed sign-ins for one username are 429 with Retry-After', async () => {
      const limited = await startSecure(h.store, { LOGIN_ATTEMPTS_PER_MINUTE: '3' });
      try {
        for (let i = 0; i < 3; i++) expect401(await passwordGrant(limited, limited.adminEmail, `wrong-password-${i}`));
        const throttled = await passwordGrant(limited, limited.adminEmail, 'wrong-password-4');
        const error = expectError(throttled, 429, 'RATE_LIMITED');
        assert.equal(error.error, 'Too Many Requests');
        const retry = Number(throttled.headers.get('retry-after'));
        assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${throttled.headers.get('retry-after')}`);
        expectError(await passwordGrant(limited, limited.adminEmail, ADMIN_PASSWORD), 429, 'RATE_LIMITED');
        const upper = await passwordGrant(limited, limited.adminEmail.toUpperCase(), ADMIN_PASSWORD);
        expectError(upper, 429, 'RATE_LIMITED');
        const problem = await limited.call('/auth/token', {
          headers: { accept: 'application/problem+json' }, body: { username: limited.adminEmail, password: 'x', grant_type: 'password' },
        });
        assert.equal(problem.status, 429);
        assert.match(problem.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.ok(problem.headers.get('retry-after'));
        assert.equal((await passwordGrant(h, h.adminEmail, ADMIN_PASSWORD)).status, 200, 'another platform is not throttled');
      } finally {
        await limited.platform.close();
      }
    });

    it('an unknown username, a wrong password and an inactive user all get the same 401 message', async () => {
      const { access_token: admin } = await h.login();
      const suspended = uniqueName('suspended');
      await createUser(h, admin, suspended, PASSWORD);
      const users = await h.call(`/identity/users?query=${encodeURIComponent(JSON.stringify({ username: suspended }))}`, { token: admin });
      await h.call(`/identity/users/${users.body.items[0].id}`, { method: 'PATCH', token: admin, body: { status: 'suspended' } });
      const unknown = expect401(await passwordGrant(h, `${uniqueName('nobody')}@example.com`, PASSWORD));
      const wrong = expect401(await passwordGrant(h, h.adminEmail, 'not-the-password'));
      const inactive = expect401(await passwordGrant(h, suspended, PASSWORD));
      assert.equal(unknown.message, wrong.message);
      assert.equal(inactive.message, wrong.message);
      assert.equal(unknown.error, wrong.error);
      assert.doesNotMatch(wrong.message as string, /exist|found|unknown user/i);
    });

    it('authorization_code with PKCE S256: the right verifier works once; wrong verifier, reuse, wrong redirect_uri are 401', async () => {
      const { access_token: admin } = await h.login();
      const secret = 'pkce-client-secret-1';
      const client = await createClient(h, admin, {
        secret, scopes: ['read:identity'], grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT],
      });
      const authorize = async (challenge: string, extra: Record<string, unknown> = {}) => {
        const reply = await h.call('/auth/authorize', {
          token: admin, body: { client_id: client, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's-1', ...extra },
        });
        assert.equal(reply.status, 200, reply.text);
        assert.equal(reply.body.data.redirect_uri, REDIRECT);
        assert.equal(reply.body.data.state, 's-1');
        return reply.body.data.code as string;
      };
      const exchange = (code: string, verifier: string, extra: Record<string, unknown> = {}) => h.call('/auth/token', {
        body: { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client, ...extra },
      });

      const good = pkce();
      const code = await authorize(good.challenge);
      const tokens = await exchange(code, good.verifier);
      assert.equal(tokens.status, 200, tokens.text);
      const data = tokens.body.data;
      assert.equal(data.scope, 'read:identity');
      const claims = decodeJwt(data.access_token).payload;
      assert.equal(claims.client_id, client);
      assert.equal(claims.sub, (await h.call('/auth/verify', { token: admin })).body.data.sub);
      assert.equal((await h.call('/identity/users/count', { token: data.access_token })).status, 200);
      expectError(await h.call('/context/settings/count', { token: data.access_token }), 403, 'SCOPE_MISSING');
      expect401(await exchange(code, good.verifier));
      const refreshed = await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: data.refresh_token } });
      assert.equal(refreshed.status, 200, refreshed.text);

      const burned = pkce();
      const burnedCode = await authorize(burned.challenge);
      expect401(await exchange(burnedCode, pkce().verifier));
      expect401(await exchange(burnedCode, burned.verifier));
      const other = pkce();
      expect401(await exchange(await authorize(other.challenge), other.verifier, { redirect_uri: 'https://evil.example/callback' }));
      const wrongClient = pkce();
      expect401(await exchange(await authorize(wrongClient.challenge), wrongClient.verifier, { client_id: h.rootClientId }));
      expect401(await exchange(randomBytes(32).toString('base64url'), good.verifier));
      const secretWrong = pkce();
      expect401(await exchange(await authorize(secretWrong.challenge), secretWrong.verifier, { client_secret: 'not-the-secret' }));
      const secretRight = pkce();
      assert.equal((await exchange(await authorize(secretRight.challenge), secretRight.verifier, { client_secret: secret })).status, 200);
    });

    it('/auth/authorize refuses unregistered redirect_uris, plain PKCE, non-users and clients without the grant', async () => {
      const { access_token: admin } = await h.login();
      const client = await createClient(h, admin, { scopes: ['read:identity'], grant_types: ['authorization_code'], redirect_uris: [REDIRECT] });
      const noGrant = await createClient(h, admin, { scopes: ['read:identity'], grant_types: ['password'], redirect_uris: [REDIRECT] });
      const { challenge } = pkce();
      const body = { client_id: client, redirect_uri: REDIRECT, code_challenge: challenge };
      const authorize = (token: string | undefined, change: Record<string, unknown>) => h.call('/auth/authorize', { token, body: { ...body, ...change } });
      expect401(await authorize(undefined, {}));
      expectError(await authorize(admin, { redirect_uri: 'https://evil.example/callback' }), 400, 'BAD_REQUEST');
      expectError(await authorize(admin, { code_challenge_method: 'plain' }), 400, 'BAD_REQUEST');
      expectError(await authorize(admin, { code_challenge: 'short' }), 400, 'BAD_REQUEST');
      expectError(await authorize(admin, { client_id: noGrant }), 403, 'FORBIDDEN');
      const clientToken = await h.call('/auth/token', { body: { grant_type: 'client_credentials', client_id: h.rootClientId, client_secret: h.rootClientSecret } });
      expectError(await authorize(clientToken.body.data.access_token, {}), 403, 'FORBIDDEN');
    });

    it('a code never carries more scope than the token that asked for it', async () => {
      const { access_token: admin } = await h.login();
      const client = await createClient(h, admin, { scopes: ['whole'], grant_types: ['authorization_code'], redirect_uris: [REDIRECT] });
      const viaCode = async (token: string, scope?: string) => {
        const { verifier, challenge } = pkce();
        const issued = await h.call('/auth/authorize', {
          token, body: { client_id: client, redirect_uri: REDIRECT, code_challenge: challenge, ...(scope ? { scope } : {}) },
        });
        if (issued.status !== 200) return issued;
        return h.call('/auth/token', {
          body: { grant_type: 'authorization_code', code: issued.body.data.code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client },
        });
      };
      const full = await viaCode(admin);
      assert.equal(full.body.data.scope, 'whole', full.text);
      const apt = await createApt(h, admin, 'read:identity:users');
      const narrow = await viaCode(apt.token);
      assert.equal(narrow.status, 200, narrow.text);
      assert.equal(narrow.body.data.scope, 'read:identity:users', 'an APT cannot mint a wider user token');
      assert.equal((await viaCode(apt.token, 'whole')).body.data.scope, 'read:identity:users');
      expectError(await viaCode(apt.token, 'manage:domain'), 403, 'FORBIDDEN');
      expectError(await h.call('/context/settings/count', { token: narrow.body.data.access_token }), 403, 'SCOPE_MISSING');
    });
  });
}
