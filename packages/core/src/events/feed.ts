import { ErrorCode, type CqrsPayload } from '@stratum/contracts';
import type { TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlExecutor, Store } from '../store/types.js';
import { sequenceEvents } from './outbox.js';

export interface FeedItem extends CqrsPayload {
  /** Per-tenant position: pass the last one seen as `after` to continue. */
  position: number;
  event_id: string;
}

export interface FeedQuery {
  after: number;
  limit: number;
  /** `service/collection` paths the caller may read, or 'all'. */
  readable: string[] | 'all';
}

export function parseFeedQuery(raw: Record<string, unknown>, lastEventId: string | undefined, maxLimit: number): Omit<FeedQuery, 'readable'> {
  const afterRaw = raw.after ?? lastEventId ?? '0';
  const limitRaw = raw.limit ?? String(Math.min(100, maxLimit));
  if (typeof afterRaw !== 'string' || !/^\d{1,15}$/.test(afterRaw)) throw new DomainError(ErrorCode.INVALID_PAGINATION, 'after must be an event position (a non-negative integer)');
  if (typeof limitRaw !== 'string' || !/^\d{1,6}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > maxLimit) {
    throw new DomainError(ErrorCode.INVALID_PAGINATION, `limit must be between 1 and ${maxLimit}`);
  }
  return { after: Number(afterRaw), limit: Number(limitRaw) };
}

/**
 * Committed, released events of a tenant after a position, in order, limited to what the caller
 * may read. Sequences what has committed first, so a reader sees its own writes at once.
 */
export async function readFeed(store: Store, tenant: TenantId, query: FeedQuery): Promise<FeedItem[]> {
  if (query.readable !== 'all' && query.readable.length === 0) return [];
  while ((await sequenceEvents(store)) > 0) {
    // drain: every committed event gets its position before this read
  }
  const db: SqlExecutor = store;
  const params: unknown[] = [tenant, query.after, query.limit];
  let readable = '';
  if (query.readable !== 'all') {
    params.push(query.readable);
    readable = ` AND (e.service || '/' || e.collection) = ANY($4::text[])`;
  }
  const result = await db.query<{ position: string; event_id: string; payload: CqrsPayload }>(
    `SELECT e.position::text AS position, e.event_id, e.payload FROM stratum_outbox_events e
     WHERE e.tenant_id = $1 AND e.position > $2${readable} ORDER BY e.position LIMIT $3`,
    params,
  );
  return result.rows.map((r) => ({ position: Number(r.position), event_id: r.event_id, ...r.payload }));
}
