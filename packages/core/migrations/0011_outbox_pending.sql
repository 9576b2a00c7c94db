-- A write appends its event to one table instead of two. Since 0010 a write inserted the event
-- row and a queue row, and the sequencer moved queue rows into an order table: three tables per
-- event, two of them in the write itself. On the embedded shape (PGlite, one thread) each table a
-- statement touches costs about 40-60 us, and the queue row cost as much as the event row.
--
-- Now the write inserts the whole event into `stratum_outbox_pending`; the sequencer deletes
-- committed pending events and inserts them, with their positions, into the log
-- `stratum_outbox_events`, in one statement. The payload is written twice, but once by the
-- sequencer in a batch, off the write's path; the log needs no join to find an event's position.
CREATE TABLE stratum_outbox_pending (
  seq bigint PRIMARY KEY DEFAULT nextval('stratum_outbox_seq_seq'),
  tenant_id text NOT NULL,
  event_id text NOT NULL,
  ts_ms bigint NOT NULL,
  op text NOT NULL,
  service text NOT NULL,
  collection text NOT NULL,
  document_id text NOT NULL,
  version integer NOT NULL,
  clients text[] NOT NULL DEFAULT '{}',
  payload jsonb NOT NULL
);

INSERT INTO stratum_outbox_pending (seq, tenant_id, event_id, ts_ms, op, service, collection, document_id, version, clients, payload)
  SELECT e.seq, e.tenant_id, e.event_id, e.ts_ms, e.op, e.service, e.collection, e.document_id, e.version, e.clients, e.payload
  FROM stratum_outbox_events e JOIN stratum_outbox_unsequenced u ON u.seq = e.seq;

ALTER TABLE stratum_outbox_events ADD COLUMN position bigint;
UPDATE stratum_outbox_events e SET position = o.position FROM stratum_outbox_order o WHERE o.seq = e.seq;
DELETE FROM stratum_outbox_events WHERE position IS NULL;
ALTER TABLE stratum_outbox_events ALTER COLUMN position SET NOT NULL;
-- The sequencer gives `seq` from the pending row; the sequence stays owned by this column.
ALTER TABLE stratum_outbox_events ALTER COLUMN seq DROP DEFAULT;
ALTER TABLE stratum_outbox_events DROP CONSTRAINT stratum_outbox_events_pkey;
ALTER TABLE stratum_outbox_events ADD PRIMARY KEY (tenant_id, position);
-- Deliveries and retention find an event by `seq`.
CREATE UNIQUE INDEX stratum_outbox_events_seq ON stratum_outbox_events (seq);

DROP TABLE stratum_outbox_order;
DROP TABLE stratum_outbox_unsequenced;

-- Retention looks for what is older than the retention every minute. Without these indexes it
-- read the whole log and every delivery each time, even when nothing was old enough: seconds of
-- the embedded shape's one connection once the log held millions of events.
CREATE INDEX stratum_outbox_events_ts ON stratum_outbox_events (ts_ms);
CREATE INDEX stratum_deliveries_delivered ON stratum_deliveries (delivered_at) WHERE status = 'delivered';
