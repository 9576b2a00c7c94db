/**
 * A tenant's plan (DESIGN 6.5), set by the operator. `null` is unlimited; a tenant without a
 * plan has every limit `null`.
 */
export interface PlanLimits {
  /** Authenticated requests per calendar month (UTC). */
  requests_per_month: number | null;
  /** Live (not deleted) documents across the tenant's collections; sign-in sessions are not counted. */
  documents: number | null;
  /** Authenticated requests per second, across the tenant's principals and nodes. */
  rate_per_second: number | null;
}

/** `GET /tenants/:domain/plan`: the plan and who changed it last. */
export interface Plan extends PlanLimits {
  tenant: string;
  updated_at: string | null;
  updated_by: string | null;
}

/** `GET /usage`: the current period's figures next to the plan's limits. */
export interface Usage {
  tenant: string;
  /** Start of the current calendar month (UTC), ISO 8601. */
  period_start: string;
  /** Start of the next month: when the request count starts again. */
  period_end: string;
  /** Authenticated requests this period, this one included. */
  requests: number;
  /** Live documents now. */
  documents: number;
  plan: PlanLimits;
}
