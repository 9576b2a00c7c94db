import type { Bus } from '../bus/bus.js';
import type { RequestContext, TenantId } from '../context.js';
import type { SqlExecutor } from '../store/types.js';
import type { Doc } from './documents.js';
import type { CollectionHooks } from './hooks.js';

/**
 * Values a tenant's documents decide (its compiled policies, its JSON Schemas), loaded from the
 * database once and kept until a change of that tenant commits: then dropped here and, over the
 * bus, on every node. A node whose bus reconnected forgets everything, as it may have missed
 * news; where changes cannot reach every node (PostgreSQL without a bus) nothing is kept, so a
 * change takes effect on the next request everywhere.
 */
export class TenantCache<V> {
  private readonly entries = new Map<TenantId, Map<string, Promise<V>>>();

  /** `subject`: the platform-internal bus subject on which this cache's changes are announced. */
  constructor(private readonly db: SqlExecutor, private readonly bus: Bus, private readonly subject: string, private readonly cached: boolean) {
    bus.subscribe(subject, (data) => {
      const tenant = (data as { tenant?: TenantId }).tenant;
      if (tenant) this.entries.delete(tenant);
    });
    bus.onReconnect?.(() => this.entries.clear());
  }

  /**
   * The tenant's value under `key`, loaded with `db`. `db` is the caller's transaction when it is
   * in one: on PGlite's one connection another query would wait for it forever, and what a
   * transaction reads may never commit, so such loads are not kept.
   */
  get(tenant: TenantId, key: string, load: (db: SqlExecutor) => Promise<V>, db: SqlExecutor = this.db): Promise<V> {
    const hit = this.entries.get(tenant)?.get(key);
    if (hit) return hit;
    const loading = load(db);
    if (this.cached && db === this.db) {
      let values = this.entries.get(tenant);
      if (!values) this.entries.set(tenant, (values = new Map()));
      values.set(key, loading);
      loading.catch(() => values.delete(key));
    }
    return loading;
  }

  /** Forgets the tenant here at once, and on every node once the change has committed. */
  async changed(ctx: RequestContext): Promise<void> {
    const announce = async () => {
      this.entries.delete(ctx.tenant);
      await this.bus.publish(this.subject, { tenant: ctx.tenant });
    };
    this.entries.delete(ctx.tenant);
    // A failed announcement must not fail the write: other nodes then drop the tenant on reconnect.
    if (ctx.afterCommit) ctx.afterCommit(announce);
    else await announce().catch(() => undefined);
  }

  /**
   * Hooks for the collections the values come from: every write drops the tenant's values
   * (a document whose key changed away matters too); `validate` may refuse a document first.
   */
  hooks(validate: (doc: Doc) => void = () => undefined): CollectionHooks {
    const touch = async (ctx: RequestContext, docs: Doc[]) => {
      for (const doc of docs) validate(doc);
      await this.changed(ctx);
    };
    return {
      afterCreate: async (ctx, doc) => touch(ctx, [doc]),
      afterUpdate: touch,
      afterDelete: async (ctx, doc) => touch(ctx, [doc]),
      beforeRestore: async (ctx, doc) => touch(ctx, [doc]),
    };
  }
}
