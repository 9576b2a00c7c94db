import type { CqrsPayload } from '@stratum/contracts';
import type { Store } from '../store/types.js';

/** A delivery claimed for one attempt, with everything needed to send it. */
export interface ClaimedDelivery {
  tenant_id: string;
  client_id: string;
  event_id: string;
  position: number;
  version: number;
  attempts: number;
  attempts_total: number;
  url: string;
  authorization_header: string | null;
  secrets: string[];
  payload: CqrsPayload;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'dead';

/** What one attempt did, recorded in the delivery and in its attempt log. */
export interface AttemptResult {
  delivery: ClaimedDelivery;
  outcome: DeliveryOutcome;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  response: string | null;
  /** When to try again (outcome 'retry'). */
  nextAttemptAt: Date | null;
}

/** The columns a delivery is created with, from its event and endpoint. */
export const NEW_DELIVERY = 'INSERT INTO stratum_deliveries (tenant_id, client_id, event_id, event_seq, position, service, collection, document_id)';

/**
 * Which events an endpoint gets, as SQL over an event row and an endpoint row: its client is one
 * of the document's clients, and the event passes its collection and op filters. The fan-out and
 * a replay decide alike.
 */
export function endpointWants(event: string, endpoint: string): string {
  return `${endpoint}.client_id = ANY(${event}.clients)
    AND (${endpoint}.collections IS NULL OR (${event}.service || '/' || ${event}.collection) = ANY(${endpoint}.collections))
    AND (${endpoint}.ops IS NULL OR ${event}.op = ANY(${endpoint}.ops))`;
}

/**
 * Turns sequenced events into deliveries for every endpoint that is behind its tenant: the
 * events whose document lists the endpoint's client, through its collection and op filters.
 * An endpoint row is locked (SKIP LOCKED) while it is fanned out, so workers share endpoints and
 * never fan one out twice; the cursor moves in the same statement as the inserted deliveries.
 * One statement per endpoint: under load each round trip waits behind the API's statements.
 */
export async function fanOut(store: Store, batch: number): Promise<number> {
  const behind = await store.query<{ tenant_id: string; client_id: string }>(
    `SELECT e.tenant_id, e.client_id FROM stratum_webhook_endpoints e
     JOIN stratum_outbox_positions p ON p.tenant_id = e.tenant_id
     WHERE e.configured AND p.position > e.cursor LIMIT 1000`,
  );
  let created = 0;
  for (const endpoint of behind.rows) {
    const inserted = await store.query<{ n: number }>(
      `WITH endpoint AS (
         SELECT client_id, cursor, collections, ops FROM stratum_webhook_endpoints
         WHERE tenant_id = $1 AND client_id = $2 AND configured FOR UPDATE SKIP LOCKED
       ), events AS (
         SELECT o.seq, o.event_id, o.position, o.service, o.collection, o.document_id, o.op, o.clients
         FROM endpoint, LATERAL (
           SELECT * FROM stratum_outbox_events WHERE tenant_id = $1 AND position > endpoint.cursor ORDER BY position LIMIT $3
         ) o
       ), chosen AS (
         ${NEW_DELIVERY}
         SELECT $1, $2, v.event_id, v.seq, v.position, v.service, v.collection, v.document_id FROM events v, endpoint e
         WHERE ${endpointWants('v', 'e')}
         ON CONFLICT DO NOTHING RETURNING 1
       ), moved AS (
         -- Only with events read, so an endpoint another worker holds is not waited for here.
         UPDATE stratum_webhook_endpoints SET cursor = (SELECT max(position) FROM events)
         WHERE tenant_id = $1 AND client_id = $2 AND EXISTS (SELECT 1 FROM events)
       )
       SELECT (SELECT count(*) FROM chosen)::int AS n`,
      [endpoint.tenant_id, endpoint.client_id, batch],
    );
    created += inserted.rows[0].n;
  }
  return created;
}

/** Deliveries whose attempt outlived its lease (the worker died): they are due again. */
export async function reclaimExpired(store: Store): Promise<number> {
  const result = await store.query(
    `UPDATE stratum_deliveries SET status = 'pending', next_attempt_at = now(), lease_until = NULL,
       last_error = COALESCE(last_error, 'the attempt was interrupted (dispatcher stopped)')
     WHERE status = 'delivering' AND lease_until < now()`,
  );
  return result.rowCount;
}

/**
 * Claims due deliveries of active endpoints for one attempt each. Per endpoint and document only
 * the oldest open delivery is due, so a document's changes arrive in order even across retries.
 * Rows are locked with SKIP LOCKED and leased: a worker that dies leaves them to be reclaimed.
 */
export async function claimDue(store: Store, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return [];
  const result = await store.query<Omit<ClaimedDelivery, 'secrets' | 'position'> & { position: string; secret: string; previous_secret: string | null }>(
    `WITH heads AS (
       -- The oldest open delivery of each document and endpoint, read in the order of the
       -- partial index on open deliveries: the cost follows the backlog, not the history.
       SELECT DISTINCT ON (tenant_id, client_id, service, collection, document_id)
         ctid AS row, tenant_id, client_id, status, next_attempt_at, event_seq
       FROM stratum_deliveries WHERE status IN ('pending', 'delivering')
       ORDER BY tenant_id, client_id, service, collection, document_id, position
     ), candidates AS (
       SELECT h.row FROM heads h JOIN stratum_webhook_endpoints e ON e.tenant_id = h.tenant_id AND e.client_id = h.client_id
       WHERE h.status = 'pending' AND h.next_attempt_at <= now() AND e.state = 'active' AND e.configured
       ORDER BY h.next_attempt_at, h.event_seq LIMIT $1
     ), due AS (
       -- Locked by row address, so no plan can look them up through an index of the whole
       -- history (without statistics that took seconds per claim). A row changed since the
       -- snapshot has moved: it is skipped, as is one another worker holds.
       SELECT ctid AS row FROM stratum_deliveries
       WHERE ctid = ANY (ARRAY(SELECT row FROM candidates)) AND status = 'pending'
       FOR UPDATE SKIP LOCKED
     )
     UPDATE stratum_deliveries d SET status = 'delivering', attempts = d.attempts + 1, attempts_total = d.attempts_total + 1,
       lease_until = now() + $2 * interval '1 millisecond'
     FROM due, stratum_outbox_events o, stratum_webhook_endpoints e
     WHERE d.ctid = due.row AND o.seq = d.event_seq AND e.tenant_id = d.tenant_id AND e.client_id = d.client_id
     RETURNING d.tenant_id, d.client_id, d.event_id, d.position::text AS position, o.version, d.attempts, d.attempts_total,
       e.url, e.authorization_header, e.secret,
       CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret, o.payload`,
    [limit, leaseMs],
  );
  return result.rows.map(({ secret, previous_secret, position, ...row }) => ({
    ...row,
    position: Number(position),
    secrets: previous_secret ? [secret, previous_secret] : [secret],
  }));
}

/**
 * Hands claimed deliveries that were never sent back to the queue, as if never claimed: a worker
 * that stops, or that held one too long to send it within its lease, leaves no attempt behind.
 */
export async function releaseClaims(store: Store, deliveries: ClaimedDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await store.query(
    `UPDATE stratum_deliveries d SET status = 'pending', attempts = d.attempts - 1, attempts_total = d.attempts_total - 1, lease_until = NULL
     FROM unnest($1::text[], $2::text[], $3::text[]) AS r(tenant_id, client_id, event_id)
     WHERE d.tenant_id = r.tenant_id AND d.client_id = r.client_id AND d.event_id = r.event_id AND d.status = 'delivering'`,
    [deliveries.map((d) => d.tenant_id), deliveries.map((d) => d.client_id), deliveries.map((d) => d.event_id)],
  );
}

/**
 * Records a batch of attempts in one statement: each delivery's new state, one attempt-log row
 * each, and a pause for every endpoint whose delivery went to the dead letter.
 */
export async function recordAttempts(store: Store, results: AttemptResult[]): Promise<void> {
  if (results.length === 0) return;
  const column = <T>(of: (r: AttemptResult) => T) => results.map(of);
  await store.query(
    `WITH r AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::text[], $8::int[], $9::int[],
         $10::timestamptz[], $11::int[], $12::text[])
         AS r(tenant_id, client_id, event_id, status, next_at, code, error, attempt, attempts, started_at, duration_ms, response)
     ), updated AS (
       UPDATE stratum_deliveries d SET status = r.status, lease_until = NULL, last_status = r.code, last_error = r.error,
         next_attempt_at = COALESCE(r.next_at, d.next_attempt_at),
         delivered_at = CASE WHEN r.status = 'delivered' THEN now() ELSE d.delivered_at END
       FROM r
       WHERE d.tenant_id = r.tenant_id AND d.client_id = r.client_id AND d.event_id = r.event_id AND d.status = 'delivering'
     ), logged AS (
       INSERT INTO stratum_delivery_attempts (tenant_id, client_id, event_id, attempt, started_at, duration_ms, status_code, error, response)
       SELECT tenant_id, client_id, event_id, attempt, started_at, duration_ms, code, error, response FROM r
       ON CONFLICT DO NOTHING
     )
     UPDATE stratum_webhook_endpoints e SET state = 'paused', paused_at = now(),
       paused_reason = 'event ' || r.event_id || ' failed ' || r.attempts || ' attempts: ' || COALESCE(r.error, 'HTTP ' || r.code)
     FROM r
     WHERE r.status = 'dead' AND e.tenant_id = r.tenant_id AND e.client_id = r.client_id AND e.state = 'active'`,
    [column((r) => r.delivery.tenant_id), column((r) => r.delivery.client_id), column((r) => r.delivery.event_id),
      column((r) => (r.outcome === 'retry' ? 'pending' : r.outcome)), column((r) => r.nextAttemptAt?.toISOString() ?? null),
      column((r) => r.statusCode), column((r) => r.error), column((r) => r.delivery.attempts_total), column((r) => r.delivery.attempts),
      column((r) => r.startedAt.toISOString()), column((r) => Math.round(r.durationMs)), column((r) => r.response)],
  );
}
