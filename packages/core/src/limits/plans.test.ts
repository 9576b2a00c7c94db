import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { InProcessBus } from '../bus/bus.js';
import { asTenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { storeShapes } from '../testing/stores.js';
import { parsePlanPatch, Plans } from './plans.js';

function refused(body: unknown, code: string, paths?: string[]): void {
  assert.throws(() => parsePlanPatch(body), (error: unknown) => {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code, error.message);
    if (paths) assert.deepEqual(error.details?.map((d) => d.path), paths);
    return true;
  });
}

test('a plan change names limits as positive integers or null; anything else is refused with the field', () => {
  assert.deepEqual(parsePlanPatch({ documents: 10 }), { documents: 10 });
  assert.deepEqual(parsePlanPatch({ requests_per_month: 1_000_000, documents: null, rate_per_second: 5 }), { requests_per_month: 1_000_000, documents: null, rate_per_second: 5 });
  refused(null, 'BAD_REQUEST');
  refused([], 'BAD_REQUEST');
  refused({}, 'BAD_REQUEST');
  refused({ documents: 1, plan: 'gold' }, 'UNKNOWN_FIELD', ['plan']);
  refused({ documents: 0 }, 'VALIDATION_FAILED', ['documents']);
  refused({ documents: -1, requests_per_month: 1.5, rate_per_second: '5' }, 'VALIDATION_FAILED', ['requests_per_month', 'documents', 'rate_per_second']);
  refused({ rate_per_second: 1_000_001 }, 'VALIDATION_FAILED', ['rate_per_second']);
  refused({ requests_per_month: 1e13 }, 'VALIDATION_FAILED', ['requests_per_month']);
  refused({ documents: true }, 'VALIDATION_FAILED', ['documents']);
});

for (const shape of storeShapes()) {
  describe(`plans on ${shape.name}`, () => {
    let store: Store;
    before(async () => {
      store = await shape.open();
    });
    after(() => store.close());

    test('no plan is unlimited; a change sets the limits it names and keeps the others', async () => {
      const plans = new Plans(store, undefined, 60_000);
      const tenant = asTenantId(`t-${randomUUID().slice(0, 8)}.test`);
      assert.deepEqual(await plans.get(tenant), { tenant, requests_per_month: null, documents: null, rate_per_second: null, updated_at: null, updated_by: null });
      const set = await plans.set(tenant, { documents: 100, rate_per_second: 5 }, 'op@root');
      assert.deepEqual({ ...set, updated_at: undefined }, { tenant, requests_per_month: null, documents: 100, rate_per_second: 5, updated_at: undefined, updated_by: 'op@root' });
      assert.ok(set.updated_at && !Number.isNaN(Date.parse(set.updated_at)));
      const changed = await plans.set(tenant, { requests_per_month: 1e12, documents: null }, 'cli');
      assert.deepEqual([changed.requests_per_month, changed.documents, changed.rate_per_second, changed.updated_by], [1e12, null, 5, 'cli']);
      assert.deepEqual(await plans.get(tenant), changed, 'the change is read back at once on this node');
    });

    test('a cached plan is dropped by a change on another node (over the bus) or when it is older than the ttl', async () => {
      const bus = new InProcessBus();
      let now = 1_000_000;
      const mine = new Plans(store, bus, 30_000, () => now);
      const other = new Plans(store, bus, 30_000, () => now);
      const cli = new Plans(store, undefined, 30_000);
      const tenant = asTenantId(`t-${randomUUID().slice(0, 8)}.test`);
      assert.equal((await mine.get(tenant)).documents, null);
      await other.set(tenant, { documents: 7 }, 'op');
      assert.equal((await mine.get(tenant)).documents, 7, 'the bus dropped the cached plan');
      await cli.set(tenant, { documents: 8 }, 'cli');
      assert.equal((await mine.get(tenant)).documents, 7, 'a change without the bus waits for the ttl');
      now += 30_000;
      assert.equal((await mine.get(tenant)).documents, 8);
    });
  });
}
