import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../store/types.js';
import { storeShapes } from '../testing/stores.js';
import { MemoryCounters, RedisCounters } from './counters.js';
import { periodOf, RequestMeter } from './request-meter.js';

test('a period is the calendar month in UTC', () => {
  assert.deepEqual(periodOf(Date.UTC(2024, 1, 29, 23, 59, 59)), { key: '2024-02', start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
  assert.equal(periodOf(Date.UTC(2024, 2, 1)).key, '2024-03', 'the first instant of a month is in it');
  assert.deepEqual(periodOf(Date.UTC(2025, 11, 31, 12)), { key: '2025-12', start: Date.UTC(2025, 11, 1), end: Date.UTC(2026, 0, 1) });
});

const stored = async (store: Store, tenant: string) =>
  Number((await store.query<{ requests: string }>('SELECT requests FROM stratum_usage WHERE tenant_id = $1', [tenant])).rows[0]?.requests ?? 0);

for (const shape of storeShapes()) {
  describe(`request meter on ${shape.name}`, () => {
    let store: Store;
    const period = periodOf(Date.now());
    before(async () => {
      store = await shape.open();
    });
    after(() => store.close());

    test('counts up to the limit, then refuses without counting the refused request', async () => {
      const meter = new RequestMeter(store, new MemoryCounters());
      const tenant = `t-${randomUUID()}`;
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await meter.count(tenant, period, 3));
      assert.deepEqual(results.map((r) => [r.allowed, r.total]), [[true, 1], [true, 2], [true, 3], [false, 3]]);
      assert.equal(await meter.total(tenant, period), 3);
    });

    test('a flush adds what the node counted to the database; a restarted node starts from it', async () => {
      const tenant = `t-${randomUUID()}`;
      const first = new RequestMeter(store, new MemoryCounters());
      for (let i = 0; i < 5; i++) await first.count(tenant, period);
      assert.equal(await stored(store, tenant), 0, 'nothing is written per request');
      await first.flush();
      assert.equal(await stored(store, tenant), 5);
      await first.flush();
      assert.equal(await stored(store, tenant), 5, 'a flush adds only what is new');
      const restarted = new RequestMeter(store, new MemoryCounters());
      assert.equal(await restarted.total(tenant, period), 5);
      assert.deepEqual(await restarted.count(tenant, period, 6), { allowed: true, total: 6 });
      assert.equal((await restarted.count(tenant, period, 6)).allowed, false);
    });

    test('nodes counting in memory add up in the database, and each catches up with the others at its flush', async () => {
      const tenant = `t-${randomUUID()}`;
      const a = new RequestMeter(store, new MemoryCounters());
      const b = new RequestMeter(store, new MemoryCounters());
      for (let i = 0; i < 3; i++) await a.count(tenant, period);
      for (let i = 0; i < 2; i++) await b.count(tenant, period);
      await a.flush();
      await b.flush();
      assert.equal(await stored(store, tenant), 5);
      assert.equal(await b.total(tenant, period), 5);
      await a.count(tenant, period);
      await a.flush();
      assert.equal(await a.total(tenant, period), 6, 'a learns of b\'s requests from the database');
    });

    test('with Redis two nodes count one total at once, and the database gets each request once', { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' }, async () => {
      const tenant = `t-${randomUUID()}`;
      const [ca, cb] = await Promise.all([RedisCounters.open(process.env.REDIS_URL!), RedisCounters.open(process.env.REDIS_URL!)]);
      try {
        const a = new RequestMeter(store, ca);
        const b = new RequestMeter(store, cb);
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).count(tenant, period, 6)));
        assert.equal(results.filter((r) => r.allowed).length, 6);
        assert.equal(await a.total(tenant, period), 6);
        assert.equal(await b.total(tenant, period), 6);
        await a.flush();
        await b.flush();
        assert.equal(await stored(store, tenant), 6);
      } finally {
        await ca.close();
        await cb.close();
      }
    });

    test('a new month counts from zero; the past month is written and then forgotten', async () => {
      const tenant = `t-${randomUUID()}`;
      let now = Date.UTC(2031, 0, 31, 23, 59);
      const meter = new RequestMeter(store, new MemoryCounters(() => now), undefined, () => now);
      await meter.count(tenant, periodOf(now), 1);
      now = Date.UTC(2031, 1, 1);
      assert.deepEqual(await meter.count(tenant, periodOf(now), 1), { allowed: true, total: 1 });
      await meter.flush();
      const rows = await store.query<{ period: string; requests: string }>(
        "SELECT to_char(period, 'YYYY-MM') AS period, requests FROM stratum_usage WHERE tenant_id = $1 ORDER BY period", [tenant]);
      assert.deepEqual(rows.rows.map((r) => [r.period, Number(r.requests)]), [['2031-01', 1], ['2031-02', 1]]);
    });
  });
}
