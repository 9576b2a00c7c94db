import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '../errors.js';
import { TestOidcProvider } from '../testing/oidc-provider.js';
import { OidcVerifier, providerPrincipal } from './oidc.js';

function verifierFor(provider: TestOidcProvider, cooldownMs = 0): OidcVerifier {
  return new OidcVerifier({ issuer: provider.issuer, audience: provider.audience, jwksUri: provider.jwksUri, jwksCooldownSeconds: 30 }, { cooldownMs });
}

async function rejects(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('OIDC bearer verification', () => {
  let provider: TestOidcProvider;
  before(async () => {
    provider = await TestOidcProvider.start();
    await provider.addKey('ed', 'EdDSA');
    await provider.addKey('ps', 'PS256');
  });
  after(() => provider.close());

  test('RS256, ES256, EdDSA and PS256 tokens of the provider verify and normalise to a provider principal', async () => {
    const verifier = verifierFor(provider);
    for (const key of ['rsa', 'ec', 'ed', 'ps']) {
      const token = await provider.sign(`user-${key}`, { email: 'ada@example.com', name: 'Ada', picture: 'https://img.example.com/a.png' }, { key });
      assert.deepEqual(await verifier.verify(token), {
        provider: 'oidc', subject: `user-${key}`, email: 'ada@example.com', name: 'Ada', picture: 'https://img.example.com/a.png',
      }, key);
    }
  });

  test('issuer, audience, expiry, algorithm, key and signature are all enforced', async () => {
    const verifier = verifierFor(provider);
    await rejects(verifier.verify(await provider.sign('u', { aud: 'api://other' })), ErrorCode.UNAUTHORIZED, /aud claim/);
    await rejects(verifier.verify(await provider.sign('u', { iss: 'http://127.0.0.1:1/' })), ErrorCode.UNAUTHORIZED, /iss claim/);
    await rejects(verifier.verify(await provider.sign('u', {}, { expiresIn: -120 })), ErrorCode.UNAUTHORIZED, /expired/);
    await rejects(verifier.verify(await provider.signHs256WithPublicKey('u')), ErrorCode.UNAUTHORIZED, /algorithm is not accepted/);
    await rejects(verifier.verify(provider.unsigned('u')), ErrorCode.UNAUTHORIZED, /not valid|algorithm/);
    await rejects(verifier.verify(await provider.sign('u', {}, { kid: 'nobody' })), ErrorCode.UNAUTHORIZED, /unknown key/);
    await rejects(verifier.verify(await provider.tampered('u', 'admin')), ErrorCode.UNAUTHORIZED, /not valid/);
    await rejects(verifier.verify(await provider.sign('', {})), ErrorCode.UNAUTHORIZED, /sub/);
    await rejects(verifier.verify('not.a.jwt'), ErrorCode.UNAUTHORIZED, /not valid/);
  });

  test('a token without exp is refused: it would never expire', async () => {
    const verifier = verifierFor(provider);
    await rejects(verifier.verify(await provider.sign('u', { exp: undefined })), ErrorCode.UNAUTHORIZED, /exp/);
  });

  test('an unknown kid refetches the JWKS at most once per cooldown, so rotation is picked up without hammering the provider', async () => {
    const verifier = verifierFor(provider, 60_000);
    const start = provider.hits;
    await verifier.verify(await provider.sign('u'));
    assert.equal(provider.hits, start + 1, 'the first token fetches the JWKS');
    await verifier.verify(await provider.sign('u', {}, { key: 'ec' }));
    assert.equal(provider.hits, start + 1, 'known keys come from the cache');
    await provider.addKey('rotated', 'RS256');
    await rejects(verifier.verify(await provider.sign('u', {}, { key: 'rotated' })), ErrorCode.UNAUTHORIZED, /unknown key/);
    assert.equal(provider.hits, start + 1, 'within the cooldown an unknown kid does not refetch');

    const eager = verifierFor(provider, 0);
    await eager.verify(await provider.sign('u'));
    const before = provider.hits;
    await provider.addKey('rotated-again', 'ES256');
    assert.equal((await eager.verify(await provider.sign('v', {}, { key: 'rotated-again' }))).subject, 'v');
    assert.equal(provider.hits, before + 1, 'after the cooldown an unknown kid refetches once and the new key verifies');
  });

  test('an unreachable or failing JWKS is a 503, not a bad token', async () => {
    const failing = await TestOidcProvider.start();
    try {
      failing.status = 500;
      await rejects(verifierFor(failing).verify(await failing.sign('u')), ErrorCode.UNAVAILABLE, /signing keys could not be fetched/);
    } finally {
      await failing.close();
    }
    const closed = await TestOidcProvider.start();
    const token = await closed.sign('u');
    const verifier = verifierFor(closed);
    await closed.close();
    await rejects(verifier.verify(token), ErrorCode.UNAVAILABLE, /signing keys could not be fetched/);
  });
});

describe('provider principal normalisation', () => {
  test('profile hints are kept only when well-formed; the subject is required', () => {
    assert.deepEqual(providerPrincipal({ sub: 's', email: 'a@b.c', name: '  Ada  ', picture: 'https://x.example/p.png' }),
      { provider: 'oidc', subject: 's', email: 'a@b.c', name: 'Ada', picture: 'https://x.example/p.png' });
    assert.deepEqual(providerPrincipal({ sub: 's', email: 'a@b.c', email_verified: false }), { provider: 'oidc', subject: 's' });
    assert.deepEqual(providerPrincipal({ sub: 's', email: 'not-an-email', name: 'x'.repeat(1025), picture: 'javascript:alert(1)' }),
      { provider: 'oidc', subject: 's' });
    assert.deepEqual(providerPrincipal({ sub: 's', name: 'a\u0000b', email: 42, picture: ['https://x'] }), { provider: 'oidc', subject: 's' });
    assert.throws(() => providerPrincipal({ sub: '' }), /sub claim/);
    assert.throws(() => providerPrincipal({}), /sub claim/);
  });
});
