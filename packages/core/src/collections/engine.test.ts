import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DomainError } from '../errors.js';
import { parseReadOptions } from '../query/read-options.js';
import type { Store } from '../store/types.js';
import { storeShapes, testContext, testLimits, testPrincipal } from '../testing/stores.js';
import { BUILTIN_COLLECTIONS } from './builtins.js';
import { CollectionEngine } from './engine.js';
import { idempotent, fingerprintOf } from './idempotency.js';
import { CollectionRegistry } from './registry.js';
import { verifyPassword } from '../auth/passwords.js';

const limits = testLimits({ cursorBatch: 7 });
const read = (raw: Record<string, unknown> = {}) => parseReadOptions(raw, limits);

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof DomainError && error.code === code);
}

for (const shape of storeShapes()) {
  describe(`collection engine on ${shape.name}`, () => {
    let store: Store;
    const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
    const users = registry.get('identity', 'users');
    const profiles = registry.get('identity', 'profiles');
    let engine: CollectionEngine;

    before(async () => {
      store = await shape.open();
      engine = new CollectionEngine(store, registry, limits);
    });
    after(() => store.close());

    test('stamps core fields and ownership from the principal and hides write-only fields', async () => {
      const principal = testPrincipal();
      principal.coworkers = [principal.cid, 'c0ffee0000000000000000aa'];
      const ctx = testContext(undefined, principal);
      const doc = await engine.create(ctx, users, { username: 'ann', password: 'correct horse', clients: ['feed00000000000000000001'] });
      assert.equal(doc.owner, principal.uid);
      assert.equal(doc.created_by, principal.uid);
      assert.equal(doc.created_in, principal.cid);
      assert.equal(doc.version, 1);
      assert.deepEqual(new Set(doc.clients as string[]), new Set(['feed00000000000000000001', principal.cid, 'c0ffee0000000000000000aa']));
      assert.equal('password' in doc, false);
      const stored = await store.query<{ doc: { password: string } }>('SELECT doc FROM c_identity_users WHERE tenant_id = $1 AND id = $2', [ctx.tenant, doc.id]);
      assert.notEqual(stored.rows[0].doc.password, 'correct horse');
      assert.ok(await verifyPassword('correct horse', stored.rows[0].doc.password));
      await rejects(engine.find(ctx, users, read({ query: '{"password":{"$exists":true}}' })), 'FORBIDDEN');
    });

    test('tenants never see each other: same username, separate documents, no cross-tenant read or write', async () => {
      const a = testContext();
      const b = testContext();
      const docA = await engine.create(a, users, { username: 'same', status: 'active' });
      const docB = await engine.create(b, users, { username: 'same', status: 'active' });
      assert.deepEqual((await engine.find(a, users, read())).map((d) => d.id), [docA.id]);
      assert.equal(await engine.count(b, users, { filter: {} }), 1);
      await rejects(engine.findById(b, users, docA.id as string), 'NOT_FOUND');
      await rejects(engine.updateById(b, users, docA.id as string, { name: 'x' }), 'NOT_FOUND');
      await rejects(engine.destroyById(b, users, docA.id as string), 'NOT_FOUND');
      assert.equal(await engine.updateBulk(b, users, {}, { name: 'B' }), 1);
      assert.equal((await engine.findById(a, users, docA.id as string)).name, undefined);
      assert.equal((await engine.findById(b, users, docB.id as string)).name, 'B');
      await rejects(engine.create(a, users, { username: 'same' }), 'DUPLICATE');
    });

    test('soft delete, restore and destroy follow the lifecycle, with versions and If-Match', async () => {
      const ctx = testContext();
      const doc = await engine.create(ctx, users, { username: 'life' });
      const id = doc.id as string;
      await rejects(engine.updateById(ctx, users, id, { name: 'n' }, { ifMatch: 2 }), 'PRECONDITION_FAILED');
      const updated = await engine.updateById(ctx, users, id, { name: 'n' }, { ifMatch: 1 });
      assert.equal(updated.version, 2);
      const deleted = await engine.deleteById(ctx, users, id);
      assert.equal(deleted.version, 3);
      assert.ok(deleted.deleted_at);
      await rejects(engine.findById(ctx, users, id), 'NOT_FOUND');
      assert.equal(await engine.count(ctx, users, { filter: {} }), 0);
      assert.equal(await engine.count(ctx, users, { filter: {} }, true), 1);
      assert.equal((await engine.findById(ctx, users, id, { populate: [], includeDeleted: true })).id, id);
      const restored = await engine.restoreById(ctx, users, id);
      assert.equal(restored.deleted_at, undefined);
      assert.ok(restored.restored_at);
      await rejects(engine.restoreById(ctx, users, id), 'CONFLICT');
      await engine.destroyById(ctx, users, id);
      await rejects(engine.findById(ctx, users, id, { populate: [], includeDeleted: true }), 'NOT_FOUND');
    });

    test('patch: null removes an optional field, computed and unknown fields are refused', async () => {
      const ctx = testContext();
      const doc = await engine.create(ctx, users, { username: 'p', name: 'Name', tags: ['a'] });
      const patched = await engine.updateById(ctx, users, doc.id as string, { name: null, tags: ['b'] });
      assert.equal('name' in patched, false);
      assert.deepEqual(patched.tags, ['b']);
      await rejects(engine.updateById(ctx, users, doc.id as string, { version: 9 }), 'COMPUTED_FIELD');
      await rejects(engine.updateById(ctx, users, doc.id as string, { owner: 'x' }), 'COMPUTED_FIELD');
      await rejects(engine.updateById(ctx, users, doc.id as string, { nickname: 'x' }), 'UNKNOWN_FIELD');
      await rejects(engine.updateById(ctx, users, doc.id as string, { status: 'dancing' }), 'VALIDATION_FAILED');
      await rejects(engine.updateById(ctx, users, doc.id as string, {}), 'BAD_REQUEST');
      await rejects(engine.create(ctx, users, { username: 'nul\u0000' }), 'BAD_REQUEST');
      await rejects(engine.create(ctx, users, { username: 'half \ud800 pair' }), 'BAD_REQUEST');
      await rejects(engine.create(ctx, users, { props: { ['key\udc00']: 1 } }), 'BAD_REQUEST');
    });

    test('a bulk create is all or nothing', async () => {
      const ctx = testContext();
      await rejects(engine.createBulk(ctx, users, [{ username: 'x1' }, { username: 'x1' }]), 'DUPLICATE');
      assert.equal(await engine.count(ctx, users, { filter: {} }), 0);
      await rejects(engine.createBulk(ctx, users, [{ username: 'ok' }, { bogus: 1 }]), 'UNKNOWN_FIELD');
      await rejects(engine.createBulk(ctx, users, Array.from({ length: limits.bulkItems + 1 }, () => ({}))), 'TOO_MANY_ITEMS');
      assert.equal(await engine.count(ctx, users, { filter: {} }), 0);
    });

    test('bulk update touches only matching live documents and bumps their versions', async () => {
      const ctx = testContext();
      const docs = await engine.createBulk(ctx, users, [{ username: 'a', status: 'active' }, { username: 'b', status: 'active' }, { username: 'c', status: 'pending' }]);
      await engine.deleteById(ctx, users, docs[1].id as string);
      assert.equal(await engine.updateBulk(ctx, users, { status: 'active' }, { name: 'changed' }), 1);
      const after = await engine.find(ctx, users, read({ sort: 'username' }));
      assert.deepEqual(after.map((d) => [d.username, d.name, d.version]), [['a', 'changed', 2], ['c', undefined, 1]]);
    });

    test('populate resolves references within the tenant only', async () => {
      const ctx = testContext();
      const other = testContext();
      const user = await engine.create(ctx, users, { username: 'ref' });
      const foreign = await engine.create(other, users, { username: 'foreign' });
      await engine.create(ctx, profiles, { user: user.id, nickname: 'mine' });
      await engine.create(ctx, profiles, { user: foreign.id, nickname: 'theirs' });
      const found = await engine.find(ctx, profiles, read({ populate: '[{"path":"user","select":"username"}]', sort: 'nickname' }));
      assert.deepEqual(found.map((p) => p.user), [{ id: user.id, username: 'ref' }, null]);
      await rejects(engine.find(ctx, profiles, read({ populate: 'nickname' })), 'INVALID_QUERY');
    });

    test('keyset pages with after give the same sequence as one page; the cursor streams in batches', async () => {
      const ctx = testContext();
      await engine.createBulk(ctx, users, Array.from({ length: 23 }, (_, i) => ({ username: `k${i}` })));
      const all = (await engine.find(ctx, users, read({ limit: '50', sort: '-created_at' }))).map((d) => d.id);
      const walked: unknown[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await engine.find(ctx, users, read({ limit: '5', sort: '-created_at', ...(afterId ? { after: afterId } : {}) }));
        if (page.length === 0) break;
        walked.push(...page.map((d) => d.id));
        afterId = page[page.length - 1].id as string;
      }
      assert.deepEqual(walked, all);
      const batches: number[] = [];
      for await (const batch of engine.cursor(ctx, users, read({ sort: '-created_at' }))) batches.push(batch.length);
      assert.deepEqual(batches, [7, 7, 7, 2]);
      await rejects(engine.find(ctx, users, read({ after: 'ffffffffffffffffffffffff' })), 'INVALID_PAGINATION');
      await rejects(engine.find(ctx, users, read({ after: all[0] as string, sort: 'username' })), 'INVALID_PAGINATION');
    });

    test('an idempotent create runs once; the same key with another body is refused', async () => {
      const ctx = testContext();
      const run = (body: Record<string, unknown>) => idempotent(store, ctx, 'key-1', fingerprintOf('POST', '/identity/users', body),
        async (txCtx) => ({ status: 201, body: { data: await engine.create(txCtx, users, body) } }));
      const first = await run({ username: 'once' });
      const second = await run({ username: 'once' });
      assert.equal(first.replayed, false);
      assert.equal(second.replayed, true);
      assert.deepEqual(second.body, first.body);
      assert.equal(await engine.count(ctx, users, { filter: {} }), 1);
      await rejects(run({ username: 'other' }), 'IDEMPOTENCY_KEY_REUSED');
      await assert.rejects(idempotent(store, ctx, 'key-2', 'f', async () => {
        throw new Error('boom');
      }));
      const retried = await idempotent(store, ctx, 'key-2', 'f', async () => ({ status: 201, body: { ok: true } }));
      assert.equal(retried.replayed, false);
    });
  });
}
