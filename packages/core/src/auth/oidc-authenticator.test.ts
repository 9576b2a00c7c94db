import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@stratum/contracts';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { CollectionEngine } from '../collections/engine.js';
import { CollectionRegistry } from '../collections/registry.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { TestOidcProvider } from '../testing/oidc-provider.js';
import { storeShapes, testLimits } from '../testing/stores.js';
import { ExternalUsers } from './external-users.js';
import { OidcVerifier } from './oidc.js';
import { OidcAuthenticator } from './oidc-authenticator.js';
import { TenantDirectory } from './tenants.js';

const domain = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}.test`;

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

for (const shape of storeShapes()) {
  describe(`OIDC request authenticator on ${shape.name}`, () => {
    let store: Store;
    let provider: TestOidcProvider;
    let tenants: TenantDirectory;
    let authenticator: OidcAuthenticator;
    let engine: CollectionEngine;
    const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
    const root = domain('root');
    const other = domain('other');

    before(async () => {
      store = await shape.open();
      provider = await TestOidcProvider.start();
      tenants = new TenantDirectory(store);
      await tenants.create({ domain: root });
      await tenants.create({ domain: other, aliases: [`www.${other}`] });
      engine = new CollectionEngine(store, registry, testLimits());
      const users = new ExternalUsers(store, engine, registry, ['read:career']);
      const verifier = new OidcVerifier({ issuer: provider.issuer, audience: provider.audience, jwksUri: provider.jwksUri, jwksCooldownSeconds: 0 });
      authenticator = new OidcAuthenticator(verifier, users, tenants, { rootDomain: root, scope: ['read:career'], roles: [] });
    });
    after(async () => {
      await provider.close();
      await store.close();
    });

    const bearer = async (sub: string) => `Bearer ${await provider.sign(sub)}`;

    test('no bearer is no credential; a bearer that is not a JWT is refused before any verification', async () => {
      assert.equal(await authenticator.authenticate({ ip: '127.0.0.1' }), null);
      assert.equal(await authenticator.authenticate({ ip: '127.0.0.1', apiKey: 'key_abc' }), null);
      const hits = provider.hits;
      await rejects(authenticator.authenticate({ ip: '127.0.0.1', authorization: 'Bearer apt_0123456789' }), ErrorCode.UNAUTHORIZED, /OIDC JWT bearer tokens only/);
      assert.equal(provider.hits, hits);
    });

    test('the principal is the root tenant\'s local user, acting through the oidc client with the configured scope', async () => {
      const auth = (await authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|p') }))!;
      assert.equal(auth.kind, 'oidc');
      assert.equal(auth.tenant, root);
      assert.deepEqual(auth.external, { provider: 'oidc', subject: 'auth0|p' });
      assert.match(auth.principal.uid!, /^[0-9a-f]{24}$/);
      assert.match(auth.principal.cid, /^[0-9a-f]{24}$/);
      assert.deepEqual(auth.principal.coworkers, [auth.principal.cid]);
      assert.deepEqual(auth.principal.scope, ['read:career']);
      assert.deepEqual(auth.principal.groups, [root]);
      assert.equal(auth.principal.session, undefined);
    });

    test('x-domain chooses the tenant by domain or alias; an unknown one is refused', async () => {
      const inOther = (await authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|d'), domain: `www.${other}` }))!;
      const inRoot = (await authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|d') }))!;
      assert.equal(inOther.tenant, other);
      assert.notEqual(inOther.principal.uid, inRoot.principal.uid);
      assert.notEqual(inOther.principal.cid, inRoot.principal.cid, 'each tenant has its own oidc client');
      await rejects(authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|d'), domain: domain('nowhere') }), ErrorCode.UNAUTHORIZED, /Unknown tenant/);
    });

    test('roles of the local user become subjects; a suspended user is refused', async () => {
      const auth = (await authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|s') }))!;
      const ctx = { tenant: auth.tenant, principal: auth.principal, requestId: 'r' };
      await engine.updateById(ctx, registry.get('identity', 'users'), auth.principal.uid!, { subjects: ['editor', 'viewer@elsewhere'] });
      const again = (await authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|s') }))!;
      assert.deepEqual(again.principal.subjects, [`editor@${root}`, 'viewer@elsewhere']);
      await engine.updateById(ctx, registry.get('identity', 'users'), auth.principal.uid!, { status: 'suspended' });
      await rejects(authenticator.authenticate({ ip: '127.0.0.1', authorization: await bearer('auth0|s') }), ErrorCode.FORBIDDEN, /suspended/);
    });

    test('a bad token is refused before any tenant or user work', async () => {
      const before = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM c_identity_users WHERE tenant_id = $1', [root]);
      await rejects(authenticator.authenticate({ ip: '127.0.0.1', authorization: `Bearer ${await provider.sign('auth0|x', { aud: 'nope' })}`, domain: domain('nowhere') }),
        ErrorCode.UNAUTHORIZED, /aud claim/);
      const afterCount = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM c_identity_users WHERE tenant_id = $1', [root]);
      assert.equal(afterCount.rows[0].n, before.rows[0].n);
    });
  });
}
