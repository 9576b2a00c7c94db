import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { MemoryCounters, RedisCounters, type Counters } from './counters.js';

/** The same contract in memory and, when REDIS_URL is set, in Redis. */
const kinds: [string, () => Promise<Counters>][] = [['memory', async () => new MemoryCounters()]];
if (process.env.REDIS_URL) kinds.push(['redis', () => RedisCounters.open(process.env.REDIS_URL!)]);

for (const [name, open] of kinds) {
  describe(`usage counters in ${name}`, () => {
    test('a missing counter starts at its seed; adds stop at the limit and leave the counter as it was', async () => {
      const counters = await open();
      const key = `t-${randomUUID()}`;
      try {
        assert.equal(await counters.get(key), undefined);
        assert.deepEqual(await counters.add(key, 1, { limit: 10, seed: 8, ttlMs: 60_000 }), { allowed: true, total: 9 });
        assert.deepEqual(await counters.add(key, 1, { limit: 10, seed: 0, ttlMs: 60_000 }), { allowed: true, total: 10 }, 'the seed only starts a counter');
        assert.deepEqual(await counters.add(key, 1, { limit: 10, seed: 0, ttlMs: 60_000 }), { allowed: false, total: 10 });
        assert.deepEqual(await counters.add(key, 5, { seed: 0, ttlMs: 60_000 }), { allowed: true, total: 15 }, 'without a limit every add counts');
        assert.equal(await counters.get(key), 15);
      } finally {
        await counters.close();
      }
    });

    test('an add of several is all or nothing', async () => {
      const counters = await open();
      const key = `t-${randomUUID()}`;
      try {
        await counters.add(key, 3, { limit: 5, seed: 0, ttlMs: 60_000 });
        assert.deepEqual(await counters.add(key, 3, { limit: 5, seed: 0, ttlMs: 60_000 }), { allowed: false, total: 3 });
        assert.deepEqual(await counters.add(key, 2, { limit: 5, seed: 0, ttlMs: 60_000 }), { allowed: true, total: 5 });
      } finally {
        await counters.close();
      }
    });

    test('raise only ever moves a counter up, and makes a missing one', async () => {
      const counters = await open();
      const key = `t-${randomUUID()}`;
      try {
        await counters.raise(key, 7, 60_000);
        assert.equal(await counters.get(key), 7);
        await counters.raise(key, 3, 60_000);
        assert.equal(await counters.get(key), 7);
        await counters.add(key, 1, { seed: 0, ttlMs: 60_000 });
        await counters.raise(key, 20, 60_000);
        assert.equal(await counters.get(key), 20);
      } finally {
        await counters.close();
      }
    });
  });
}

test('a memory counter ends with its time to live and starts again from the seed', async () => {
  let now = 1_000_000;
  const counters = new MemoryCounters(() => now);
  await counters.add('k', 4, { seed: 0, ttlMs: 1000 });
  now += 999;
  assert.equal(await counters.get('k'), 4);
  now += 1;
  assert.equal(await counters.get('k'), undefined);
  assert.deepEqual(await counters.add('k', 1, { seed: 2, ttlMs: 1000 }), { allowed: true, total: 3 });
});

test('with Redis two connections (two nodes) share one counter and cannot both take the last unit', { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' }, async () => {
  const [a, b] = await Promise.all([RedisCounters.open(process.env.REDIS_URL!), RedisCounters.open(process.env.REDIS_URL!)]);
  const key = `t-${randomUUID()}`;
  try {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).add(key, 1, { limit: 7, seed: 0, ttlMs: 60_000 })));
    assert.equal(results.filter((r) => r.allowed).length, 7);
    assert.equal(await a.get(key), 7);
    assert.equal(await b.get(key), 7);
  } finally {
    await a.close();
    await b.close();
  }
});
