import type { CqrsPayload } from '@stratum/contracts';
import type { TenantId } from '../context.js';
import { newId } from '../ids.js';
import type { SqlExecutor, Store } from '../store/types.js';
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

const COLUMNS = 10;

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

/** One SQL statement and its parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

const PENDING = 'INSERT INTO stratum_outbox_pending (tenant_id, event_id, ts_ms, op, service, collection, document_id, version, clients, payload)';

/** The VALUES rows of a write's events; their parameters are appended to `values`. */
function eventRows(tenant: TenantId, reg: RegisteredCollection, changes: Change[], values: unknown[]): string {
  const tsMs = Date.now();
  return changes.map((change) => {
    const doc = (change.after ?? change.before)!;
    const base = values.length;
    values.push(tenant, newId(tsMs), tsMs, change.op, reg.def.service, reg.def.name, doc.id, change.version ?? doc.version,
      (doc.clients as string[] | undefined) ?? [], JSON.stringify(payloadOf(reg, change, tsMs)));
    return `(${Array.from({ length: COLUMNS }, (_, k) => `$${base + k + 1}`).join(', ')})`;
  }).join(', ');
}

/**
 * Appends the events of a write inside the write's own transaction: a rolled-back write leaves
 * no event, a committed one cannot lose its events. No lock is taken: positions are given later,
 * in commit order, by `sequenceEvents`.
 */
export async function appendChanges(db: SqlExecutor, tenant: TenantId, reg: RegisteredCollection, changes: Change[]): Promise<void> {
  if (changes.length === 0) return;
  const values: unknown[] = [];
  const rows = eventRows(tenant, reg, changes, values);
  // The text of a one-event write never varies: parsing and planning it cost more than running it.
  await db.query(`${PENDING} VALUES ${rows}`, values, { prepare: changes.length === 1 });
}

/**
 * The write statement with its events appended in the same statement, so the write and its
 * events cost one round trip. Only for a statement that writes every row or fails (a plain
 * INSERT): the events are appended whatever it wrote.
 */
export function withChanges(write: Statement, tenant: TenantId, reg: RegisteredCollection, changes: Change[]): Statement {
  if (changes.length === 0) return write;
  const params = [...write.params];
  const rows = eventRows(tenant, reg, changes, params);
  return { sql: `WITH written AS (${write.sql}) ${PENDING} VALUES ${rows}`, params };
}

// Any constant works; it only has to be the same on every node sequencing this database.
const SEQUENCER_LOCK = 7_318_424_552;

/**
 * Gives committed pending events the next positions of their tenant, in the order they were
 * written, and moves them into the log. Only one sequencer runs at a time (a transaction-scoped
 * advisory lock), and an event still in an open transaction is invisible here, so it gets a later
 * position when it commits: a reader that has seen position N never finds a smaller one appear
 * afterwards. Two writes of one document are ordered by its row lock, so their events keep that
 * order. Returns how many events were sequenced.
 *
 * One statement, so an idle poll and a busy round cost one round trip each. Its snapshot may be
 * older than the lock: pending rows another sequencer took meanwhile are then already deleted and
 * the DELETE skips them, and the counter is read at its latest, so positions still only grow.
 */
export async function sequenceEvents(store: Store, batch = 1000): Promise<number> {
  const result = await store.query(
    `WITH batch AS (
       DELETE FROM stratum_outbox_pending
       WHERE seq IN (SELECT seq FROM stratum_outbox_pending ORDER BY seq LIMIT $1)
         AND (SELECT pg_try_advisory_xact_lock($2))
       RETURNING *
     ), numbered AS (
       SELECT *, row_number() OVER (PARTITION BY tenant_id ORDER BY seq) AS rn FROM batch
     ), counts AS (
       SELECT tenant_id, count(*) AS n FROM batch GROUP BY tenant_id
     ), bumped AS (
       INSERT INTO stratum_outbox_positions (tenant_id, position) SELECT tenant_id, n FROM counts
       ON CONFLICT (tenant_id) DO UPDATE SET position = stratum_outbox_positions.position + EXCLUDED.position
       RETURNING tenant_id, position AS last
     )
     INSERT INTO stratum_outbox_events (tenant_id, position, seq, event_id, ts_ms, op, service, collection, document_id, version, clients, payload)
     SELECT n.tenant_id, b.last - c.n + n.rn, n.seq, n.event_id, n.ts_ms, n.op, n.service, n.collection, n.document_id, n.version, n.clients, n.payload
     FROM numbered n JOIN counts c USING (tenant_id) JOIN bumped b USING (tenant_id)`,
    [batch, SEQUENCER_LOCK],
  );
  return result.rowCount;
}
