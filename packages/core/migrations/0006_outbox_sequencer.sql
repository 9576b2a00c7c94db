-- Events are written without a lock (a global sequence orders them); one sequencer at a time
-- gives committed events their per-tenant positions in order. Taking positions inside each write
-- held the tenant's counter row until commit and serialised every write of a tenant.
ALTER TABLE stratum_outbox DROP CONSTRAINT IF EXISTS stratum_outbox_pkey;
ALTER TABLE stratum_outbox ADD COLUMN IF NOT EXISTS seq bigserial;
ALTER TABLE stratum_outbox ADD PRIMARY KEY (seq);
ALTER TABLE stratum_outbox ALTER COLUMN position DROP NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS stratum_outbox_position ON stratum_outbox (tenant_id, position);
CREATE INDEX IF NOT EXISTS stratum_outbox_pending ON stratum_outbox (seq) WHERE position IS NULL AND saga IS NULL;
