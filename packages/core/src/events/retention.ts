import type { Store } from '../store/types.js';

const PRUNE_BATCH = 5000;

/**
 * Removes what the event plane no longer needs once it is older than the retention: delivered
 * deliveries with their attempt log, and events every consumer has passed (published on the bus,
 * fanned out to every configured endpoint, no delivery still open or dead). Dead letters and the
 * events they need stay until they are replayed. Returns how many rows went.
 */
export async function pruneEvents(store: Store, retentionMs: number, now = Date.now()): Promise<number> {
  const cutoffMs = now - retentionMs;
  const cutoff = new Date(cutoffMs).toISOString();
  const attempts = await store.query(
    `DELETE FROM stratum_delivery_attempts a USING stratum_deliveries d
     WHERE d.tenant_id = a.tenant_id AND d.client_id = a.client_id AND d.event_id = a.event_id
       AND d.status = 'delivered' AND d.delivered_at < $1`,
    [cutoff],
  );
  const deliveries = await store.query(`DELETE FROM stratum_deliveries WHERE status = 'delivered' AND delivered_at < $1`, [cutoff]);
  const events = await store.query(
    `DELETE FROM stratum_outbox_events e WHERE e.seq IN (
       SELECT e.seq FROM stratum_outbox_events e
       WHERE e.ts_ms < $1
         AND e.position <= COALESCE((SELECT c.position FROM stratum_bus_cursor c WHERE c.tenant_id = e.tenant_id), 0)
         AND NOT EXISTS (SELECT 1 FROM stratum_webhook_endpoints w WHERE w.tenant_id = e.tenant_id AND w.configured AND w.cursor < e.position)
         AND NOT EXISTS (SELECT 1 FROM stratum_deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_seq = e.seq)
       ORDER BY e.ts_ms LIMIT $2
     )`,
    [cutoffMs, PRUNE_BATCH],
  );
  return attempts.rowCount + deliveries.rowCount + events.rowCount;
}
