import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TenantDirectory } from '../auth/tenants.js';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { CollectionRegistry } from '../collections/registry.js';
import { ConfigError, loadConfig } from '../config.js';
import { asTenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { storeShapes, testContext } from '../testing/stores.js';
import { MemoryCounters } from './counters.js';
import { MemoryRateLimiter } from './rate-limiter.js';
import { closest, UsageService } from './usage.js';

test('USAGE_SYNC_SECONDS is read once, 30 s by default, from 1 s to an hour', () => {
  assert.equal(loadConfig({}).limits.usageSyncMs, 30_000);
  assert.equal(loadConfig({ USAGE_SYNC_SECONDS: '5' }).limits.usageSyncMs, 5000);
  assert.throws(() => loadConfig({ USAGE_SYNC_SECONDS: '0' }), ConfigError);
  assert.throws(() => loadConfig({ USAGE_SYNC_SECONDS: 'soon' }), /USAGE_SYNC_SECONDS must be an integer/);
});

test('the headers describe the limit with the fewest requests left, the later reset on a tie', () => {
  const second = { limit: 100, remaining: 40, resetMs: 900 };
  const month = { limit: 1000, remaining: 40, resetMs: 86_400_000 };
  assert.equal(closest([undefined, second]), second);
  assert.equal(closest([second, { ...month, remaining: 39 }])?.remaining, 39);
  assert.equal(closest([second, month]), month);
  assert.equal(closest([undefined, undefined]), undefined);
});

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof DomainError, `expected a refusal, got ${String(error)}`);
  return error;
}

for (const shape of storeShapes()) {
  describe(`usage service on ${shape.name}`, () => {
    let store: Store;
    const now = Date.UTC(2030, 4, 31, 23, 0, 0);
    const root = `root-${randomUUID().slice(0, 8)}.test`;
    let usage: UsageService;
    // Windows on the test's clock, which stands still: the per-second rate has no timing in it.
    const windows = new MemoryRateLimiter();
    const limiter = { kind: 'memory' as const, hit: (key: string, limit: number, ms: number) => windows.hit(key, limit, ms, now), close: () => windows.close() };
    before(async () => {
      store = await shape.open();
      await new TenantDirectory(store).create({ domain: root });
      usage = new UsageService({
        db: store, registry: new CollectionRegistry(BUILTIN_COLLECTIONS), tenants: new TenantDirectory(store), limiter,
        counters: new MemoryCounters(() => now), rootTenant: root, syncMs: 60_000, now: () => now,
      });
    });
    after(async () => {
      await usage.close();
      await store.close();
    });

    test('without a plan requests are counted and never refused, and there is no limit to report', async () => {
      const tenant = asTenantId(`t-${randomUUID().slice(0, 8)}`);
      for (let i = 0; i < 3; i++) assert.equal(await usage.admitRequest(tenant, true), undefined);
      const report = await usage.report(testContext(tenant));
      assert.deepEqual(report, {
        tenant, period_start: '2030-05-01T00:00:00.000Z', period_end: '2030-06-01T00:00:00.000Z', requests: 3, documents: 0,
        plan: { requests_per_month: null, documents: null, rate_per_second: null },
      });
    });

    test('over the month: 429 QUOTA_EXCEEDED with Retry-After until the next month; a route outside the quota is counted, not refused', async () => {
      const tenant = asTenantId(`t-${randomUUID().slice(0, 8)}`);
      await usage.plans.set(tenant, { requests_per_month: 2 }, 'test');
      assert.deepEqual(await usage.admitRequest(tenant, true), { limit: 2, remaining: 1, resetMs: 3_600_000 });
      assert.deepEqual(await usage.admitRequest(tenant, true), { limit: 2, remaining: 0, resetMs: 3_600_000 });
      const error = await refusal(usage.admitRequest(tenant, true));
      assert.equal(error.code, 'QUOTA_EXCEEDED');
      assert.equal(error.status, 429);
      assert.deepEqual(error.headers, { 'retry-after': '3600', 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '3600' });
      assert.match(error.message, /the count starts again at 2030-06-01T00:00:00.000Z/);
      assert.deepEqual(await usage.admitRequest(tenant, false), { limit: 2, remaining: 0, resetMs: 3_600_000 });
      assert.equal((await usage.report(testContext(tenant))).requests, 3);
    });

    test('over the rate: 429 RATE_LIMITED, and the refused request does not count toward the month', async () => {
      const tenant = asTenantId(`t-${randomUUID().slice(0, 8)}`);
      await usage.plans.set(tenant, { rate_per_second: 2, requests_per_month: 100 }, 'test');
      await usage.admitRequest(tenant, true);
      const second = await usage.admitRequest(tenant, true);
      assert.equal(second?.remaining, 0, 'the rate is the closer limit');
      assert.equal(second?.limit, 2);
      const error = await refusal(usage.admitRequest(tenant, true));
      assert.equal(error.code, 'RATE_LIMITED');
      assert.equal(error.headers?.['retry-after'], '1');
      assert.equal((await usage.report(testContext(tenant))).requests, 2);
    });

    test('plans belong to the operator: another tenant is refused before anything is read or written', async () => {
      const ctx = testContext('someone.test');
      assert.equal((await refusal(usage.setPlan(ctx, 'someone.test', { documents: 1e9 }))).code, 'FORBIDDEN');
      assert.equal((await refusal(usage.plan(ctx, 'someone.test'))).code, 'FORBIDDEN');
      assert.equal((await refusal(usage.setPlan(ctx, 'someone.test', { documents: 0 }))).code, 'FORBIDDEN', 'no validation for who may not ask');
      assert.equal((await refusal(usage.setPlan(testContext(root), 'nobody.test', { documents: 1 }))).code, 'NOT_FOUND');
      assert.equal((await refusal(usage.setPlan(testContext(root), root, { documents: 0 }))).code, 'VALIDATION_FAILED');
      assert.equal((await usage.setPlan(testContext(root), root, { documents: 5 })).documents, 5);
    });
  });
}
