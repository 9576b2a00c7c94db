-- Responses of POST requests sent with an Idempotency-Key, replayed on a retry with the same key.
CREATE TABLE IF NOT EXISTS stratum_idempotency (
  tenant_id text NOT NULL,
  actor text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  status_code integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, actor, key)
);
CREATE INDEX IF NOT EXISTS stratum_idempotency_created_at ON stratum_idempotency (created_at);
