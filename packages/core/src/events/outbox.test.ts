import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { CollectionEngine } from '../collections/engine.js';
import { CollectionRegistry } from '../collections/registry.js';
import { asTenantId, withTx } from '../context.js';
import { migrate, readMigrations } from '../store/migrate.js';
import { PgliteStore } from '../store/pglite-store.js';
import type { Store } from '../store/types.js';
import { storeShapes, testContext, testLimits } from '../testing/stores.js';
import { readFeed } from './feed.js';
import { sequenceEvents } from './outbox.js';

for (const shape of storeShapes()) {
  describe(`transactional outbox on ${shape.name}`, () => {
    let store: Store;
    const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
    const users = registry.get('identity', 'users');
    const stats = registry.get('special', 'stats');
    let engine: CollectionEngine;

    before(async () => {
      store = await shape.open();
      engine = new CollectionEngine(store, registry, testLimits());
    });
    after(() => store.close());

    test('every kind of write appends its events in order, with positions, versions and no write-only field', async () => {
      const ctx = testContext();
      const ada = await engine.create(ctx, users, { username: 'ada', password: 'a secret password' });
      const [bob] = await engine.createBulk(ctx, users, [{ username: 'bob' }, { username: 'cy' }]);
      await engine.updateById(ctx, users, ada.id as string, { name: 'Ada' });
      await engine.updateBulk(ctx, users, { username: 'bob' }, { name: 'Bob' });
      await engine.deleteById(ctx, users, bob.id as string);
      await engine.restoreById(ctx, users, bob.id as string);
      await engine.destroyById(ctx, users, bob.id as string);
      const feed = await readFeed(store, ctx.tenant, { after: 0, limit: 100, readable: 'all' });
      assert.deepEqual(feed.map((e) => [e.position, e.op, e.id]), [
        [1, 'c', ada.id], [2, 'c', bob.id], [3, 'c', feed[2].id], [4, 'u', ada.id], [5, 'u', bob.id],
        [6, 'd', bob.id], [7, 'r', bob.id], [8, 'd', bob.id],
      ]);
      assert.deepEqual(feed[0].source, { name: 'stratum', db: 'identity', collection: 'users' });
      assert.equal(feed[0].topic, 'identity.users');
      assert.equal(feed[0].before, undefined);
      assert.equal((feed[0].after as Record<string, unknown>).username, 'ada');
      assert.ok(feed.every((e) => !JSON.stringify(e).includes('password')), 'write-only fields never leave in events');
      assert.deepEqual([(feed[3].before as { version: number }).version, (feed[3].after as { version: number }).version], [1, 2]);
      assert.equal((feed[4].after as { name: string }).name, 'Bob');
      assert.equal(feed[5].after, undefined, 'a delete carries no after');
      const versions = await store.query<{ version: number }>(
        'SELECT version FROM stratum_outbox_events WHERE tenant_id = $1 AND document_id = $2 ORDER BY position',
        [ctx.tenant, bob.id]);
      assert.deepEqual(versions.rows.map((r) => r.version), [1, 2, 3, 4, 5], 'each event of a document is newer than the one before');
    });

    test('a rolled-back write leaves no event; tenants count positions apart', async () => {
      const ctx = testContext();
      const other = testContext();
      await assert.rejects(engine.createBulk(ctx, users, [{ username: 'twin' }, { username: 'twin' }]));
      await assert.rejects(store.transaction(async (tx) => {
        await engine.create(withTx(ctx, tx), stats, { key: 'visits', value: 1 });
        throw new Error('the caller changed its mind');
      }));
      assert.deepEqual(await readFeed(store, ctx.tenant, { after: 0, limit: 10, readable: 'all' }), []);
      await engine.create(other, stats, { key: 'a', value: 1 });
      await engine.create(ctx, stats, { key: 'b', value: 2 });
      assert.deepEqual((await readFeed(store, ctx.tenant, { after: 0, limit: 10, readable: 'all' })).map((e) => e.position), [1]);
      assert.deepEqual((await readFeed(store, other.tenant, { after: 0, limit: 10, readable: 'all' })).map((e) => e.position), [1]);
    });

    test('the feed pages with after and limit and shows only readable collections', async () => {
      const ctx = testContext();
      await engine.createBulk(ctx, stats, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: i })));
      await engine.create(ctx, users, { username: 'hidden' });
      const page = await readFeed(store, ctx.tenant, { after: 2, limit: 2, readable: 'all' });
      assert.deepEqual(page.map((e) => e.position), [3, 4]);
      const onlyStats = await readFeed(store, ctx.tenant, { after: 0, limit: 100, readable: ['special/stats'] });
      assert.deepEqual(onlyStats.map((e) => e.topic), Array(5).fill('special.stats'));
      assert.deepEqual(await readFeed(store, ctx.tenant, { after: 0, limit: 100, readable: [] }), []);
    });

    test('an event of a transaction still open gets a later position when it commits, never a gap behind a reader',
      { skip: shape.name !== 'postgres' && 'one embedded connection cannot hold two transactions open' }, async () => {
        const ctx = testContext();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let written!: () => void;
        const wrote = new Promise<void>((resolve) => (written = resolve));
        const slow = store.transaction(async (tx) => {
          await engine.create(withTx(ctx, tx), stats, { key: 'slow', value: 1 });
          written();
          await gate;
        });
        await wrote;
        await engine.create(ctx, stats, { key: 'fast', value: 2 });
        const early = await readFeed(store, ctx.tenant, { after: 0, limit: 10, readable: 'all' });
        assert.deepEqual(early.map((e) => [e.position, (e.after as { key: string }).key]), [[1, 'fast']]);
        release();
        await slow;
        const later = await readFeed(store, ctx.tenant, { after: 1, limit: 10, readable: 'all' });
        assert.deepEqual(later.map((e) => [e.position, (e.after as { key: string }).key]), [[2, 'slow']]);
      });

    test('concurrent writers of one tenant get distinct, gap-free positions', async () => {
      const ctx = testContext();
      await Promise.all(Array.from({ length: 20 }, (_, i) => engine.create(ctx, stats, { key: `c${i}`, value: i })));
      const feed = await readFeed(store, ctx.tenant, { after: 0, limit: 100, readable: 'all' });
      assert.deepEqual(feed.map((e) => e.position), Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test('sequencers racing the writes and each other hand out every position once', async () => {
      const ctx = testContext();
      const writes = Array.from({ length: 30 }, (_, i) => engine.create(ctx, stats, { key: `r${i}`, value: i }));
      const sequencers = Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 10; i++) await sequenceEvents(store, 3);
      });
      await Promise.all([...writes, ...sequencers]);
      const feed = await readFeed(store, ctx.tenant, { after: 0, limit: 100, readable: 'all' });
      assert.deepEqual(feed.map((e) => e.position), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.equal(new Set(feed.map((e) => e.event_id)).size, 30);
    });
  });
}

/** A database written by the migrations before `version`, seeded with `seed`, then migrated to the end. */
async function migratedFrom(version: string, seed: string, check: (store: Store) => Promise<void>): Promise<void> {
  const store = await PgliteStore.open('memory://');
  try {
    const migrations = readMigrations();
    await migrate(store, migrations.filter((m) => m.version < version));
    await store.exec(seed);
    await migrate(store, migrations);
    await check(store);
  } finally {
    await store.close();
  }
}

const positionsOf = async (store: Store, tenant: string, after = 0) =>
  (await readFeed(store, asTenantId(tenant), { after, limit: 10, readable: 'all' })).map((e) => [e.position, e.event_id, e.op]);

test('a database with events from before migration 0010 keeps their positions; a waiting event is sequenced after them', () =>
  migratedFrom('0010', `
    INSERT INTO stratum_outbox (tenant_id, position, event_id, ts_ms, op, service, collection, document_id, version, clients, payload) VALUES
      ('t-old', 1, 'e1', 1, 'c', 'special', 'stats', 'd1', 1, '{}', '{"id": "d1", "op": "c"}'),
      ('t-old', 2, 'e2', 2, 'u', 'special', 'stats', 'd1', 2, '{}', '{"id": "d1", "op": "u"}'),
      ('t-old', NULL, 'e3', 3, 'd', 'special', 'stats', 'd1', 3, '{}', '{"id": "d1", "op": "d"}');
    INSERT INTO stratum_outbox_positions (tenant_id, position) VALUES ('t-old', 2);`, async (store) => {
    assert.deepEqual(await positionsOf(store, 't-old'), [[1, 'e1', 'c'], [2, 'e2', 'u'], [3, 'e3', 'd']]);
  }));

test('a database from migration 0010 keeps its positioned events; a queued event is sequenced after them', () =>
  migratedFrom('0011', `
    INSERT INTO stratum_outbox_events (tenant_id, event_id, ts_ms, op, service, collection, document_id, version, clients, payload) VALUES
      ('t-queued', 'e1', 1, 'c', 'special', 'stats', 'd1', 1, '{}', '{"id": "d1", "op": "c"}'),
      ('t-queued', 'e2', 2, 'u', 'special', 'stats', 'd1', 2, '{}', '{"id": "d1", "op": "u"}');
    INSERT INTO stratum_outbox_order (tenant_id, position, seq) SELECT 't-queued', 1, seq FROM stratum_outbox_events WHERE event_id = 'e1';
    INSERT INTO stratum_outbox_unsequenced (seq, tenant_id) SELECT seq, 't-queued' FROM stratum_outbox_events WHERE event_id = 'e2';
    INSERT INTO stratum_outbox_positions (tenant_id, position) VALUES ('t-queued', 1);`, async (store) => {
    assert.deepEqual(await positionsOf(store, 't-queued'), [[1, 'e1', 'c'], [2, 'e2', 'u']]);
    await store.exec(`INSERT INTO stratum_outbox_pending (tenant_id, event_id, ts_ms, op, service, collection, document_id, version, payload)
      VALUES ('t-queued', 'e3', 3, 'd', 'special', 'stats', 'd1', 3, '{"id": "d1", "op": "d"}')`);
    assert.deepEqual(await positionsOf(store, 't-queued', 2), [[3, 'e3', 'd']], 'a new event takes the next position');
  }));
