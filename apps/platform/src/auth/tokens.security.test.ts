import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { craftJwt, decodeJwt, expect401, privateKeyOf, useSecure, type Secure } from './security-harness.js';

/** Every way a bearer JWT can be wrong is a 401 in the standard shape, never a 200 or a 500. */

type Claims = Record<string, unknown>;

/** A fresh admin access token, its header and claims, and the platform's private key for its kid. */
async function material(h: Secure) {
  const { access_token: token, refresh_token: refresh } = await h.login();
  const { header, payload } = decodeJwt(token);
  const key = await privateKeyOf(h.store, header.kid as string);
  return { token, refresh: refresh!, header, payload, key };
}

/** Claims the token service signs itself (it adds iss, aud, iat, exp and jti). */
function unsigned(payload: Claims): Claims {
  const { iss: _iss, aud: _aud, iat: _iat, exp: _exp, jti: _jti, ...rest } = payload;
  return rest;
}

for (const shape of storeShapes()) {
  describe(`bearer tokens that must be refused on ${shape.name}`, () => {
    const h = useSecure(shape);

    it('a token crafted with the platform key and the right claims is accepted (the craft itself is sound)', async () => {
      const { header, payload, key } = await material(h);
      const forged = craftJwt(header, { ...payload, jti: 'crafted-jti' }, key);
      const reply = await h.call('/auth/verify', { token: forged });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.body.data.jti, 'crafted-jti');
    });

    it('no token, and malformed Authorization headers', async () => {
      expect401(await h.call('/auth/verify'));
      expect401(await h.call('/identity/users?query={}'));
      const { token } = await material(h);
      for (const authorization of ['Bearer', 'Bearer ', `Token ${token}`, `Bearer ${token} extra`, 'Bearer not.a.jwt', 'Bearer abc', `Basic ${token}`, 'Bearer e30.e30.']) {
        expect401(await h.call('/auth/verify', { headers: { authorization } }));
      }
    });

    it('an expired token: signed by the platform key ring with a negative TTL', async () => {
      const { payload } = await material(h);
      const expired = await h.platform.identity.tokens.sign(unsigned(payload) as never, -10);
      const error = expect401(await h.call('/auth/verify', { token: expired.token }));
      assert.match(error.message as string, /expired/);
      const fresh = await h.platform.identity.tokens.sign(unsigned(payload) as never, 60);
      assert.equal((await h.call('/auth/verify', { token: fresh.token })).status, 200, 'the same claims with a live exp pass');
    });

    it('a tampered payload under the original signature', async () => {
      const { token } = await material(h);
      const [head, body, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      for (const change of [{ scope: 'whole manage:identity' }, { sub: 'ffffffffffffffffffffffff' }, { exp: claims.exp + 3600 }, { domain: 'other.test' }]) {
        const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${signature}`;
        expect401(await h.call('/auth/verify', { token: tampered }));
      }
      const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
      expect401(await h.call('/auth/verify', { token: `${head}.${body}.${flipped}` }));
    });

    it('alg none, and other algorithms in the header', async () => {
      const { header, payload, key } = await material(h);
      expect401(await h.call('/auth/verify', { token: craftJwt({ ...header, alg: 'none' }, payload) }));
      expect401(await h.call('/auth/verify', { token: craftJwt({ alg: 'none', typ: 'JWT' }, payload) }));
      expect401(await h.call('/auth/verify', { token: craftJwt({ ...header, alg: 'none' }, payload, key) }));
      expect401(await h.call('/auth/verify', { token: craftJwt({ ...header, alg: 'HS256' }, payload, key) }));
    });

    it('a token signed by a different Ed25519 key under the same kid, and an unknown kid', async () => {
      const { header, payload } = await material(h);
      const { privateKey: stranger } = generateKeyPairSync('ed25519');
      expect401(await h.call('/auth/verify', { token: craftJwt(header, payload, stranger) }));
      const unknown = expect401(await h.call('/auth/verify', { token: craftJwt({ ...header, kid: 'no-such-kid' }, payload, stranger) }));
      assert.match(unknown.message as string, /unknown key/);
      const { kid: _kid, ...noKid } = header;
      expect401(await h.call('/auth/verify', { token: craftJwt(noKid, payload, stranger) }));
    });

    it('wrong audience, wrong issuer, and missing required claims, signed with the real key', async () => {
      const { header, payload, key } = await material(h);
      for (const change of [{ aud: 'someone-else' }, { aud: ['someone-else'] }, { iss: 'https://evil.example' }]) {
        const error = expect401(await h.call('/auth/verify', { token: craftJwt(header, { ...payload, ...change }, key) }));
        assert.match(error.message as string, /(aud|iss) claim/, JSON.stringify(change));
      }
      for (const claim of ['sub', 'jti', 'exp', 'session', 'domain']) {
        const { [claim]: _dropped, ...rest } = payload;
        expect401(await h.call('/auth/verify', { token: craftJwt(header, rest, key) }));
      }
      expect401(await h.call('/auth/verify', { token: craftJwt(header, { ...payload, nbf: Math.floor(Date.now() / 1000) + 3600 }, key) }));
    });

    it('a forged token naming a session that does not exist, or another tenant', async () => {
      const { header, payload, key } = await material(h);
      expect401(await h.call('/auth/verify', { token: craftJwt(header, { ...payload, session: 'ffffffffffffffffffffffff' }, key) }));
      expect401(await h.call('/auth/verify', { token: craftJwt(header, { ...payload, domain: 'no-such-tenant.test' }, key) }));
    });

    it('a refresh token used as an access token, and an access token used as a refresh token', async () => {
      const { token, refresh } = await material(h);
      const error = expect401(await h.call('/auth/verify', { token: refresh }));
      assert.match(error.message as string, /access token/);
      expect401(await h.call('/identity/users?query={}', { token: refresh }));
      expect401(await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: token } }));
      assert.equal((await h.call('/auth/verify', { token })).status, 200, 'the access token itself still works');
    });

    it('key rotation: tokens from before still verify, new ones carry the new kid, JWKS lists both', async () => {
      const before = await h.login();
      const oldKid = decodeJwt(before.access_token).header.kid;
      const newKid = await h.platform.identity.keys.rotate();
      assert.notEqual(newKid, oldKid);
      assert.equal((await h.call('/auth/verify', { token: before.access_token })).status, 200, 'overlap: the old key still verifies');
      const refreshed = await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: before.refresh_token } });
      assert.equal(refreshed.status, 200, `a refresh token signed before the rotation still works: ${refreshed.text}`);
      assert.equal(decodeJwt(refreshed.body.data.access_token).header.kid, newKid);
      const after = await h.login();
      assert.equal(decodeJwt(after.access_token).header.kid, newKid);
      assert.equal((await h.call('/auth/verify', { token: after.access_token })).status, 200);
      const jwks = await h.call('/.well-known/jwks.json');
      assert.equal(jwks.status, 200);
      const kids = (jwks.body.keys as { kid: string; kty: string; crv: string; d?: string }[]).map((k) => k.kid);
      assert.ok(kids.includes(oldKid as string) && kids.includes(newKid), `both kids in ${kids.join(', ')}`);
      for (const k of jwks.body.keys) {
        assert.equal(k.d, undefined, 'no private key material in the JWKS');
        assert.equal(k.kty, 'OKP');
      }
      const discovery = await h.call('/.well-known/openid-configuration');
      assert.match(discovery.body.jwks_uri, /\/\.well-known\/jwks\.json$/);
    });
  });
}
