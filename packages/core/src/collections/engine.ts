import { ErrorCode, type Filter } from '@stratum/contracts';
import type { Limits } from '../config.js';
import type { RequestContext, TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import { newId } from '../ids.js';
import type { ReadOptions } from '../query/read-options.js';
import type { SqlExecutor, Store } from '../store/types.js';
import { quoteIdent } from './ddl.js';
import { hashFields, lifecycle, newDocument, ownershipOfPatch, patchDocument, present, stampOf, type Doc } from './documents.js';
import { populate } from './populate.js';
import type { CollectionRegistry, RegisteredCollection } from './registry.js';
import { compileSelect, compileWhere, filterWithRef, type Scope } from './select.js';
import { appendChanges, withChanges, type Change, type ChangeOp, type Statement } from '../events/outbox.js';
import { andRows, assertQueryReadable, limitReadable, UNRESTRICTED, writeAccess, type AccessScope, type RowAccess } from '../access/access-scope.js';
import type { Verb } from '../access/policy.js';
import { SqlParams } from '../query/params.js';
import type { TenantSchemas } from './tenant-schemas.js';
import type { DocumentQuota } from '../limits/document-meter.js';
import type { CollectionHooks } from './hooks.js';

export interface WriteOptions {
  /** Internal fields the platform itself sets (token hashes, refresh state), merged after validation. */
  system?: Record<string, unknown>;
  /** Expected version from `If-Match`; a mismatch is a 412. */
  ifMatch?: number;
  /** `x-exclude-soft-delete-query: true`: soft-deleted documents are visible. */
  includeDeleted?: boolean;
}

export interface ReadByIdOptions extends Pick<ReadOptions, 'projection' | 'populate' | 'ref'> {
  includeDeleted?: boolean;
}

type Row = { doc: Doc };

/** Without a read grant a caller reads no field of its own, only the core ones. */
function noReadGrant(error: unknown): AccessScope {
  if (error instanceof DomainError && error.code === ErrorCode.FORBIDDEN) return { unscoped: false, limits: [] };
  throw error;
}

/** Maps database constraint failures to the caller's mistake they are. */
function translate(error: unknown, reg: RegisteredCollection): never {
  const pgError = error as { code?: string; constraint?: string };
  if (pgError?.code === '23505') {
    const field = pgError.constraint?.replace(`${reg.table}_`, '').replace(/^u_/, '') ?? 'key';
    throw new DomainError(ErrorCode.DUPLICATE, `a document with this ${field} already exists in ${reg.path}`, [{ path: field, message: 'must be unique' }]);
  }
  throw error;
}

/**
 * The one engine behind every collection: the 11 operations of DESIGN 5.1. Tenancy is part of
 * every statement it builds; callers cannot reach a table without a tenant in `ctx`.
 */
export class CollectionEngine {
  private readonly hooks = new Map<string, CollectionHooks>();
  private readonly committedListeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly registry: CollectionRegistry,
    private readonly limits: Limits,
    /** Whether writes append change events (STRATUM_EVENTS); off, there are no webhooks, feed or bus events. */
    private readonly events = true,
  ) {}

  private changed(db: SqlExecutor, ctx: RequestContext, reg: RegisteredCollection, changes: Change[]): Promise<void> {
    return this.recordChanges(db, ctx.tenant, reg, changes);
  }

  /** Appends change events for a write made outside the engine (a session revocation), in its transaction. */
  async recordChanges(db: SqlExecutor, tenant: TenantId, reg: RegisteredCollection, changes: Change[]): Promise<void> {
    if (this.events) await appendChanges(db, tenant, reg, changes);
  }

  private schemas?: TenantSchemas;

  /** Per-tenant JSON Schemas from `context/configs`, checked on every write inside its transaction. */
  useTenantSchemas(schemas: TenantSchemas): void {
    this.schemas = schemas;
  }

  private quota?: DocumentQuota;

  /** Per-tenant plan quotas (DESIGN 6.5): asked before every create. */
  useDocumentQuota(quota: DocumentQuota): void {
    this.quota = quota;
  }

  private checkSchemas(db: SqlExecutor, ctx: RequestContext, reg: RegisteredCollection, docs: Record<string, unknown>[]): Promise<void> {
    return this.schemas ? this.schemas.check(db, ctx.tenant, reg.path, docs) : Promise.resolve();
  }

  setHooks(path: string, hooks: CollectionHooks): void {
    this.hooks.set(path, hooks);
  }

  /** Called after each write this engine committed: the dispatcher wakes instead of waiting for its poll. */
  onCommitted(listener: () => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  private db(ctx: RequestContext): SqlExecutor {
    return ctx.tx ?? this.store;
  }

  /** Runs in the caller's transaction if it has one, else in a new one. */
  private async write<T>(ctx: RequestContext, fn: (db: SqlExecutor, txCtx: RequestContext) => Promise<T>): Promise<T> {
    if (ctx.tx) return fn(ctx.tx, ctx);
    const committed: (() => Promise<void>)[] = [];
    const result = await this.store.transaction((db) => fn(db, { ...ctx, tx: db, afterCommit: (work) => committed.push(work) }));
    // The write has committed: a failed announcement must not turn it into an error for the caller.
    for (const work of committed) await work().catch(() => undefined);
    for (const listener of this.committedListeners) listener();
    return result;
  }

  private scope(ctx: RequestContext, includeDeleted = false, access: AccessScope = UNRESTRICTED): Scope {
    return { tenant: ctx.tenant, includeDeleted, rows: access.rows };
  }

  /** The grant gate for one operation: 403 without a grant, else the rows and fields it reaches. */
  private access(ctx: RequestContext, reg: RegisteredCollection, verb: Verb): Promise<AccessScope> {
    return ctx.access ? ctx.access.resolve(reg.def.service, reg.def.name, verb, this.db(ctx)) : Promise.resolve(UNRESTRICTED);
  }

  async count(ctx: RequestContext, reg: RegisteredCollection, options: Pick<ReadOptions, 'filter' | 'ref'>, includeDeleted = false): Promise<number> {
    const access = await this.access(ctx, reg, 'read');
    assertQueryReadable(access, options.filter, []);
    const { params, where } = compileWhere(reg, this.scope(ctx, includeDeleted, access), filterWithRef(options), this.limits);
    const result = await this.db(ctx).query<{ total: number }>(`SELECT count(*)::int AS total FROM ${quoteIdent(reg.table)} WHERE ${where}`, params.values);
    return result.rows[0].total;
  }

  async find(ctx: RequestContext, reg: RegisteredCollection, options: ReadOptions, includeDeleted = false): Promise<Record<string, unknown>[]> {
    const access = await this.readAccess(ctx, reg, options);
    const { sql, params } = compileSelect(reg, this.scope(ctx, includeDeleted, access), options, this.limits, true);
    const rows = (await this.db(ctx).query<Row>(sql, params)).rows.map((r) => r.doc);
    // Checked within the caller's rows even when results came: an anchor outside them must not
    // answer differently from an unknown id.
    if (options.after && (rows.length === 0 || access.rows)) await this.requireExists(ctx, reg, options.after, 'after', access.rows);
    return this.output(ctx, reg, rows, options, access);
  }

  /** Streams every matching document in batches; the consumer's pace decides the next fetch. */
  async *cursor(ctx: RequestContext, reg: RegisteredCollection, options: ReadOptions, includeDeleted = false): AsyncIterable<Record<string, unknown>[]> {
    const access = await this.readAccess(ctx, reg, options);
    if (options.after && access.rows) await this.requireExists(ctx, reg, options.after, 'after', access.rows);
    const { sql, params } = compileSelect(reg, this.scope(ctx, includeDeleted, access), options, this.limits, false);
    for await (const batch of this.store.stream<Row>(sql, params, this.limits.cursorBatch)) {
      yield await this.output(ctx, reg, batch.map((r) => r.doc), options, access);
    }
  }

  async findById(ctx: RequestContext, reg: RegisteredCollection, id: string, options: ReadByIdOptions = { populate: [] }): Promise<Record<string, unknown>> {
    const access = await this.access(ctx, reg, 'read');
    const doc = await this.load(this.db(ctx), ctx, reg, id, options.includeDeleted ?? false, false, access.rows);
    if (options.ref !== undefined && doc.ref !== options.ref) throw this.notFound(reg, id);
    const [out] = await this.output(ctx, reg, [doc], { projection: options.projection, populate: options.populate ?? [] }, access);
    return out;
  }

  async create(ctx: RequestContext, reg: RegisteredCollection, body: unknown, options: Pick<WriteOptions, 'system'> = {}): Promise<Record<string, unknown>> {
    const [doc] = await this.insert(ctx, reg, [reg.body.create(body)], options.system);
    return doc;
  }

  async createBulk(ctx: RequestContext, reg: RegisteredCollection, items: unknown): Promise<Record<string, unknown>[]> {
    if (!Array.isArray(items) || items.length === 0) {
      throw new DomainError(ErrorCode.BAD_REQUEST, 'items must be a non-empty array');
    }
    if (items.length > this.limits.bulkItems) {
      throw new DomainError(ErrorCode.TOO_MANY_ITEMS, `a bulk create takes at most ${this.limits.bulkItems} items`);
    }
    const bodies = items.map((item, i) => {
      try {
        return reg.body.create(item);
      } catch (error) {
        if (error instanceof DomainError) {
          const details = (error.details ?? []).map((d) => ({ ...d, path: `items.${i}.${d.path}` }));
          throw new DomainError(error.code, `items.${i}: ${error.message}`, details);
        }
        throw error;
      }
    });
    return this.insert(ctx, reg, bodies);
  }

  private async insert(ctx: RequestContext, reg: RegisteredCollection, bodies: Record<string, unknown>[], system: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    const access = await this.access(ctx, reg, 'create');
    for (const body of bodies) writeAccess(access, Object.keys(body));
    await this.quota?.admit(ctx, reg, bodies.length);
    const stamp = stampOf(ctx.principal);
    const docs = await Promise.all(bodies.map(async (body) => newDocument(newId(stamp.ts), { ...(await hashFields(reg, body)), ...system }, ctx.principal, stamp)));
    const hooks = this.hooks.get(reg.path);
    const revealed = await this.write(ctx, async (db, txCtx) => {
      await this.checkSchemas(db, ctx, reg, docs);
      const values: unknown[] = [];
      const rows = docs.map((doc) => {
        const base = values.length;
        values.push(ctx.tenant, doc.id, doc.ref ?? null, doc.owner, doc.shares, doc.groups, doc.clients, doc.created_at, doc.version, JSON.stringify(doc));
        return `(${Array.from({ length: 10 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
      });
      const insert: Statement = {
        sql: `INSERT INTO ${quoteIdent(reg.table)} (tenant_id, id, ref, owner, shares, groups, clients, created_at, version, doc) VALUES ${rows.join(', ')}`,
        params: values,
      };
      if (!hooks?.afterCreate) {
        // The events ride in the INSERT: a create is one statement, prepared when it has one row.
        const write = this.events ? withChanges(insert, ctx.tenant, reg, docs.map((doc) => ({ op: 'c', after: doc }))) : insert;
        await db.query(write.sql, write.params, { prepare: docs.length === 1 }).catch((error) => translate(error, reg));
        return [];
      }
      await db.query(insert.sql, insert.params).catch((error) => translate(error, reg));
      const revealed = await Promise.all(docs.map(async (doc) => (await hooks.afterCreate!(txCtx, doc)) ?? {}));
      // A hook may have stored more fields (an APT's scope and session): the event shows the row as committed.
      const stored = await db.query<{ doc: Doc }>(`SELECT doc FROM ${quoteIdent(reg.table)} WHERE tenant_id = $1 AND id = ANY($2::text[]) ORDER BY id`,
        [ctx.tenant, docs.map((doc) => doc.id)]);
      await this.changed(db, ctx, reg, stored.rows.map((row) => ({ op: 'c', after: row.doc })));
      return revealed;
    });
    const shown = await this.shown(ctx, reg, docs);
    return shown.map((doc, i) => ({ ...doc, ...revealed[i] }));
  }

  async updateById(ctx: RequestContext, reg: RegisteredCollection, id: string, body: unknown, options: WriteOptions = {}): Promise<Record<string, unknown>> {
    const internalOnly = options.system !== undefined && body !== null && typeof body === 'object' && Object.keys(body).length === 0;
    const { set, unset } = internalOnly ? { set: {}, unset: [] } : reg.body.patch(body);
    if (!internalOnly) this.hooks.get(reg.path)?.beforeUpdate?.(ctx, { set, unset });
    const access = writeAccess(await this.access(ctx, reg, 'update'), [...Object.keys(set), ...unset]);
    const hashed = { ...(await hashFields(reg, set)), ...options.system };
    const after = this.hooks.get(reg.path)?.afterUpdate;
    return this.modify(ctx, reg, id, { ...options, rows: access.rows }, 'u', (doc, stamp) => patchDocument(doc, hashed, unset, ctx.principal, stamp),
      after ? (txCtx, doc) => after(txCtx, [doc]) : undefined);
  }

  async deleteById(ctx: RequestContext, reg: RegisteredCollection, id: string, options: WriteOptions = {}): Promise<Record<string, unknown>> {
    const hooks = this.hooks.get(reg.path);
    const { rows } = await this.access(ctx, reg, 'delete');
    return this.modify(ctx, reg, id, { ...options, rows }, 'd', (doc, stamp) => {
      if (doc.deleted_at) throw new DomainError(ErrorCode.CONFLICT, `${reg.path} ${id} is already deleted`);
      return lifecycle(doc, 'deleted', stamp);
    }, hooks?.afterDelete ? (txCtx, doc) => hooks.afterDelete!(txCtx, doc, false) : undefined);
  }

  async restoreById(ctx: RequestContext, reg: RegisteredCollection, id: string, options: WriteOptions = {}): Promise<Record<string, unknown>> {
    const hooks = this.hooks.get(reg.path);
    const { rows } = await this.access(ctx, reg, 'update');
    // A restored document is live again: it counts against the plan's documents like a create.
    await this.quota?.admit(ctx, reg, 1);
    return this.modify(ctx, reg, id, { ...options, includeDeleted: true, rows }, 'r', (doc, stamp) => {
      if (!doc.deleted_at) throw new DomainError(ErrorCode.CONFLICT, `${reg.path} ${id} is not deleted`);
      return lifecycle(doc, 'restored', stamp);
    }, hooks?.beforeRestore ? (txCtx, doc) => hooks.beforeRestore!(txCtx, doc) : undefined);
  }

  async destroyById(ctx: RequestContext, reg: RegisteredCollection, id: string, options: WriteOptions = {}): Promise<Record<string, unknown>> {
    const { rows } = await this.access(ctx, reg, 'delete');
    const destroyed = await this.write(ctx, async (db, txCtx) => {
      const doc = await this.load(db, ctx, reg, id, true, true, rows);
      this.checkVersion(reg, doc, options);
      await db.query(`DELETE FROM ${quoteIdent(reg.table)} WHERE tenant_id = $1 AND id = $2`, [ctx.tenant, id]);
      // Destroying is a write too: its version follows the last one, so receivers see it as newer.
      await this.changed(db, ctx, reg, [{ op: 'd', before: doc, version: doc.version + 1 }]);
      await this.hooks.get(reg.path)?.afterDelete?.(txCtx, doc, true);
      return doc;
    });
    return (await this.shown(ctx, reg, [destroyed]))[0];
  }

  /** PATCH /bulk: one statement, so the filter and the update see the same rows. */
  async updateBulk(ctx: RequestContext, reg: RegisteredCollection, filter: Filter, body: unknown): Promise<number> {
    const { set, unset } = reg.body.patch(body);
    this.hooks.get(reg.path)?.beforeUpdate?.(ctx, { set, unset });
    const access = writeAccess(await this.access(ctx, reg, 'update'), [...Object.keys(set), ...unset]);
    // The count a bulk update answers reveals what its filter matched: the filter may use only
    // what the caller could read on every row it updates (with no read grant, the core fields).
    assertQueryReadable(await this.readOrCore(ctx, reg), filter, [], access);
    const hashed = ownershipOfPatch(await hashFields(reg, set), ctx.principal);
    const stamp = stampOf(ctx.principal);
    const { params, where } = compileWhere(reg, this.scope(ctx, false, access), filter, this.limits);
    const stamps = params.add(JSON.stringify({ updated_at: stamp.at, updated_by: stamp.by, updated_in: stamp.in, timestamp: stamp.ts }));
    const assignments = [
      `doc = ((doc || ${params.add(JSON.stringify(hashed))}::jsonb) - ${params.add(unset)}::text[]) || ${stamps}::jsonb || jsonb_build_object('version', version + 1)`,
      'version = version + 1',
    ];
    for (const column of ['ref', 'shares', 'groups', 'clients']) {
      if (column in hashed) assignments.push(`${quoteIdent(column)} = ${params.add(hashed[column])}`);
      if (unset.includes(column)) assignments.push(`${quoteIdent(column)} = ${column === 'ref' ? 'NULL' : "'{}'"}`);
    }
    const after = this.hooks.get(reg.path)?.afterUpdate;
    const table = quoteIdent(reg.table);
    // The before-images are locked and read by the same statement that writes, for the events.
    const sql = `UPDATE ${table} AS t SET ${assignments.join(', ')}
      FROM (SELECT id, doc AS before FROM ${table} WHERE ${where} FOR UPDATE) AS o
      WHERE t.tenant_id = $1 AND t.id = o.id RETURNING o.before, t.doc`;
    return this.write(ctx, async (db, txCtx) => {
      const result = await db.query<{ before: Doc; doc: Doc }>(sql, params.values).catch((error) => translate(error, reg));
      // Checked as written: a document that fails rolls the whole bulk update back.
      await this.checkSchemas(db, ctx, reg, result.rows.map((r) => r.doc));
      await this.changed(db, ctx, reg, result.rows.map((r) => ({ op: 'u', before: r.before, after: r.doc })));
      await after?.(txCtx, result.rows.map((r) => r.doc));
      return result.rowCount;
    });
  }

  private async modify(ctx: RequestContext, reg: RegisteredCollection, id: string, options: WriteOptions & { rows?: RowAccess }, op: ChangeOp,
    change: (doc: Doc, stamp: ReturnType<typeof stampOf>) => Doc, hook?: (ctx: RequestContext, doc: Doc) => Promise<void>): Promise<Record<string, unknown>> {
    const written = await this.write(ctx, async (db, txCtx) => {
      const doc = await this.load(db, ctx, reg, id, options.includeDeleted ?? false, true, options.rows);
      this.checkVersion(reg, doc, options);
      const next = change(doc, stampOf(ctx.principal));
      if (op === 'u') await this.checkSchemas(db, ctx, reg, [next]);
      await hook?.(txCtx, next);
      await db.query(
        `UPDATE ${quoteIdent(reg.table)} SET ref = $3, owner = $4, shares = $5, groups = $6, clients = $7, deleted_at = $8, version = $9, doc = $10 WHERE tenant_id = $1 AND id = $2`,
        [ctx.tenant, id, next.ref ?? null, next.owner ?? null, next.shares ?? [], next.groups ?? [], next.clients ?? [], next.deleted_at ?? null, next.version, JSON.stringify(next)],
      ).catch((error) => translate(error, reg));
      // A delete tells receivers to drop their copy: the event has no `after` (seed 000).
      await this.changed(db, ctx, reg, [op === 'd' ? { op, before: doc, version: next.version } : { op, before: doc, after: next }]);
      return next;
    });
    return (await this.shown(ctx, reg, [written]))[0];
  }

  /** A write's answer: each document as the caller may read it (without a read grant, its core fields). */
  private async shown(ctx: RequestContext, reg: RegisteredCollection, stored: Doc[]): Promise<Record<string, unknown>[]> {
    const access = await this.readOrCore(ctx, reg);
    return stored.map((doc) => limitReadable(access, doc, present(reg, doc)));
  }

  /** The caller's read access; without a read grant, the core fields only. */
  private readOrCore(ctx: RequestContext, reg: RegisteredCollection): Promise<AccessScope> {
    return this.access(ctx, reg, 'read').catch(noReadGrant);
  }

  private checkVersion(reg: RegisteredCollection, doc: Doc, options: WriteOptions): void {
    if (options.ifMatch !== undefined && options.ifMatch !== doc.version) {
      throw new DomainError(ErrorCode.PRECONDITION_FAILED, `${reg.path} ${doc.id} is at version ${doc.version}, not ${options.ifMatch}`);
    }
  }

  /** One id of the tenant, within the rows the caller's grants reach, as a WHERE and its parameters. */
  private byId(ctx: RequestContext, id: string, rows?: RowAccess): { where: string; params: unknown[] } {
    const params = new SqlParams();
    params.add(ctx.tenant);
    params.add(id);
    return { where: `tenant_id = $1 AND id = $2${andRows(rows, params)}`, params: params.values };
  }

  /** One document by id, within the rows the caller's grants reach: outside them it does not exist. */
  private async load(db: SqlExecutor, ctx: RequestContext, reg: RegisteredCollection, id: string, includeDeleted: boolean, lock: boolean, rows?: RowAccess): Promise<Doc> {
    const live = includeDeleted ? '' : ' AND deleted_at IS NULL';
    const { where, params } = this.byId(ctx, id, rows);
    const result = await db.query<Row>(`SELECT doc FROM ${quoteIdent(reg.table)} WHERE ${where}${live}${lock ? ' FOR UPDATE' : ''}`, params);
    if (result.rows.length === 0) throw this.notFound(reg, id);
    return result.rows[0].doc;
  }

  private async requireExists(ctx: RequestContext, reg: RegisteredCollection, id: string, what: string, rows?: RowAccess): Promise<void> {
    const { where, params } = this.byId(ctx, id, rows);
    const found = await this.db(ctx).query(`SELECT 1 FROM ${quoteIdent(reg.table)} WHERE ${where}`, params);
    if (found.rows.length === 0) throw new DomainError(ErrorCode.INVALID_PAGINATION, `${what}: there is no document ${id} in ${reg.path}`);
  }

  private notFound(reg: RegisteredCollection, id: string): DomainError {
    return new DomainError(ErrorCode.NOT_FOUND, `${reg.path} ${id} was not found`);
  }

  /** A read's access, with its filter and sort checked against the readable fields. */
  private async readAccess(ctx: RequestContext, reg: RegisteredCollection, options: ReadOptions): Promise<AccessScope> {
    const access = await this.access(ctx, reg, 'read');
    assertQueryReadable(access, filterWithRef(options), Object.keys(options.sort));
    return access;
  }

  private async output(ctx: RequestContext, reg: RegisteredCollection, docs: Doc[], options: Pick<ReadOptions, 'projection' | 'populate'>, access: AccessScope): Promise<Record<string, unknown>[]> {
    const shaped = docs.map((doc) => limitReadable(access, doc, present(reg, doc, options.projection)));
    if (options.populate.length === 0) return shaped;
    return populate(this.db(ctx), this.registry, ctx, reg, shaped, options.populate);
  }
}
