import { ErrorCode, type TokenClaims } from '@stratum/contracts';
import type { Principal, TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import { hashToken } from '../collections/secrets.js';
import type { SqlExecutor } from '../store/types.js';
import type { IdentityDirectory } from './directory.js';
import { ipAllowed } from './ip-allow.js';
import type { ProviderPrincipal } from './oidc.js';
import { principalFromClaims } from './principal.js';
import { parseScope } from './scopes.js';
import type { SessionService } from './sessions.js';
import type { TenantDirectory } from './tenants.js';
import type { TokenService } from './tokens.js';

export interface Credentials {
  authorization?: string;
  apiKey?: string;
  ip: string;
  /** `x-domain`: chooses the tenant where the credentials do not (external OIDC tokens). */
  domain?: string;
}

export interface Authenticated {
  tenant: TenantId;
  principal: Principal;
  kind: 'jwt' | 'apt' | 'api_key' | 'local' | 'oidc';
  claims?: TokenClaims;
  /** Who the external provider says signed in (kind `oidc`). */
  external?: ProviderPrincipal;
}

interface AptRow {
  doc: { id: string; scope?: string; subjects?: string[]; session?: string; expires_at?: string; owner?: string; created_in?: string; strict?: boolean };
}

const unauthorized = (message: string) => new DomainError(ErrorCode.UNAUTHORIZED, message);
const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message);
const active = (record: { status?: string } | undefined) => record !== undefined && (record.status ?? 'active') === 'active';

/** Resolves a request's credentials (JWT, APT or client api key) to a tenant and a principal. */
export class RequestAuthenticator {
  private readonly lastUsed = new Map<string, number>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly tenants: TenantDirectory,
    private readonly identities: IdentityDirectory,
  ) {}

  async authenticate(credentials: Credentials): Promise<Authenticated | null> {
    const bearer = bearerOf(credentials.authorization);
    if (bearer?.startsWith('apt_')) return this.apt(bearer, credentials);
    if (bearer) return this.jwt(bearer, credentials);
    if (credentials.apiKey) return this.apiKey(credentials.apiKey, credentials.ip);
    return null;
  }

  private async jwt(token: string, credentials: Credentials): Promise<Authenticated> {
    const claims = await this.tokens.verify(token, 'access');
    const tenant = (await this.tenants.require(claims.domain)).id;
    await this.sessions.assertActive(tenant, claims.session);
    if (claims.strict) await this.checkStrict(tenant, claims.client_id, credentials);
    return { tenant, principal: principalFromClaims(claims), kind: 'jwt', claims };
  }

  /**
   * A strict token works only with its client's api key, from a whitelisted address. The client is
   * read on every request: a rotated key or a changed whitelist applies at once.
   */
  private async checkStrict(tenant: TenantId, clientId: string, credentials: Credentials): Promise<void> {
    if (!credentials.apiKey) throw forbidden('This token is strict: send its client\'s x-api-key');
    const client = await this.identities.client(tenant, clientId);
    if (!client?.api_key_hash || client.api_key_hash !== hashToken(credentials.apiKey)) throw forbidden('x-api-key does not belong to this token\'s client');
    if (!ipAllowed(credentials.ip, client.whitelist)) throw forbidden('This address is not on the client\'s whitelist');
  }

  private async credential(secret: string, kind: string): Promise<{ tenant: TenantId; subject: string } | undefined> {
    const found = await this.db.query<{ tenant_id: string; subject_id: string }>(
      'SELECT tenant_id, subject_id FROM stratum_credentials WHERE hash = $1 AND kind = $2', [hashToken(secret), kind]);
    const row = found.rows[0];
    if (!row) return undefined;
    return { tenant: (await this.tenants.require(row.tenant_id)).id, subject: row.subject_id };
  }

  private async apt(token: string, credentials: Credentials): Promise<Authenticated> {
    const found = await this.credential(token, 'apt');
    if (!found) throw unauthorized('Unknown or revoked APT');
    const result = await this.db.query<AptRow>('SELECT doc FROM c_auth_apts WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL', [found.tenant, found.subject]);
    const apt = result.rows[0]?.doc;
    if (!apt?.session) throw unauthorized('Unknown or revoked APT');
    if (apt.expires_at && Date.parse(apt.expires_at) <= Date.now()) throw unauthorized('The APT has expired');
    await this.sessions.assertActive(found.tenant, apt.session);
    const clientId = apt.created_in ?? '';
    if (apt.strict) await this.checkStrict(found.tenant, clientId, credentials);
    // An APT works only while the client it was made in and the user it acts for are active.
    const client = await this.identities.client(found.tenant, clientId);
    const uid = apt.owner && apt.owner !== clientId ? apt.owner : undefined;
    const user = uid ? await this.identities.user(found.tenant, uid) : undefined;
    if (!active(client) || (uid && !active(user))) throw unauthorized('The APT\'s client or user is no longer active');
    this.touch(found.tenant, apt.id);
    return {
      tenant: found.tenant,
      kind: 'apt',
      principal: {
        uid,
        cid: clientId,
        coworkers: [clientId, ...(client?.coworkers ?? [])],
        subjects: aptSubjects(found.tenant, apt.subjects, user?.subjects),
        scope: parseScope(apt.scope),
        groups: [found.tenant],
        session: apt.session,
      },
    };
  }

  /** Records when an APT was last used, at most once a minute per APT, off the request path. */
  private touch(tenant: TenantId, id: string): void {
    const now = Date.now();
    if ((this.lastUsed.get(id) ?? 0) > now - 60_000) return;
    this.lastUsed.set(id, now);
    void this.db.query(`UPDATE c_auth_apts SET doc = doc || jsonb_build_object('last_used_at', $3::text) WHERE tenant_id = $1 AND id = $2`,
      [tenant, id, new Date(now).toISOString()]).catch(() => undefined);
  }

  /** `x-api-key` alone: the client itself is the principal (AppEngine). */
  private async apiKey(key: string, ip: string): Promise<Authenticated> {
    const found = await this.credential(key, 'api_key');
    if (!found) throw unauthorized('Unknown api key');
    const client = await this.identities.client(found.tenant, found.subject);
    if (!client || (client.status ?? 'active') !== 'active') throw unauthorized('Unknown api key');
    if (!ipAllowed(ip, client.whitelist)) throw forbidden('This address is not on the client\'s whitelist');
    return {
      tenant: found.tenant,
      kind: 'api_key',
      principal: { cid: client.id, coworkers: [client.id, ...(client.coworkers ?? [])], subjects: [], scope: client.scopes ?? [], groups: [found.tenant] },
    };
  }
}

/** `Bearer` matched case-insensitively (DESIGN 12). */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('Authorization must be "Bearer <token>"');
  return match[1];
}

/**
 * An APT acts with its user's roles as they are now, narrowed to the ones it names: a role taken
 * from the user leaves its APTs too.
 */
function aptSubjects(tenant: TenantId, named: string[] | undefined, current: string[] | undefined): string[] {
  const full = (s: string) => (s.includes('@') ? s : `${s}@${tenant}`);
  const now = (current ?? []).map(full);
  return named === undefined ? now : named.map(full).filter((s) => now.includes(s));
}
