-- Positions leave the outbox row. Setting `position` on the row (indexed, so never a HOT update)
-- wrote every event twice, payload included, with about seven index entries; the row is now
-- written once and never updated. The write also queues its event in a narrow table, and the
-- sequencer moves queued events into a narrow (tenant, position) -> seq table in commit order.
--
-- The outbox is renamed so that a node still running the old code fails its writes loudly
-- instead of appending events nobody would ever sequence.
ALTER TABLE stratum_outbox RENAME TO stratum_outbox_events;
ALTER INDEX stratum_outbox_pkey RENAME TO stratum_outbox_events_pkey;

-- Committed events waiting for their position, taken in `seq` order. No filter column: without
-- statistics (autovacuum off, or PGlite) a filter made the planner read the whole queue, dead
-- rows included. A saga's events (the sagas capability, not built yet) are queued when it commits.
CREATE TABLE stratum_outbox_unsequenced (
  seq bigint PRIMARY KEY,
  tenant_id text NOT NULL
);

-- Each tenant's events in position order. `seq` finds an event's position (retention).
CREATE TABLE stratum_outbox_order (
  tenant_id text NOT NULL,
  position bigint NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (tenant_id, position)
);
CREATE UNIQUE INDEX stratum_outbox_order_seq ON stratum_outbox_order (seq);

INSERT INTO stratum_outbox_order (tenant_id, position, seq)
  SELECT tenant_id, position, seq FROM stratum_outbox_events WHERE position IS NOT NULL;
INSERT INTO stratum_outbox_unsequenced (seq, tenant_id)
  SELECT seq, tenant_id FROM stratum_outbox_events WHERE position IS NULL AND saga IS NULL;

-- Nothing reads events by document; pending and positioned events have tables of their own.
DROP INDEX stratum_outbox_document;
DROP INDEX stratum_outbox_pending;
DROP INDEX stratum_outbox_position;
ALTER TABLE stratum_outbox_events DROP COLUMN position, DROP COLUMN saga;
