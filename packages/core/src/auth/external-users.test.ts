import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@stratum/contracts';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { CollectionEngine } from '../collections/engine.js';
import { CollectionRegistry } from '../collections/registry.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { storeShapes, testContext, testLimits, testPrincipal } from '../testing/stores.js';
import { externalIdOf, ExternalUsers, OIDC_CLIENT_REF } from './external-users.js';
import type { ProviderPrincipal } from './oidc.js';

const who = (subject: string, profile: Partial<ProviderPrincipal> = {}): ProviderPrincipal => ({ provider: 'oidc', subject, ...profile });

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof DomainError && error.code === code);
}

test('the identity key is the provider and the sha256 of the subject', () => {
  const hex = createHash('sha256').update('auth0|42').digest('hex');
  assert.equal(externalIdOf({ provider: 'oidc', subject: 'auth0|42' }), `oidc:${hex}`);
  assert.notEqual(externalIdOf(who('auth0|42')), externalIdOf(who('auth0|43')));
});

for (const shape of storeShapes()) {
  describe(`external users on ${shape.name}`, () => {
    let store: Store;
    let engine: CollectionEngine;
    let users: ExternalUsers;
    const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
    const usersReg = registry.get('identity', 'users');

    before(async () => {
      store = await shape.open();
      engine = new CollectionEngine(store, registry, testLimits());
      users = new ExternalUsers(store, engine, registry, ['read:career']);
    });
    after(() => store.close());

    const rows = async (tenant: string, subject: string) => (await store.query<{ id: string; doc: Record<string, unknown> }>(
      `SELECT id, doc FROM c_identity_users WHERE tenant_id = $1 AND doc->>'external_id' = $2`, [tenant, externalIdOf(who(subject))])).rows;

    test('the first sight creates the user, later ones find it; the subject itself is never stored', async () => {
      const { tenant } = testContext();
      const first = await users.findOrCreate(tenant, who('auth0|ada', { email: 'ada@example.com', name: 'Ada' }));
      const again = await users.findOrCreate(tenant, who('auth0|ada'));
      assert.equal(again.id, first.id);
      assert.deepEqual(first, { id: first.id, status: 'active', subjects: [] });
      const [row, ...rest] = await rows(tenant, 'auth0|ada');
      assert.equal(rest.length, 0);
      assert.equal(row.doc.provider, 'oidc');
      assert.equal(row.doc.email, 'ada@example.com');
      assert.equal(row.doc.name, 'Ada');
      assert.ok(!JSON.stringify(row.doc).includes('auth0|ada'), 'only the hash of the subject is kept');
      const presented = await engine.findById(testContext(tenant), usersReg, first.id);
      assert.equal('external_id' in presented, false, 'external_id is never returned');
    });

    test('the same subject in another tenant is another user', async () => {
      const a = testContext().tenant;
      const b = testContext().tenant;
      const inA = await users.findOrCreate(a, who('auth0|same', { email: 'same@example.com' }));
      const inB = await users.findOrCreate(b, who('auth0|same', { email: 'same@example.com' }));
      assert.notEqual(inA.id, inB.id);
      assert.equal((await rows(a, 'auth0|same')).length, 1);
      assert.equal((await rows(b, 'auth0|same')).length, 1);
    });

    test('concurrent first sights create exactly one user and one oidc client', async () => {
      const { tenant } = testContext();
      const found = await Promise.all(Array.from({ length: 8 }, () => users.findOrCreate(tenant, who('auth0|race'))));
      assert.equal(new Set(found.map((u) => u.id)).size, 1);
      assert.equal((await rows(tenant, 'auth0|race')).length, 1);
      const clients = await store.query<{ id: string; doc: Record<string, unknown> }>('SELECT id, doc FROM c_domain_clients WHERE tenant_id = $1', [tenant]);
      assert.equal(clients.rows.length, 1);
      assert.equal(clients.rows[0].doc.ref, OIDC_CLIENT_REF);
      assert.deepEqual(clients.rows[0].doc.grant_types, [], 'the oidc client cannot be used to request tokens');
      assert.deepEqual(clients.rows[0].doc.scopes, ['read:career']);
      assert.equal(await users.clientId(tenant), clients.rows[0].id);
    });

    test('an email is profile data: an email another user holds is not merged and not taken', async () => {
      const ctx = testContext();
      const local = await engine.create(ctx, usersReg, { username: 'grace', email: 'grace@example.com', status: 'active' });
      const external = await users.findOrCreate(ctx.tenant, who('auth0|grace', { email: 'grace@example.com', name: 'Grace' }));
      assert.notEqual(external.id, local.id);
      const [row] = await rows(ctx.tenant, 'auth0|grace');
      assert.equal(row.doc.email, undefined);
      assert.equal(row.doc.name, 'Grace');
      assert.equal((await engine.findById(ctx, usersReg, local.id as string)).email, 'grace@example.com');
    });

    test('sync records the visit and refreshes only the profile fields the provider sent', async () => {
      const { tenant } = testContext();
      const user = await users.findOrCreate(tenant, who('auth0|lin', { name: 'Lin', picture: 'https://img.example.com/1.png' }));
      const ctx = testContext(tenant, testPrincipal({ uid: user.id }));
      const synced = await users.sync(ctx, who('auth0|lin', { picture: 'https://img.example.com/2.png', email: 'lin@example.com' }));
      assert.equal(synced.id, user.id);
      assert.equal(synced.name, 'Lin', 'a field the token lacks is kept');
      assert.equal(synced.picture, 'https://img.example.com/2.png');
      assert.equal(synced.email, 'lin@example.com');
      assert.ok(Date.now() - Date.parse(synced.last_seen_at as string) < 60_000);
      assert.equal('external_id' in synced, false);
      await engine.create(ctx, usersReg, { username: 'other', email: 'taken@example.com' });
      const kept = await users.sync(ctx, who('auth0|lin', { email: 'taken@example.com', name: 'Lin 2' }));
      assert.equal(kept.email, 'lin@example.com', 'an email held by another user is not taken over');
      assert.equal(kept.name, 'Lin 2');
    });

    test('a deleted external user stays locked out until restored', async () => {
      const ctx = testContext();
      const user = await users.findOrCreate(ctx.tenant, who('auth0|gone'));
      await engine.deleteById(ctx, usersReg, user.id);
      await rejects(users.findOrCreate(ctx.tenant, who('auth0|gone')), ErrorCode.FORBIDDEN);
      assert.equal((await rows(ctx.tenant, 'auth0|gone')).length, 1, 'no second user was created');
      await engine.restoreById(ctx, usersReg, user.id);
      assert.equal((await users.findOrCreate(ctx.tenant, who('auth0|gone'))).id, user.id);
    });

    test('clients cannot write external_id: an identity cannot be claimed through the API', async () => {
      const ctx = testContext();
      await rejects(engine.create(ctx, usersReg, { username: 'eve', external_id: externalIdOf(who('auth0|victim')) }), ErrorCode.COMPUTED_FIELD);
      const eve = await engine.create(ctx, usersReg, { username: 'eve' });
      await rejects(engine.updateById(ctx, usersReg, eve.id as string, { external_id: externalIdOf(who('auth0|victim')) }), ErrorCode.COMPUTED_FIELD);
    });
  });
}
