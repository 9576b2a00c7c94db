import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgliteStore } from './pglite-store.js';

const ROW = 'x'.repeat(500);

/** Inserts and deletes `events` rows the way the outbox's pending table sees them, twenty at a time. */
async function churn(store: PgliteStore, events: number): Promise<void> {
  for (let i = 0; i < events; i += 20) {
    await store.query(`INSERT INTO queue (payload) SELECT $1 FROM generate_series(1, 20)`, [ROW]);
    await store.query('WITH taken AS (DELETE FROM queue WHERE seq IN (SELECT seq FROM queue ORDER BY seq LIMIT 20) RETURNING seq) SELECT count(*) FROM taken');
  }
}

async function heapBytes(store: PgliteStore): Promise<number> {
  return Number((await store.query<{ size: string }>(`SELECT pg_relation_size('queue')::text AS size`)).rows[0].size);
}

test('the embedded store vacuums what it writes: a table rows pass through stays small', async () => {
  const kept = await PgliteStore.open('memory://', { minRows: 200, fraction: 0, intervalMs: 0 });
  const never = await PgliteStore.open('memory://', { minRows: Number.MAX_SAFE_INTEGER, fraction: 0, intervalMs: 0 });
  try {
    for (const store of [kept, never]) {
      await store.exec('CREATE TABLE queue (seq bigserial PRIMARY KEY, payload text NOT NULL)');
      await churn(store, 4000);
    }
    const unvacuumed = await heapBytes(never);
    assert.ok(unvacuumed > 4000 * 500, `without VACUUM every insert extends the table (${unvacuumed} bytes)`);
    assert.ok(await heapBytes(kept) < unvacuumed / 10, `vacuumed: ${await heapBytes(kept)} bytes against ${unvacuumed}`);
  } finally {
    await kept.close();
    await never.close();
  }
});
