import type { RequestContext } from '../context.js';
import type { Doc } from './documents.js';

/**
 * Behaviour a collection adds to the generic writes (APTs mint a token, for instance). Hooks
 * run inside the write's transaction: if a hook fails, the write is rolled back.
 */
export interface CollectionHooks {
  /** Returns fields shown once in the create response (a freshly minted secret). */
  afterCreate?(ctx: RequestContext, doc: Doc): Promise<Record<string, unknown> | void>;
  afterDelete?(ctx: RequestContext, doc: Doc, destroyed: boolean): Promise<void>;
  /** Sees a caller's patch (PATCH /:id and PATCH /bulk) before anything is written; throws to refuse it. */
  beforeUpdate?(ctx: RequestContext, change: { set: Record<string, unknown>; unset: string[] }): void;
  beforeRestore?(ctx: RequestContext, doc: Doc): Promise<void>;
  /** Sees the documents as a PATCH /:id or PATCH /bulk left them, inside the write's transaction. */
  afterUpdate?(ctx: RequestContext, docs: Doc[]): Promise<void>;
}

/** Several capabilities' hooks on one collection (CQRS and RBAC configs), run one after the other. */
export function mergeHooks(...all: CollectionHooks[]): CollectionHooks {
  return {
    async afterCreate(ctx, doc) {
      const shown: Record<string, unknown> = {};
      for (const hooks of all) Object.assign(shown, await hooks.afterCreate?.(ctx, doc));
      return shown;
    },
    async afterDelete(ctx, doc, destroyed) {
      for (const hooks of all) await hooks.afterDelete?.(ctx, doc, destroyed);
    },
    beforeUpdate(ctx, change) {
      for (const hooks of all) hooks.beforeUpdate?.(ctx, change);
    },
    async beforeRestore(ctx, doc) {
      for (const hooks of all) await hooks.beforeRestore?.(ctx, doc);
    },
    async afterUpdate(ctx, docs) {
      for (const hooks of all) await hooks.afterUpdate?.(ctx, docs);
    },
  };
}
