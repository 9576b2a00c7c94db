import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InProcessBus, eventSubject } from '../bus/bus.js';
import { EVENTS_STREAM, NatsBus } from '../bus/nats-bus.js';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { CollectionEngine } from '../collections/engine.js';
import { CollectionRegistry } from '../collections/registry.js';
import type { Store } from '../store/types.js';
import { storeShapes, testContext, testLimits } from '../testing/stores.js';
import { sequenceEvents } from './outbox.js';
import { readFeed } from './feed.js';
import { publishEvents } from './publisher.js';
import { pruneEvents } from './retention.js';

// Embedded only: on the shared PostgreSQL another suite's dispatcher may publish these events first.
const embedded = storeShapes().filter((shape) => shape.name === 'embedded');

for (const shape of embedded) {
  describe(`publishing events on the bus (${shape.name})`, () => {
    let store: Store;
    const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
    before(async () => {
      store = await shape.open();
    });
    after(() => store.close());

    test('each event once, in position order, on stratum.<tenant>.<service>.<collection>; the cursor remembers', async () => {
      const engine = new CollectionEngine(store, registry, testLimits());
      const ctx = testContext();
      const stats = registry.get('special', 'stats');
      const a = await engine.create(ctx, stats, { key: 'a', value: 1 });
      await engine.updateById(ctx, stats, a.id as string, { value: 2 });
      await engine.create(ctx, registry.get('context', 'settings'), { key: 'other' });
      await sequenceEvents(store);
      const bus = new InProcessBus();
      const seen: any[] = [];
      bus.subscribe(eventSubject(ctx.tenant, 'special', 'stats'), (data) => seen.push(data));
      assert.equal(await publishEvents(store, bus, 2), 2, 'one batch per tenant and call');
      assert.equal(await publishEvents(store, bus, 2), 1, 'the next call continues after the cursor');
      assert.deepEqual(seen.map((e) => [e.op, e.id, e.position, e.tenant]), [['c', a.id, 1, ctx.tenant], ['u', a.id, 2, ctx.tenant]]);
      assert.equal(await publishEvents(store, bus, 100), 0, 'nothing twice');
      assert.equal(eventSubject('example.com', 'identity', 'users'), 'stratum.example_com.identity.users');
    });

    test('past the retention, events every consumer has passed are pruned; an event not yet published stays', async () => {
      const engine = new CollectionEngine(store, registry, testLimits());
      const ctx = testContext();
      const stats = registry.get('special', 'stats');
      await engine.create(ctx, stats, { key: 'old', value: 1 });
      await sequenceEvents(store);
      const bus = new InProcessBus();
      while ((await publishEvents(store, bus, 100)) > 0) {
        // every tenant of this store catches up
      }
      const fresh = await engine.create(ctx, stats, { key: 'fresh', value: 1 });
      await sequenceEvents(store);
      assert.equal(await pruneEvents(store, 3_600_000), 0, 'nothing is older than the retention yet');
      assert.ok((await pruneEvents(store, 1000, Date.now() + 10_000)) >= 1);
      const left = await readFeed(store, ctx.tenant, { after: 0, limit: 10, readable: 'all' });
      assert.deepEqual(left.map((e) => e.id), [fresh.id], 'the published event went; the unpublished one waits for the bus');
    });
  });
}

describe('JetStream keeps change events', { skip: !process.env.NATS_URL && 'NATS_URL is not set' }, () => {
  test('published events are stored in the stream once, deduplicated by event id', async () => {
    const bus = await NatsBus.open(process.env.NATS_URL!);
    try {
      const subject = eventSubject(`js-${Date.now()}.test`, 'special', 'stats');
      const id = `evt-${Math.random().toString(16).slice(2)}`;
      await bus.publishEvents([{ subject, id, data: { id: 'doc', op: 'c' } }]);
      await bus.publishEvents([{ subject, id, data: { id: 'doc', op: 'c' } }]);
      const { connect } = await import('nats');
      const nc = await connect({ servers: process.env.NATS_URL });
      try {
        const jsm = await nc.jetstreamManager();
        const stored = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: subject });
        assert.deepEqual(stored.json(), { id: 'doc', op: 'c' });
        const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subject } as never);
        assert.equal((info.state as { subjects?: Record<string, number> }).subjects?.[subject], 1, 'the repeat was dropped');
      } finally {
        await nc.close();
      }
    } finally {
      await bus.close();
    }
  });
});
