import { ErrorCode } from '@stratum/contracts';
import type { Principal, RequestContext, TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import { newId } from '../ids.js';
import type { Bus } from '../bus/bus.js';
import type { CollectionEngine } from '../collections/engine.js';
import type { CollectionHooks } from '../collections/hooks.js';
import type { CollectionRegistry, RegisteredCollection } from '../collections/registry.js';
import type { SqlExecutor } from '../store/types.js';
import type { Doc } from '../collections/documents.js';

// Outside `stratum.*.*.*`, the subjects of change events that JetStream keeps.
const REVOKED = 'stratum-internal.sessions.revoked';

/** What a session grants and until when. */
const FIXED = ['user', 'client', 'app', 'kind', 'scope', 'expires_at', 'revoked_at', 'ip', 'agent'];

export interface NewSession {
  kind: 'login' | 'client' | 'apt';
  user?: string;
  client: string;
  app?: string;
  scope: string;
  ttlSeconds: number;
  ip?: string;
  agent?: string;
  refreshJti?: string;
}

type SessionRow = { revoked: boolean; expires_at: string | null };

/**
 * Sessions back every token: revoking one makes its tokens fail on the very next request.
 * Validity is cached per node only when every revocation is guaranteed to reach the node (one
 * process, or the NATS bus); otherwise each request reads the session row.
 */
export class SessionService {
  private readonly active = new Map<string, number>();
  private readonly sessions: RegisteredCollection;

  constructor(
    private readonly db: SqlExecutor,
    private readonly engine: CollectionEngine,
    registry: CollectionRegistry,
    private readonly bus: Bus,
    private readonly cacheMs: number,
  ) {
    this.sessions = registry.get('identity', 'sessions');
    bus.subscribe(REVOKED, (data) => {
      for (const key of (data as { keys?: string[] }).keys ?? []) this.active.delete(key);
    });
    bus.onReconnect?.(() => this.active.clear());
    engine.setHooks('identity/sessions', this.hooks());
  }

  /**
   * Through the collection API a session can be ended (DELETE, on every node at once) but never
   * revived, extended or widened: only the platform changes what a session grants.
   */
  private hooks(): CollectionHooks {
    return {
      beforeUpdate: (_ctx, { set, unset }) => {
        const fixed = [...Object.keys(set), ...unset].find((field) => FIXED.includes(field));
        if (fixed) throw new DomainError(ErrorCode.BAD_REQUEST, `${fixed} of a session is set by the platform`, [{ path: fixed, message: 'is fixed' }]);
      },
      afterDelete: async (ctx, doc) => {
        await this.announce(ctx.tenant, [doc.id as string], ctx.afterCommit);
      },
      beforeRestore: async () => {
        throw new DomainError(ErrorCode.CONFLICT, 'An ended session cannot be restored; sign in again');
      },
    };
  }

  async create(tenant: TenantId, principal: Principal, input: NewSession, tx?: SqlExecutor): Promise<string> {
    const ctx: RequestContext = { tenant, principal, requestId: newId(), tx };
    const expiresAt = new Date(Date.now() + input.ttlSeconds * 1000).toISOString();
    const body: Record<string, unknown> = { kind: input.kind, client: input.client, scope: input.scope, expires_at: expiresAt };
    if (input.user) body.user = input.user;
    if (input.app) body.app = input.app;
    if (input.ip) body.ip = input.ip.slice(0, 64);
    if (input.agent) body.agent = input.agent.slice(0, 512);
    const doc = await this.engine.create(ctx, this.sessions, body, { system: input.refreshJti ? { refresh_jti: input.refreshJti } : {} });
    return doc.id as string;
  }

  /** Throws a 401 unless the session exists, is not revoked and has not expired. */
  async assertActive(tenant: TenantId, session: string): Promise<void> {
    const key = `${tenant}:${session}`;
    const now = Date.now();
    const cachedUntil = this.active.get(key);
    if (cachedUntil !== undefined && cachedUntil > now) return;
    const result = await this.db.query<SessionRow>(
      `SELECT (doc ? 'revoked_at') AS revoked, doc->>'expires_at' AS expires_at FROM c_identity_sessions
       WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [tenant, session],
    );
    const row = result.rows[0];
    const expires = row?.expires_at ? Date.parse(row.expires_at) : 0;
    if (!row || row.revoked || expires <= now) {
      this.active.delete(key);
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'The session has ended');
    }
    if (this.cacheMs > 0) this.active.set(key, Math.min(expires, now + this.cacheMs));
  }

  /**
   * Revokes sessions and tells every node: at once, or, inside a caller's transaction, once it
   * has committed, so no node can read the row as still active after hearing the news.
   */
  async revoke(tenant: TenantId, ids: string[], tx: SqlExecutor = this.db, afterCommit?: RequestContext['afterCommit']): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await tx.query<{ before: Doc; doc: Doc }>(
      `WITH live AS (
         SELECT id, doc FROM c_identity_sessions WHERE tenant_id = $1 AND id = ANY($2::text[]) AND NOT (doc ? 'revoked_at') FOR UPDATE
       )
       UPDATE c_identity_sessions s SET doc = s.doc || jsonb_build_object('revoked_at', $3::text, 'version', s.version + 1), version = s.version + 1
       FROM live WHERE s.tenant_id = $1 AND s.id = live.id
       RETURNING live.doc AS before, s.doc AS doc`,
      [tenant, ids, new Date().toISOString()],
    );
    // A revocation is a change of the session like any other: its event is in the same transaction.
    await this.engine.recordChanges(tx, tenant, this.sessions, result.rows.map((r) => ({ op: 'u', before: r.before, after: r.doc })));
    await this.announce(tenant, ids, afterCommit);
    return result.rowCount;
  }

  /** Forgets sessions cached as active, here and, over the bus, on every node (after the commit, if in one). */
  private async announce(tenant: TenantId, ids: string[], afterCommit?: RequestContext['afterCommit']): Promise<void> {
    const keys = ids.map((id) => `${tenant}:${id}`);
    const forget = async () => {
      for (const key of keys) this.active.delete(key);
      // In chunks: a PostgreSQL NOTIFY carries at most 8000 bytes.
      for (let i = 0; i < keys.length; i += 100) await this.bus.publish(REVOKED, { keys: keys.slice(i, i + 100) });
    };
    for (const key of keys) this.active.delete(key);
    if (afterCommit) afterCommit(forget);
    else await forget();
  }

  /** "Sign out everywhere": every live session of a user. */
  async revokeUser(tenant: TenantId, user: string, tx: SqlExecutor = this.db, options: { keepApts?: boolean; afterCommit?: RequestContext['afterCommit'] } = {}): Promise<number> {
    const apts = options.keepApts ? ` AND coalesce(doc->>'kind', 'login') <> 'apt'` : '';
    const result = await tx.query<{ id: string }>(
      `SELECT id FROM c_identity_sessions WHERE tenant_id = $1 AND doc->>'user' = $2 AND NOT (doc ? 'revoked_at')${apts}`,
      [tenant, user],
    );
    return this.revoke(tenant, result.rows.map((r) => r.id), tx, options.afterCommit);
  }

  /**
   * Moves a session's refresh token from `presented` to `next` atomically. False means the
   * presented token was already spent: a replay, so the caller revokes the session.
   */
  async rotateRefresh(tenant: TenantId, session: string, presented: string, next: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE c_identity_sessions SET doc = doc || jsonb_build_object('refresh_jti', $4::text, 'version', version + 1), version = version + 1
       WHERE tenant_id = $1 AND id = $2 AND doc->>'refresh_jti' = $3 AND NOT (doc ? 'revoked_at') AND deleted_at IS NULL`,
      [tenant, session, presented, next],
    );
    return result.rowCount === 1;
  }
}
