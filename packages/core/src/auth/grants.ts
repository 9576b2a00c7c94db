import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, type TokenResponse } from '@stratum/contracts';
import type { AuthConfig } from '../config.js';
import type { Principal, TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlExecutor } from '../store/types.js';
import { hashToken } from '../collections/secrets.js';
import { claimsFor } from './principal.js';
import { verifyPassword } from './passwords.js';
import { intersectScopes, narrowScopes, parseScope } from './scopes.js';
import type { SessionService } from './sessions.js';
import type { TenantDirectory } from './tenants.js';
import type { AppRecord, ClientRecord, IdentityDirectory, UserRecord } from './directory.js';
import type { Throttle } from './throttle.js';
import { newJti, type TokenService } from './tokens.js';

export interface TokenRequest {
  body: Record<string, unknown>;
  /** Credentials from `Authorization: Basic`, as RFC 6749 lets clients send them. */
  basic?: { id: string; secret: string };
  domain?: string;
  ip: string;
  agent?: string;
}

const invalid = (message: string) => new DomainError(ErrorCode.UNAUTHORIZED, message);
const bad = (message: string) => new DomainError(ErrorCode.BAD_REQUEST, message);

function str(body: Record<string, unknown>, name: string, required = true): string | undefined {
  const value = body[name];
  if (value === undefined || value === '') {
    if (required) throw bad(`${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value.length > 4096) throw bad(`${name} must be a string`);
  return value;
}

interface Issuance {
  tenant: TenantId;
  client: ClientRecord;
  app?: AppRecord;
  user?: UserRecord;
  scope: string[];
  strict: boolean;
}

export interface GrantDeps {
  config: AuthConfig;
  db: SqlExecutor;
  tokens: TokenService;
  sessions: SessionService;
  tenants: TenantDirectory;
  identities: IdentityDirectory;
  throttle: Throttle;
}

/** `POST /auth/token`: the four grants of DESIGN 6.1, each ending in a session and tokens. */
export class TokenGrants {
  constructor(private readonly deps: GrantDeps) {}

  async grant(request: TokenRequest): Promise<TokenResponse> {
    const type = str(request.body, 'grant_type');
    switch (type) {
      case 'password': return this.password(request);
      case 'refresh_token': return this.refresh(request);
      case 'client_credentials':
      case 'client_credential': return this.clientCredentials(request);
      case 'authorization_code': return this.authorizationCode(request);
      default: throw new DomainError(ErrorCode.BAD_REQUEST, `unsupported grant_type ${JSON.stringify(type)}`);
    }
  }

  /** Tenant from x-domain, the body's domain, the named client, or the root tenant. */
  private async tenantOf(request: TokenRequest, clientId?: string): Promise<TenantId> {
    const named = request.domain ?? str(request.body, 'domain', false);
    if (named) return (await this.deps.tenants.require(named)).id;
    const ofClient = clientId ? await this.deps.identities.tenantOfClient(clientId) : undefined;
    if (ofClient) return (await this.deps.tenants.require(ofClient)).id;
    return (await this.deps.tenants.require(this.deps.config.rootDomain)).id;
  }

  private async client(tenant: TenantId, clientId: string | undefined, grant: string): Promise<ClientRecord> {
    const client = clientId
      ? await this.deps.identities.client(tenant, clientId)
      : await this.deps.identities.defaultClient(tenant);
    if (!client || (client.status ?? 'active') !== 'active') throw invalid('Unknown or inactive client');
    if (client.grant_types && !client.grant_types.includes(grant)) throw new DomainError(ErrorCode.FORBIDDEN, `This client may not use the ${grant} grant`);
    return client;
  }

  private async password(request: TokenRequest): Promise<TokenResponse> {
    const username = str(request.body, 'username')!;
    const password = str(request.body, 'password')!;
    const clientId = request.basic?.id ?? str(request.body, 'client_id', false);
    const tenant = await this.tenantOf(request, clientId);
    this.deps.throttle.hit([`ip:${request.ip}`, `user:${tenant}:${username.toLowerCase()}`]);
    const client = await this.client(tenant, clientId, 'password');
    const secret = request.basic?.secret ?? str(request.body, 'client_secret', false);
    if (secret !== undefined && !(await verifyPassword(secret, client.secret))) throw invalid('Invalid client credentials');
    const user = await this.deps.identities.userByLogin(tenant, username);
    const ok = await verifyPassword(password, user?.password);
    if (!ok || !user || (user.status ?? 'active') !== 'active') throw invalid('Invalid username or password');
    return this.userTokens(request, await this.issuance(request, tenant, client, str(request.body, 'scope', false)), user);
  }

  /** Client, optional app (`app_id`), narrowed scope and strictness of a token request. */
  private async issuance(request: TokenRequest, tenant: TenantId, client: ClientRecord, requested?: string): Promise<Issuance> {
    const appId = str(request.body, 'app_id', false);
    let app: AppRecord | undefined;
    if (appId) {
      app = await this.deps.identities.app(tenant, appId);
      if (!app || app.client !== client.id) throw invalid('Unknown app for this client');
    }
    const clientScopes = client.scopes ?? [];
    const bound = app ? narrowScopes(app.scopes ?? [], clientScopes) : clientScopes;
    const scope = narrowScopes(requested ? parseScope(requested) : bound, bound);
    const strict = request.body.strict === true || request.body.strict === 'true';
    if (strict && !client.api_key_hash) throw bad('A strict token needs a client with an api key');
    return { tenant, client, app, scope, strict };
  }

  private async userTokens(request: TokenRequest, issuance: Issuance, user: UserRecord): Promise<TokenResponse> {
    const refreshJti = newJti();
    const { tenant, client, app, scope } = issuance;
    const session = await this.deps.sessions.create(tenant, this.principal(client, user), {
      kind: 'login', user: user.id, client: client.id, app: app?.id, scope: scope.join(' '), ttlSeconds: this.ttl(issuance, 'refresh'),
      ip: request.ip, agent: request.agent, refreshJti,
    });
    return this.issue({ ...issuance, user }, session, refreshJti);
  }

  private principal(client: ClientRecord, user?: UserRecord): Principal {
    return { uid: user?.id, cid: client.id, coworkers: client.coworkers ?? [], subjects: user?.subjects ?? [], scope: client.scopes ?? [], groups: [] };
  }

  /** App over client over platform default, never above the platform maximum. */
  private ttl({ client, app }: Issuance, kind: 'access' | 'refresh'): number {
    const config = this.deps.config;
    const asked = kind === 'access'
      ? app?.access_token_ttl ?? client.access_token_ttl ?? config.accessTtlSeconds
      : app?.refresh_token_ttl ?? client.refresh_token_ttl ?? config.refreshTtlSeconds;
    return Math.min(asked, kind === 'access' ? config.maxAccessTtlSeconds : config.maxRefreshTtlSeconds);
  }

  private async issue(issuance: Issuance, session: string, refreshJti?: string): Promise<TokenResponse> {
    const { tenant, client, app, user, scope, strict } = issuance;
    const base = { tenant, session, client: client.id, coworkers: client.coworkers ?? [], scope, user: user?.id, app: app?.id, subjects: user?.subjects, strict };
    const accessTtl = this.ttl(issuance, 'access');
    const access = await this.deps.tokens.sign(claimsFor({ ...base, type: 'access' }), accessTtl);
    const response: TokenResponse = { access_token: access.token, token_type: 'Bearer', expires_in: accessTtl, scope: scope.join(' '), session };
    if (refreshJti) {
      response.refresh_token = (await this.deps.tokens.sign(claimsFor({ ...base, type: 'refresh' }), this.ttl(issuance, 'refresh'), refreshJti)).token;
    }
    return response;
  }

  /** Rotating refresh: each refresh token works once; a replayed one ends the whole session. */
  private async refresh(request: TokenRequest): Promise<TokenResponse> {
    const claims = await this.deps.tokens.verify(str(request.body, 'refresh_token')!, 'refresh');
    const tenant = (await this.deps.tenants.require(claims.domain)).id;
    await this.deps.sessions.assertActive(tenant, claims.session);
    const next = newJti();
    if (!(await this.deps.sessions.rotateRefresh(tenant, claims.session, claims.jti, next))) {
      await this.deps.sessions.revoke(tenant, [claims.session]);
      throw invalid('This refresh token was already used; the session has been revoked');
    }
    const client = await this.client(tenant, claims.client_id, 'refresh_token').catch(() => {
      throw invalid('The client of this session is no longer active');
    });
    const user = claims.uid ? await this.deps.identities.user(tenant, claims.uid) : undefined;
    if (claims.uid && (!user || (user.status ?? 'active') !== 'active')) throw invalid('The user of this session is no longer active');
    const app = claims.aid ? await this.deps.identities.app(tenant, claims.aid) : undefined;
    // Within what the client (and app) allow now: narrowing a client reaches its running sessions.
    const bound = app ? narrowScopes(app.scopes ?? [], client.scopes ?? []) : client.scopes ?? [];
    const scope = narrowScopes(parseScope(claims.scope), bound);
    return this.issue({ tenant, client, app, user, scope, strict: claims.strict === true }, claims.session, next);
  }

  private async clientCredentials(request: TokenRequest): Promise<TokenResponse> {
    const clientId = request.basic?.id ?? str(request.body, 'client_id')!;
    const secret = request.basic?.secret ?? str(request.body, 'client_secret')!;
    const tenant = await this.tenantOf(request, clientId);
    this.deps.throttle.hit([`ip:${request.ip}`, `client:${tenant}:${clientId}`]);
    const client = await this.client(tenant, clientId, 'client_credentials');
    if (!(await verifyPassword(secret, client.secret))) throw invalid('Invalid client credentials');
    const issuance = await this.issuance(request, tenant, client, str(request.body, 'scope', false));
    const session = await this.deps.sessions.create(tenant, this.principal(client), {
      kind: 'client', client: client.id, app: issuance.app?.id, scope: issuance.scope.join(' '), ttlSeconds: this.ttl(issuance, 'access'),
      ip: request.ip, agent: request.agent,
    });
    return this.issue(issuance, session);
  }

  private async authorizationCode(request: TokenRequest): Promise<TokenResponse> {
    const code = str(request.body, 'code')!;
    const verifier = str(request.body, 'code_verifier')!;
    const redirectUri = str(request.body, 'redirect_uri')!;
    const clientId = request.basic?.id ?? str(request.body, 'client_id')!;
    const used = await this.deps.db.query<{ tenant_id: string; user_id: string; client_id: string; redirect_uri: string; scope: string; code_challenge: string }>(
      `UPDATE stratum_auth_codes SET used_at = now() WHERE hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING tenant_id, user_id, client_id, redirect_uri, scope, code_challenge`,
      [hashToken(code)],
    );
    const grant = used.rows[0];
    if (!grant || grant.client_id !== clientId || grant.redirect_uri !== redirectUri) throw invalid('Invalid authorization code');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (challenge.length !== grant.code_challenge.length || !timingSafeEqual(Buffer.from(challenge), Buffer.from(grant.code_challenge))) {
      throw invalid('code_verifier does not match the code challenge');
    }
    const tenant = (await this.deps.tenants.require(grant.tenant_id)).id;
    const client = await this.client(tenant, clientId, 'authorization_code');
    const secret = request.basic?.secret ?? str(request.body, 'client_secret', false);
    if (secret !== undefined && !(await verifyPassword(secret, client.secret))) throw invalid('Invalid client credentials');
    const user = await this.deps.identities.user(tenant, grant.user_id);
    if (!user || (user.status ?? 'active') !== 'active') throw invalid('Invalid authorization code');
    return this.userTokens(request, await this.issuance(request, tenant, client, grant.scope), user);
  }

  /**
   * Issues a one-time code for a signed-in user, a client and one of its redirect URIs (PKCE S256).
   * The code's scope stays within both the client's and the caller's own (`callerScope`), so a
   * narrow token (an APT, say) cannot mint a wider one through a broad client.
   */
  async issueCode(tenant: TenantId, user: string, input: Record<string, unknown>, callerScope: readonly string[]): Promise<{ code: string; redirect_uri: string; state?: string }> {
    const clientId = str(input, 'client_id')!;
    const redirectUri = str(input, 'redirect_uri')!;
    const challenge = str(input, 'code_challenge')!;
    const method = str(input, 'code_challenge_method', false) ?? 'S256';
    if (method !== 'S256') throw bad('code_challenge_method must be S256');
    if (!/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) throw bad('code_challenge must be a base64url SHA-256 of the verifier');
    const client = await this.client(tenant, clientId, 'authorization_code');
    if (!(client.redirect_uris ?? []).includes(redirectUri)) throw bad('redirect_uri is not registered for this client');
    const bound = client.scopes ?? [];
    const requested = str(input, 'scope', false);
    const scope = intersectScopes(narrowScopes(requested ? parseScope(requested) : bound, bound), callerScope).join(' ');
    // An empty scope would mean "the client's own" at the exchange.
    if (scope === '') throw new DomainError(ErrorCode.FORBIDDEN, 'None of the requested scope is within both the client\'s scope and yours');
    const code = randomBytes(32).toString('base64url');
    await this.deps.db.query(
      `INSERT INTO stratum_auth_codes (hash, tenant_id, user_id, client_id, redirect_uri, scope, code_challenge, code_challenge_method, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'S256', now() + interval '60 seconds')`,
      [hashToken(code), tenant, user, clientId, redirectUri, scope, challenge],
    );
    const state = str(input, 'state', false);
    return { code, redirect_uri: redirectUri, ...(state ? { state } : {}) };
  }
}
