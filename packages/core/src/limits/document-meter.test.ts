import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { CollectionEngine } from '../collections/engine.js';
import { CollectionRegistry } from '../collections/registry.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { storeShapes, testContext, testLimits } from '../testing/stores.js';
import { MemoryCounters, RedisCounters, type Counters } from './counters.js';
import { DocumentMeter } from './document-meter.js';
import { Plans } from './plans.js';

const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
const settings = registry.get('context', 'settings');
const stats = registry.get('special', 'stats');
const sessions = registry.get('identity', 'sessions');

async function overQuota(promise: Promise<unknown>): Promise<DomainError> {
  let caught: unknown;
  await promise.catch((error: unknown) => {
    caught = error;
  });
  assert.ok(caught instanceof DomainError, `expected a refusal, got ${String(caught)}`);
  assert.equal(caught.code, 'DOCUMENT_QUOTA_EXCEEDED', caught.message);
  assert.equal(caught.status, 403);
  return caught;
}

/** A node: its own engine and meter on the shared store. */
function node(store: Store, counters: Counters, now: () => number = Date.now) {
  const plans = new Plans(store, undefined, 60_000, now);
  const meter = new DocumentMeter(store, registry, plans, counters, { ttlMs: 60_000, recountMinMs: 1000, now });
  const engine = new CollectionEngine(store, registry, testLimits());
  engine.useDocumentQuota(meter);
  return { plans, meter, engine };
}

for (const shape of storeShapes()) {
  describe(`documents quota on ${shape.name}`, () => {
    let store: Store;
    before(async () => {
      store = await shape.open();
    });
    after(() => store.close());

    test('without a plan nothing is refused and the live documents are counted across collections', async () => {
      const { engine, meter } = node(store, new MemoryCounters());
      const ctx = testContext();
      await engine.create(ctx, settings, { key: 'a' });
      await engine.createBulk(ctx, stats, [{ key: 'x', value: 1 }, { key: 'y', value: 2 }]);
      assert.equal(await meter.used(ctx.tenant), 3);
      const doc = await engine.create(ctx, settings, { key: 'b' });
      assert.equal(await meter.used(ctx.tenant), 4, 'creates since the count are added');
      await engine.create(ctx, sessions, { kind: 'login' });
      assert.equal(await meter.used(ctx.tenant), 4, 'sessions are not counted');
      await engine.deleteById(ctx, settings, doc.id as string);
      assert.equal(await meter.used(ctx.tenant), 4, 'a delete shows at the next count');
    });

    test('at the limit creates are refused, bulk ones whole, while reads, updates, deletes and sign-ins go on', async () => {
      const { engine, plans } = node(store, new MemoryCounters());
      const ctx = testContext();
      await plans.set(ctx.tenant, { documents: 3 }, 'test');
      const first = await engine.create(ctx, settings, { key: 'a' });
      await overQuota(engine.createBulk(ctx, stats, [{ key: 'x' }, { key: 'y' }, { key: 'z' }]));
      await engine.createBulk(ctx, stats, [{ key: 'x' }, { key: 'y' }]);
      const refusal = await overQuota(engine.create(ctx, settings, { key: 'b' }));
      assert.match(refusal.message, /has 3 of its plan's 3 documents/);
      assert.deepEqual(refusal.details, [{ path: 'documents', message: '3 of 3 in use' }]);
      assert.equal((await engine.findById(ctx, settings, first.id as string)).key, 'a');
      assert.equal((await engine.updateById(ctx, settings, first.id as string, { value: 1 })).value, 1);
      await engine.create(ctx, sessions, { kind: 'login' });
      await engine.deleteById(ctx, settings, first.id as string);
      assert.equal(await engine.count(ctx, stats, { filter: {} }), 2);
    });

    test('a refused create counts the tables again (at most once a second), so deleting frees room', async () => {
      let now = Date.now();
      const { engine, plans } = node(store, new MemoryCounters(() => now), () => now);
      const ctx = testContext();
      await plans.set(ctx.tenant, { documents: 2 }, 'test');
      const a = await engine.create(ctx, settings, { key: 'a' });
      await engine.create(ctx, settings, { key: 'b' });
      await engine.destroyById(ctx, settings, a.id as string);
      await overQuota(engine.create(ctx, settings, { key: 'c' }));
      now += 1000;
      await engine.create(ctx, settings, { key: 'c' });
      await overQuota(engine.create(ctx, settings, { key: 'd' }));
    });

    test('a raised limit applies once the plan is read again', async () => {
      const { engine, plans } = node(store, new MemoryCounters());
      const ctx = testContext();
      await plans.set(ctx.tenant, { documents: 1 }, 'test');
      await engine.create(ctx, settings, { key: 'a' });
      await overQuota(engine.create(ctx, settings, { key: 'b' }));
      await plans.set(ctx.tenant, { documents: null }, 'test');
      await engine.create(ctx, settings, { key: 'b' });
    });

    test('with Redis, creates on two nodes at once never pass the quota together', { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' }, async () => {
      const [ca, cb] = await Promise.all([RedisCounters.open(process.env.REDIS_URL!), RedisCounters.open(process.env.REDIS_URL!)]);
      try {
        // A clock that stands still: no recount while creates are in flight (that bound is in docs/limits.md).
        const now = () => 1_000_000;
        const a = node(store, ca, now);
        const b = node(store, cb, now);
        const ctx = testContext(`t-${randomUUID().slice(0, 12)}`);
        await a.plans.set(ctx.tenant, { documents: 5 }, 'test');
        await a.engine.create(ctx, settings, { key: 'seen-by-both' });
        assert.equal(await b.meter.used(ctx.tenant), 1);
        const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).engine.create(ctx, settings, { key: `k${i}` })));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 4);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as DomainError).code, 'DOCUMENT_QUOTA_EXCEEDED');
        assert.equal(await a.engine.count(ctx, settings, { filter: {} }), 5);
        assert.equal(await b.meter.used(ctx.tenant), 5);
      } finally {
        await ca.close();
        await cb.close();
      }
    });
  });
}
