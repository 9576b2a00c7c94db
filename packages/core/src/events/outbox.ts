import type { CqrsPayload } from '@stratum/contracts';
import type { RequestContext } from '../context.js';
import { newId } from '../ids.js';
import type { SqlExecutor } from '../store/types.js';
import { present, type Doc } from '../collections/documents.js';
import type { RegisteredCollection } from '../collections/registry.js';

export type ChangeOp = CqrsPayload['op'];

export interface Change {
  op: ChangeOp;
  before?: Doc;
  after?: Doc;
  /** The version the change produced, when there is no `after` (deletes). */
  version?: number;
}

const COLUMNS = 11;

/** The change event of seed 000 for one write; write-only fields never leave in it. */
export function payloadOf(reg: RegisteredCollection, change: Change, tsMs: number): CqrsPayload {
  const doc = (change.after ?? change.before)!;
  const payload: CqrsPayload = {
    id: doc.id,
    ts_ms: tsMs,
    op: change.op,
    topic: `${reg.def.service}.${reg.def.name}`,
    source: { name: 'stratum', db: reg.def.service, collection: reg.def.name },
  };
  if (change.after) payload.after = present(reg, change.after);
  if (change.before) payload.before = present(reg, change.before);
  return payload;
}

/**
 * Appends the events of a write inside the write's own transaction: a rolled-back write leaves
 * no event, a committed one cannot lose its events.
 */
export async function appendChanges(db: SqlExecutor, ctx: RequestContext, reg: RegisteredCollection, changes: Change[]): Promise<void> {
  if (changes.length === 0) return;
  const counter = await db.query<{ position: string | number }>(
    `INSERT INTO stratum_outbox_positions (tenant_id, position) VALUES ($1, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET position = stratum_outbox_positions.position + $2 RETURNING position::text AS position`,
    [ctx.tenant, changes.length],
  );
  const first = Number(counter.rows[0].position) - changes.length + 1;
  const tsMs = Date.now();
  const values: unknown[] = [];
  const rows = changes.map((change, i) => {
    const doc = (change.after ?? change.before)!;
    const base = values.length;
    values.push(ctx.tenant, first + i, newId(tsMs), tsMs, change.op, reg.def.service, reg.def.name, doc.id, change.version ?? doc.version,
      (doc.clients as string[] | undefined) ?? [], JSON.stringify(payloadOf(reg, change, tsMs)));
    return `(${Array.from({ length: COLUMNS }, (_, k) => `$${base + k + 1}`).join(', ')})`;
  });
  await db.query(
    `INSERT INTO stratum_outbox (tenant_id, position, event_id, ts_ms, op, service, collection, document_id, version, clients, payload)
     VALUES ${rows.join(', ')}`,
    values,
  );
}
