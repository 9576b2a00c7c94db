import { createHash } from 'node:crypto';
import { ErrorCode } from '@stratum/contracts';
import { actorOf, withTx, type RequestContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

/**
 * Runs a write once per (tenant, actor, key). The key row is inserted in the write's own
 * transaction, so a concurrent retry waits for the first to commit and then replays its answer;
 * a failed first attempt leaves no row and may be retried.
 */
export async function idempotent(
  store: Store,
  ctx: RequestContext,
  key: string,
  fingerprint: string,
  run: (ctx: RequestContext) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (!KEY.test(key)) throw new DomainError(ErrorCode.BAD_REQUEST, 'Idempotency-Key must be 1-255 visible ASCII characters');
  const actor = actorOf(ctx.principal);
  return store.transaction(async (tx) => {
    const claimed = await tx.query(
      `INSERT INTO stratum_idempotency (tenant_id, actor, key, fingerprint) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING key`,
      [ctx.tenant, actor, key, fingerprint],
    );
    if (claimed.rows.length === 0) {
      const prior = await tx.query<{ fingerprint: string; status_code: number; response: unknown }>(
        'SELECT fingerprint, status_code, response FROM stratum_idempotency WHERE tenant_id = $1 AND actor = $2 AND key = $3',
        [ctx.tenant, actor, key],
      );
      const row = prior.rows[0];
      if (row.fingerprint !== fingerprint) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used for a different request');
      }
      return { status: row.status_code, body: row.response, replayed: true };
    }
    const response = await run(withTx(ctx, tx));
    await tx.query(
      'UPDATE stratum_idempotency SET status_code = $4, response = $5 WHERE tenant_id = $1 AND actor = $2 AND key = $3',
      [ctx.tenant, actor, key, response.status, JSON.stringify(response.body)],
    );
    return { ...response, replayed: false };
  });
}
