import { eventSubject, type Bus } from '../bus/bus.js';
import type { Store } from '../store/types.js';
import { announcePositions, type FeedPosition } from './feed-watch.js';

/**
 * Publishes sequenced events on the bus in each tenant's position order, at least once: a
 * tenant's cursor row is locked (SKIP LOCKED) while its batch is published and moves only after
 * the bus has stored it. A crash in between publishes the batch again; JetStream drops the
 * repeats by event id. Every tenant whose cursor moved is then announced to the live feeds
 * (`announcePositions`), whether or not the events themselves went out. Returns how many events
 * were published.
 */
export async function publishEvents(store: Store, bus: Bus, batch: number): Promise<number> {
  if (!bus.wantsEvents()) {
    // Nobody would hear them: the cursors move on (so retention can prune) without reading payloads.
    const moved = await store.query<{ tenant_id: string; position: string }>(
      `INSERT INTO stratum_bus_cursor (tenant_id, position) SELECT tenant_id, position FROM stratum_outbox_positions
       ON CONFLICT (tenant_id) DO UPDATE SET position = EXCLUDED.position WHERE stratum_bus_cursor.position < EXCLUDED.position
       RETURNING tenant_id, position::text AS position`,
    );
    await announcePositions(bus, moved.rows.map((r): FeedPosition => [r.tenant_id, Number(r.position)]));
    return 0;
  }
  await store.query(
    `INSERT INTO stratum_bus_cursor (tenant_id, position)
     SELECT p.tenant_id, 0 FROM stratum_outbox_positions p
     WHERE NOT EXISTS (SELECT 1 FROM stratum_bus_cursor c WHERE c.tenant_id = p.tenant_id)
     ON CONFLICT DO NOTHING`,
  );
  const behind = await store.query<{ tenant_id: string }>(
    `SELECT c.tenant_id FROM stratum_bus_cursor c JOIN stratum_outbox_positions p USING (tenant_id) WHERE p.position > c.position`,
  );
  let published = 0;
  const moved: FeedPosition[] = [];
  for (const { tenant_id: tenant } of behind.rows) {
    published += await store.transaction(async (tx) => {
      const cursor = await tx.query<{ position: string }>(
        'SELECT position::text AS position FROM stratum_bus_cursor WHERE tenant_id = $1 FOR UPDATE SKIP LOCKED',
        [tenant],
      );
      if (cursor.rows.length === 0) return 0;
      const events = await tx.query<{ position: string; event_id: string; service: string; collection: string; payload: Record<string, unknown> }>(
        `SELECT position::text AS position, event_id, service, collection, payload FROM stratum_outbox_events
         WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
        [tenant, cursor.rows[0].position, batch],
      );
      if (events.rows.length === 0) return 0;
      await bus.publishEvents(events.rows.map((e) => ({
        subject: eventSubject(tenant, e.service, e.collection),
        id: e.event_id,
        data: { ...e.payload, position: Number(e.position), tenant },
      })));
      const last = events.rows[events.rows.length - 1].position;
      await tx.query('UPDATE stratum_bus_cursor SET position = $2 WHERE tenant_id = $1', [tenant, last]);
      moved.push([tenant, Number(last)]);
      return events.rows.length;
    });
  }
  await announcePositions(bus, moved);
  return published;
}
