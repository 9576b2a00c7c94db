-- CQRS configs are per client (seed 000: `{eid: client, key: 'CQRS'}`): the unique key becomes
-- (eid, key), where a missing eid is one value so tenant-wide keys stay unique.
DROP INDEX IF EXISTS "c_context_configs_u_key";
CREATE UNIQUE INDEX IF NOT EXISTS "c_context_configs_u_eid_key" ON "c_context_configs" (tenant_id, ((doc->>'eid') COLLATE "C"), ((doc->>'key') COLLATE "C")) NULLS NOT DISTINCT WHERE deleted_at IS NULL;

-- Delivery state of a client's webhook (DESIGN 7). What to call and how is copied here from the
-- client's CQRS config in the config write's transaction; the dispatcher reads only this table.
CREATE TABLE IF NOT EXISTS stratum_webhook_endpoints (
  tenant_id text NOT NULL,
  client_id text NOT NULL,
  url text NOT NULL,
  authorization_header text,
  collections text[],
  ops text[],
  -- false once the CQRS config is deleted; a restored config resumes from the same cursor.
  configured boolean NOT NULL DEFAULT true,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
  paused_reason text,
  paused_at timestamptz,
  -- Last tenant event position turned into deliveries for this endpoint.
  cursor bigint NOT NULL DEFAULT 0,
  secret text NOT NULL,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, client_id)
);

-- One event to one endpoint. The webhook-id is the event id: stable over retries and replays.
CREATE TABLE IF NOT EXISTS stratum_deliveries (
  tenant_id text NOT NULL,
  client_id text NOT NULL,
  event_id text NOT NULL,
  event_seq bigint NOT NULL,
  position bigint NOT NULL,
  service text NOT NULL,
  collection text NOT NULL,
  document_id text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
  -- Attempts of the current run (reset by a redelivery) and of all time (numbers the log).
  attempts integer NOT NULL DEFAULT 0,
  attempts_total integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (tenant_id, client_id, event_id)
);
CREATE INDEX IF NOT EXISTS stratum_deliveries_due ON stratum_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS stratum_deliveries_leased ON stratum_deliveries (lease_until) WHERE status = 'delivering';
CREATE INDEX IF NOT EXISTS stratum_deliveries_open_document ON stratum_deliveries (tenant_id, client_id, service, collection, document_id, position)
  WHERE status IN ('pending', 'delivering');
CREATE INDEX IF NOT EXISTS stratum_deliveries_by_position ON stratum_deliveries (tenant_id, client_id, position);

CREATE TABLE IF NOT EXISTS stratum_delivery_attempts (
  tenant_id text NOT NULL,
  client_id text NOT NULL,
  event_id text NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  error text,
  response text,
  PRIMARY KEY (tenant_id, client_id, event_id, attempt)
);

-- Last position of each tenant published on the bus (JetStream dedupes by event id).
CREATE TABLE IF NOT EXISTS stratum_bus_cursor (
  tenant_id text PRIMARY KEY,
  position bigint NOT NULL
);
