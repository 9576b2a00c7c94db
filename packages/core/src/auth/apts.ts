import { ErrorCode } from '@stratum/contracts';
import type { RequestContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { CollectionHooks } from '../collections/hooks.js';
import { hashToken, newSecret } from '../collections/secrets.js';
import type { SessionService } from './sessions.js';
import { narrowScopes, parseScope } from './scopes.js';

/** The fields that carry an APT's authority. */
const FIXED = ['scope', 'subjects', 'strict', 'expires_at', 'session'];

/**
 * APTs (seed 003): creating one mints `apt_…`, shown once and stored as a hash, with a session of
 * its own; deleting it revokes that session at once. A revoked APT cannot be restored.
 */
export function aptHooks(sessions: SessionService, defaultTtlSeconds: number): CollectionHooks {
  return {
    async afterCreate(ctx: RequestContext, doc) {
      const tx = ctx.tx!;
      const requested = typeof doc.scope === 'string' ? parseScope(doc.scope) : ctx.principal.scope;
      const scope = narrowScopes(requested, ctx.principal.scope);
      if (scope.length === 0) throw new DomainError(ErrorCode.FORBIDDEN, 'The APT scope is not covered by your own scope');
      const foreign = ((doc.subjects as string[] | undefined) ?? []).find((subject) =>
        !ctx.principal.subjects.includes(subject) && !ctx.principal.subjects.includes(`${subject}@${ctx.tenant}`));
      if (foreign) throw new DomainError(ErrorCode.FORBIDDEN, `An APT cannot carry the subject ${foreign}, which you do not have`);
      const expiresAt = typeof doc.expires_at === 'string' ? Date.parse(doc.expires_at) : Date.now() + defaultTtlSeconds * 1000;
      const ttlSeconds = Math.floor((expiresAt - Date.now()) / 1000);
      if (!(ttlSeconds > 0)) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'expires_at must be in the future', [{ path: 'expires_at', message: 'is in the past' }]);
      const token = newSecret('apt');
      const session = await sessions.create(ctx.tenant, ctx.principal, {
        kind: 'apt', user: ctx.principal.uid, client: ctx.principal.cid, scope: scope.join(' '), ttlSeconds,
      }, tx);
      const fields = { scope: scope.join(' '), session, expires_at: new Date(expiresAt).toISOString() };
      await tx.query(
        `UPDATE c_auth_apts SET doc = doc || $3::jsonb WHERE tenant_id = $1 AND id = $2`,
        [ctx.tenant, doc.id, JSON.stringify({ ...fields, token_hash: hashToken(token) })],
      );
      await tx.query('INSERT INTO stratum_credentials (hash, kind, tenant_id, subject_id) VALUES ($1, $2, $3, $4)',
        [hashToken(token), 'apt', ctx.tenant, doc.id]);
      return { ...fields, token };
    },
    async afterDelete(ctx: RequestContext, doc) {
      if (typeof doc.session === 'string') await sessions.revoke(ctx.tenant, [doc.session], ctx.tx, ctx.afterCommit);
      await ctx.tx!.query("DELETE FROM stratum_credentials WHERE tenant_id = $1 AND subject_id = $2 AND kind = 'apt'", [ctx.tenant, doc.id]);
    },
    /** What an APT may do is fixed when it is minted: a PATCH could otherwise raise its scope past its creator's. */
    beforeUpdate(_ctx, { set, unset }) {
      const fixed = [...Object.keys(set), ...unset].find((field) => FIXED.includes(field));
      if (fixed) {
        throw new DomainError(ErrorCode.BAD_REQUEST, `${fixed} of an APT is fixed when it is created; create a new APT instead`,
          [{ path: fixed, message: 'is fixed at creation' }]);
      }
    },
    async beforeRestore() {
      throw new DomainError(ErrorCode.CONFLICT, 'A deleted APT is revoked for good; create a new one');
    },
  };
}
