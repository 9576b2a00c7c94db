-- Change events, appended in the same transaction as the write they describe (DESIGN 7).
-- Positions are per tenant and handed out under the tenant's counter row lock, so they grow in
-- commit order: a reader that has seen position N can never later find a smaller one appear.
CREATE TABLE IF NOT EXISTS stratum_outbox (
  tenant_id text NOT NULL,
  position bigint NOT NULL,
  event_id text NOT NULL,
  ts_ms bigint NOT NULL,
  op text NOT NULL,
  service text NOT NULL,
  collection text NOT NULL,
  document_id text NOT NULL,
  version integer NOT NULL,
  clients text[] NOT NULL DEFAULT '{}',
  -- A saga's writes are held back until the saga commits (the sagas capability fills this in).
  saga text,
  payload jsonb NOT NULL,
  PRIMARY KEY (tenant_id, position)
);
CREATE INDEX IF NOT EXISTS stratum_outbox_document ON stratum_outbox (tenant_id, service, collection, document_id, position);

CREATE TABLE IF NOT EXISTS stratum_outbox_positions (
  tenant_id text PRIMARY KEY,
  position bigint NOT NULL
);
