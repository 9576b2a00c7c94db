-- Pruning asks whether any delivery still needs an event.
CREATE INDEX IF NOT EXISTS stratum_deliveries_event ON stratum_deliveries (tenant_id, event_seq);
