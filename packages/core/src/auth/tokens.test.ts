import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../errors.js';
import { storeShapes } from '../testing/stores.js';
import { KeyRing } from './keys.js';
import { claimsFor } from './principal.js';
import { TokenService } from './tokens.js';

const unauthorized = (error: unknown) => error instanceof DomainError && error.code === 'UNAUTHORIZED';

test('a verified token is remembered until it expires; a changed or expired one is refused', async () => {
  const store = await storeShapes({})[0].open();
  try {
    const keys = new KeyRing(store, 3600);
    await keys.init();
    const tokens = new TokenService(keys, { issuer: 'https://stratum.test', audience: 'stratum' });
    const claims = claimsFor({ tenant: 'cache.test', session: 's1', client: 'c1', coworkers: [], scope: ['whole'], type: 'access' });
    // Two seconds: `exp` is whole seconds, so a one-second token may have expired before its first check on a busy machine.
    const { token } = await tokens.sign(claims, 2);
    const first = await tokens.verify(token, 'access');
    assert.equal(await tokens.verify(token, 'access'), first, 'the second check is served from memory');
    await assert.rejects(tokens.verify(token, 'refresh'), unauthorized, 'the type is still checked');
    const [header, payload, signature] = token.split('.');
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    await assert.rejects(tokens.verify(`${header}.${payload}.${flipped}`, 'access'), unauthorized);
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp: number }).exp;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 1000));
    await assert.rejects(tokens.verify(token, 'access'), unauthorized, 'an expired token is refused even when remembered');
  } finally {
    await store.close();
  }
});
