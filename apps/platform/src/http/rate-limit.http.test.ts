import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRateLimiter } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { unique, usePlatform } from '../testing/http-harness.js';

test('a fixed window counts hits per key and starts again when it ends', async () => {
  const limiter = new MemoryRateLimiter();
  const t = 1_000_000;
  assert.deepEqual(await limiter.hit('a', 2, 1000, t), { allowed: true, limit: 2, remaining: 1, resetMs: 1000 });
  assert.equal((await limiter.hit('a', 2, 1000, t + 10)).remaining, 0);
  assert.deepEqual(await limiter.hit('a', 2, 1000, t + 20), { allowed: false, limit: 2, remaining: 0, resetMs: 980 });
  assert.equal((await limiter.hit('b', 2, 1000, t + 20)).allowed, true, 'another key has its own window');
  assert.equal((await limiter.hit('a', 2, 1000, t + 1000)).allowed, true, 'a new window');
});

const LIMIT = 5;

for (const shape of storeShapes()) {
  // Unique root domains: on a shared Redis, other suites' counters never meet these.
  const env = (domain: string) => ({ RATE_LIMIT_PER_SECOND: String(LIMIT), STRATUM_ROOT_DOMAIN: domain, REDIS_URL: process.env.REDIS_URL ?? '' });
  const domain = `${unique('rl')}.test`;
  describe(`rate limits per principal and collection on ${shape.name}${process.env.REDIS_URL ? ' with Redis' : ''}`, () => {
    const h = usePlatform(shape, { second: env(domain) }, env(domain));

    test('RateLimit-* on every answer; over the limit 429 RATE_LIMITED with Retry-After; other collections count apart', async () => {
      // Start at a fresh second, so the whole burst lands in one window.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      const answers = [];
      for (let i = 0; i <= LIMIT; i++) answers.push(await h.fetch('/special/stats'));
      assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
      assert.deepEqual(answers.map((r) => r.headers.get('ratelimit-remaining')), ['4', '3', '2', '1', '0', '0']);
      assert.equal(answers[0].headers.get('ratelimit-limit'), String(LIMIT));
      const refused = answers[LIMIT];
      assert.equal(refused.headers.get('retry-after'), '1');
      const body = await refused.json() as { code: string; statusCode: number };
      assert.deepEqual([body.code, body.statusCode], ['RATE_LIMITED', 429]);
      assert.equal((await h.fetch('/context/settings')).status, 200, 'another collection has its own budget');
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await h.fetch('/special/stats')).status, 200, 'the next window');
    });

    test('with Redis every node counts against the same window', { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' }, async () => {
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      const statuses = [];
      for (let i = 0; i <= LIMIT; i++) statuses.push((await (i % 2 === 0 ? h : h.others.second).fetch('/special/files')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    });
  });
}
