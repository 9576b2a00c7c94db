import { ErrorCode } from '@stratum/contracts';
import type { RequestContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { endpointWants, NEW_DELIVERY } from './deliveries.js';
import { newWebhookSecret } from './webhook-config.js';

export interface WebhookEndpointView {
  client: string;
  url: string;
  collections: string[] | null;
  ops: string[] | null;
  configured: boolean;
  state: 'active' | 'paused';
  paused_reason: string | null;
  paused_at: string | null;
  /** Last tenant position turned into deliveries, and how far the tenant is ahead of it. */
  cursor: number;
  lag: number;
  pending: number;
  dead: number;
  delivered: number;
}

export interface DeliveryView {
  event_id: string;
  position: number;
  topic: string;
  document_id: string;
  status: 'pending' | 'delivering' | 'delivered' | 'dead';
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface AttemptView {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response: string | null;
}

export type DeliveryStatus = DeliveryView['status'];

const ENDPOINT_SELECT = `SELECT e.client_id AS client, e.url, e.collections, e.ops, e.configured, e.state, e.paused_reason, e.paused_at,
    e.cursor::int AS cursor, GREATEST(COALESCE(p.position, 0) - e.cursor, 0)::int AS lag,
    (SELECT count(*) FROM stratum_deliveries d WHERE d.tenant_id = e.tenant_id AND d.client_id = e.client_id AND d.status IN ('pending', 'delivering'))::int AS pending,
    (SELECT count(*) FROM stratum_deliveries d WHERE d.tenant_id = e.tenant_id AND d.client_id = e.client_id AND d.status = 'dead')::int AS dead,
    (SELECT count(*) FROM stratum_deliveries d WHERE d.tenant_id = e.tenant_id AND d.client_id = e.client_id AND d.status = 'delivered')::int AS delivered
  FROM stratum_webhook_endpoints e LEFT JOIN stratum_outbox_positions p ON p.tenant_id = e.tenant_id`;

const DELIVERY_SELECT = `SELECT event_id, position::int AS position, service || '.' || collection AS topic, document_id, status, attempts,
    CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at, last_status, last_error, created_at, delivered_at
  FROM stratum_deliveries`;

function notFound(what: string): never {
  throw new DomainError(ErrorCode.NOT_FOUND, what);
}

/**
 * What an operator does with a tenant's webhooks: see their state and deliveries, pause and
 * resume them, rotate their signing secret, redeliver one event and replay a range.
 */
export class WebhookAdmin {
  constructor(private readonly store: Store, private readonly secretOverlapSeconds: number) {}

  async list(ctx: RequestContext): Promise<WebhookEndpointView[]> {
    const result = await this.store.query<WebhookEndpointView>(`${ENDPOINT_SELECT} WHERE e.tenant_id = $1 ORDER BY e.created_at`, [ctx.tenant]);
    return result.rows;
  }

  async get(ctx: RequestContext, client: string): Promise<WebhookEndpointView> {
    const result = await this.store.query<WebhookEndpointView>(`${ENDPOINT_SELECT} WHERE e.tenant_id = $1 AND e.client_id = $2`, [ctx.tenant, client]);
    return result.rows[0] ?? notFound(`client ${client} has no webhook (create a CQRS config for it)`);
  }

  async pause(ctx: RequestContext, client: string, reason = 'paused by an operator'): Promise<WebhookEndpointView> {
    await this.update(ctx, client, `state = 'paused', paused_at = now(), paused_reason = $3`, [reason]);
    return this.get(ctx, client);
  }

  /** Resumes from where the endpoint stopped: its pending deliveries are due at once, in order. */
  async resume(ctx: RequestContext, client: string): Promise<WebhookEndpointView> {
    await this.store.transaction(async (tx) => {
      await tx.query(
        `UPDATE stratum_webhook_endpoints SET state = 'active', paused_at = NULL, paused_reason = NULL WHERE tenant_id = $1 AND client_id = $2`,
        [ctx.tenant, client],
      );
      await tx.query(
        `UPDATE stratum_deliveries SET next_attempt_at = now(), attempts = 0 WHERE tenant_id = $1 AND client_id = $2 AND status = 'pending'`,
        [ctx.tenant, client],
      );
    });
    return this.get(ctx, client);
  }

  async secret(ctx: RequestContext, client: string): Promise<{ secret: string; previous_expires_at: string | null }> {
    const result = await this.store.query<{ secret: string; previous_expires_at: string | null }>(
      `SELECT secret, CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END AS previous_expires_at
       FROM stratum_webhook_endpoints WHERE tenant_id = $1 AND client_id = $2`,
      [ctx.tenant, client],
    );
    return result.rows[0] ?? notFound(`client ${client} has no webhook`);
  }

  /** A new secret signs from now on; the old one keeps signing alongside it for the overlap. */
  async rotateSecret(ctx: RequestContext, client: string): Promise<{ secret: string; previous_expires_at: string | null }> {
    await this.update(ctx, client,
      `previous_secret = secret, secret = $3, previous_secret_expires_at = now() + $4 * interval '1 second'`,
      [newWebhookSecret(), this.secretOverlapSeconds]);
    return this.secret(ctx, client);
  }

  async deliveries(ctx: RequestContext, client: string, query: { status?: DeliveryStatus; after: number; limit: number }): Promise<DeliveryView[]> {
    await this.get(ctx, client);
    const result = await this.store.query<DeliveryView>(
      `${DELIVERY_SELECT} WHERE tenant_id = $1 AND client_id = $2 AND position > $3 AND ($4::text IS NULL OR status = $4)
       ORDER BY position LIMIT $5`,
      [ctx.tenant, client, query.after, query.status ?? null, query.limit],
    );
    return result.rows;
  }

  async delivery(ctx: RequestContext, client: string, eventId: string): Promise<DeliveryView & { attempt_log: AttemptView[] }> {
    const found = await this.store.query<DeliveryView>(`${DELIVERY_SELECT} WHERE tenant_id = $1 AND client_id = $2 AND event_id = $3`, [ctx.tenant, client, eventId]);
    const delivery = found.rows[0] ?? notFound(`no delivery of event ${eventId} to client ${client}`);
    const attempts = await this.store.query<AttemptView>(
      `SELECT attempt, started_at, duration_ms, status_code, error, response FROM stratum_delivery_attempts
       WHERE tenant_id = $1 AND client_id = $2 AND event_id = $3 ORDER BY attempt`,
      [ctx.tenant, client, eventId],
    );
    return { ...delivery, attempt_log: attempts.rows };
  }

  /** Sends one event again (delivered or dead), keeping its webhook-id so receivers can recognise it. */
  async redeliver(ctx: RequestContext, client: string, eventId: string): Promise<DeliveryView & { attempt_log: AttemptView[] }> {
    const result = await this.store.query(
      `UPDATE stratum_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
       WHERE tenant_id = $1 AND client_id = $2 AND event_id = $3 AND status <> 'delivering'`,
      [ctx.tenant, client, eventId],
    );
    const current = await this.delivery(ctx, client, eventId);
    if (result.rowCount === 0) {
      throw new DomainError(ErrorCode.CONFLICT, `event ${eventId} is being sent to client ${client} right now; redeliver it once the attempt is recorded`);
    }
    return current;
  }

  /**
   * Queues again every event of the endpoint in a position range (dead letters, or events from
   * before the webhook existed), through the endpoint's filters. Returns how many were queued.
   */
  async replay(ctx: RequestContext, client: string, range: { from: number; to?: number }): Promise<number> {
    await this.get(ctx, client);
    const result = await this.store.query(
      `${NEW_DELIVERY}
       SELECT o.tenant_id, e.client_id, o.event_id, o.seq, o.position, o.service, o.collection, o.document_id
       FROM stratum_outbox_events o JOIN stratum_webhook_endpoints e ON e.tenant_id = o.tenant_id AND e.client_id = $2
       WHERE o.tenant_id = $1 AND o.position >= $3 AND o.position <= LEAST($4::bigint, e.cursor) AND ${endpointWants('o', 'e')}
       ON CONFLICT (tenant_id, client_id, event_id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
         WHERE stratum_deliveries.status <> 'delivering'`,
      [ctx.tenant, client, range.from, range.to ?? Number.MAX_SAFE_INTEGER],
    );
    return result.rowCount;
  }

  private async update(ctx: RequestContext, client: string, set: string, params: unknown[]): Promise<void> {
    const result = await this.store.query(`UPDATE stratum_webhook_endpoints SET ${set} WHERE tenant_id = $1 AND client_id = $2`, [ctx.tenant, client, ...params]);
    if (result.rowCount === 0) notFound(`client ${client} has no webhook (create a CQRS config for it)`);
  }
}
