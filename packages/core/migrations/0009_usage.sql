-- Plans: the limits the operator sets on a tenant (DESIGN 6.5). No row, or a NULL limit, is
-- unlimited. Outside the tenant-keyed collections, so a tenant's own admin can never write it.
CREATE TABLE IF NOT EXISTS stratum_plans (
  tenant_id text PRIMARY KEY,
  requests_per_month bigint,
  documents bigint,
  rate_per_second integer,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);

-- Requests per tenant and calendar month (UTC), `period` being the month's first day. Nodes count
-- in memory or Redis and add what they counted here every USAGE_SYNC_SECONDS, never per request.
CREATE TABLE IF NOT EXISTS stratum_usage (
  tenant_id text NOT NULL,
  period date NOT NULL,
  requests bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, period)
);
