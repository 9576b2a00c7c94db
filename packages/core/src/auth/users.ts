import type { CollectionHooks } from '../collections/hooks.js';
import type { SessionService } from './sessions.js';

/**
 * A user who is suspended or deactivated is signed out at once: their sign-in sessions are
 * revoked in the same transaction, so no access token of theirs outlives the change. Their APTs
 * are kept (they are refused while the user is not active, and work again if reactivated); a
 * deleted user loses every session, APTs included.
 */
export function userHooks(sessions: SessionService): CollectionHooks {
  return {
    async afterUpdate(ctx, docs) {
      for (const doc of docs) {
        if (doc.status !== undefined && doc.status !== 'active') await sessions.revokeUser(ctx.tenant, doc.id, ctx.tx, { keepApts: true, afterCommit: ctx.afterCommit });
      }
    },
    async afterDelete(ctx, doc) {
      await sessions.revokeUser(ctx.tenant, doc.id, ctx.tx, { afterCommit: ctx.afterCommit });
    },
  };
}
