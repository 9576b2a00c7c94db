import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgliteStore, writtenTables } from './pglite-store.js';

const ROW = 'x'.repeat(500);

/**
 * Passes `events` rows through `queue` the way the outbox's pending table sees them, twenty at a
 * time, only in statements of CTEs whose last command reports no rows; `ticks` counts the writes.
 */
async function churn(store: PgliteStore, events: number): Promise<void> {
  for (let i = 0; i < events; i += 20) {
    await store.query('WITH added AS (INSERT INTO queue (payload) SELECT $1 FROM generate_series(1, 20) RETURNING 1) SELECT count(*) FROM added', [ROW]);
    await store.query('WITH taken AS (DELETE FROM queue WHERE seq IN (SELECT seq FROM queue ORDER BY seq LIMIT 20) RETURNING seq) SELECT count(*) FROM taken');
    await store.query('INSERT INTO ticks SELECT FROM generate_series(1, 20)');
  }
}

async function heapBytes(store: PgliteStore): Promise<number> {
  return Number((await store.query<{ size: string }>(`SELECT pg_relation_size('queue')::text AS size`)).rows[0].size);
}

test('the embedded store vacuums what it writes, inside CTEs too: a table rows pass through stays small', async () => {
  const kept = await PgliteStore.open('memory://', { minRows: 200, fraction: 0, intervalMs: 0 });
  const never = await PgliteStore.open('memory://', { minRows: Number.MAX_SAFE_INTEGER, fraction: 0, intervalMs: 0 });
  try {
    for (const store of [kept, never]) {
      await store.exec('CREATE TABLE queue (seq bigserial PRIMARY KEY, payload text NOT NULL); CREATE TABLE ticks ()');
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

test('the tables a statement writes are found in its CTEs; row locks and upserts name none', () => {
  assert.deepEqual(writtenTables(`WITH batch AS (DELETE FROM stratum_outbox_pending WHERE seq IN (SELECT seq FROM x FOR UPDATE SKIP LOCKED) RETURNING *),
    bumped AS (INSERT INTO stratum_outbox_positions (tenant_id) SELECT 1 ON CONFLICT (tenant_id) DO UPDATE SET position = 1)
    INSERT INTO stratum_outbox_events SELECT * FROM batch`), ['stratum_outbox_pending', 'stratum_outbox_positions', 'stratum_outbox_events']);
  assert.deepEqual(writtenTables('UPDATE "c_my ""odd"" table" d SET version = 2 FROM t FOR NO KEY UPDATE OF d NOWAIT'), ['"c_my ""odd"" table"']);
  assert.deepEqual(writtenTables('SELECT doc FROM c_identity_users WHERE id = $1 FOR UPDATE'), []);
});
