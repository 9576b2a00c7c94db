import { resolve } from 'node:path';
import { isValidScope, parseScope } from './auth/scopes.js';

export type AuthProvider = 'none' | 'internal' | 'oidc';
export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Limits {
  bodyBytes: number;
  bulkItems: number;
  pageDefault: number;
  pageMax: number;
  skipMax: number;
  queryDepth: number;
  inItems: number;
  regexLength: number;
  sortKeys: number;
  cursorBatch: number;
  /** Sign-in attempts per minute per IP and per username. */
  loginAttempts: number;
  /** Requests per second per principal on one collection (DESIGN 6.5); 0 turns the limit off. */
  collectionRatePerSecond: number;
  /**
   * How often a node adds its request counts to the database, and how old a cached plan or
   * document count may grow before it is read again (DESIGN 6.5).
   */
  usageSyncMs: number;
}

export interface AuthConfig {
  provider: AuthProvider;
  /** `iss` of the tokens this platform signs, and what verifiers expect. */
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Upper bound for per-client and per-app TTL overrides. */
  maxAccessTtlSeconds: number;
  maxRefreshTtlSeconds: number;
  /** How long a retired signing key still verifies: long enough for any token it signed to expire. */
  keyOverlapSeconds: number;
  rootDomain: string;
  adminEmail: string;
  /** When absent, the first start generates one and prints it once. */
  adminPassword?: string;
  oidc?: OidcConfig;
}

/** An external OpenID Connect provider whose access tokens this platform accepts (AUTH_PROVIDER=oidc). */
export interface OidcConfig {
  /** Expected `iss`, compared exactly (Auth0 issuers end with a slash). */
  issuer: string;
  /** Expected `aud`. */
  audience: string;
  jwksUri: string;
  /** Scope of every OIDC principal (`OIDC_SCOPE`); empty by default: only `GET /me`. */
  scope: string[];
  /** Roles every OIDC user has (`OIDC_ROLES`), so grants can be written for them; empty by default. */
  roles: string[];
  /** Public client id a browser uses to sign in at the provider, shown by `GET /config`. */
  clientId?: string;
  /** Least time between two JWKS fetches caused by unknown key ids. */
  jwksCooldownSeconds: number;
}

/** How the dispatcher delivers change events (DESIGN 7). */
export interface EventsConfig {
  /** `STRATUM_EVENTS=off`: writes append no change events (no webhooks, feed or bus events). */
  enabled: boolean;
  /** Idle wait between dispatcher rounds; writes on this node wake it sooner. */
  pollMs: number;
  /** Live `/events` streams wake on the dispatcher's bus notices; they also read this often in case a notice was lost. */
  feedPollMs: number;
  /** A live `/events` stream with nothing to send writes an SSE comment this often, so proxies do not cut it as idle. */
  feedKeepAliveMs: number;
  /** Attempts of one delivery before it goes to the dead letter and pauses its endpoint. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** One attempt's time limit; its lease lasts a little longer, then another worker may retry. */
  timeoutMs: number;
  /** Attempts in flight per worker. */
  concurrency: number;
  /** How long events and delivered deliveries are kept (the feed and replay reach this far back). */
  retentionMs: number;
  /** How long the previous secret still signs after a rotation, so receivers can switch over. */
  secretOverlapSeconds: number;
}

export type Role = 'all' | 'api' | 'worker';

/** How a request's tenant is found before authentication (seed 004). */
export interface TenantResolutionConfig {
  /** `token`: the credentials' tenant; `header`: `x-domain`; `subdomain`: `<tenant>.BASE_DOMAIN`; `fixed`: APP_TENANT_ID. */
  mode: 'token' | 'header' | 'subdomain' | 'fixed';
  baseDomain?: string;
  fixedTenant?: string;
}

export interface Config {
  port: number;
  /** `all` (embedded default) serves the API and runs the dispatcher; `api` and `worker` split them. */
  role: Role;
  events: EventsConfig;
  tenantResolution: TenantResolutionConfig;
  host: string;
  dataDir: string;
  /** `memory://` keeps the embedded database in memory (tests). */
  embeddedDataDir: string;
  databaseUrl?: string;
  databasePoolSize: number;
  logLevel: LogLevel;
  nodeEnv: NodeEnv;
  authProvider: AuthProvider;
  auth: AuthConfig;
  natsUrl?: string;
  redisUrl?: string;
  limits: Limits;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must use postgres:// or postgresql://, got ${url.protocol}//`);
  }
  return raw;
}

/** Parses and validates the whole configuration once; the only reader of the environment. */
export function loadConfig(env: Env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const authProvider = oneOf(env, 'AUTH_PROVIDER', ['none', 'internal', 'oidc'] as const, 'internal');
  if (authProvider === 'none' && nodeEnv === 'production') {
    throw new ConfigError('AUTH_PROVIDER=none is for local development only and cannot run with NODE_ENV=production');
  }
  const dataDir = resolve(env.STRATUM_DATA_DIR || './data');
  const pageMax = int(env, 'PAGE_LIMIT_MAX', 50, 1, 1000);
  const port = int(env, 'PORT', 3010, 0, 65535);
  return {
    port,
    role: oneOf(env, 'STRATUM_ROLE', ['all', 'api', 'worker'] as const, 'all'),
    events: eventsConfig(env),
    tenantResolution: tenantResolution(env),
    host: env.HOST || '0.0.0.0',
    dataDir,
    embeddedDataDir: env.STRATUM_DATA_DIR === 'memory://' ? 'memory://' : resolve(dataDir, 'pgdata'),
    databaseUrl: databaseUrl(env),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    nodeEnv,
    authProvider,
    auth: authConfig(env, authProvider, port, nodeEnv),
    natsUrl: serviceUrl(env, 'NATS_URL', ['nats:', 'tls:']),
    redisUrl: serviceUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    limits: {
      bodyBytes: int(env, 'BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
      bulkItems: int(env, 'BULK_LIMIT', 500, 1, 10000),
      pageDefault: Math.min(int(env, 'PAGE_LIMIT_DEFAULT', 10, 1, 1000), pageMax),
      pageMax,
      skipMax: int(env, 'SKIP_LIMIT_MAX', 100000, 0, 10_000_000),
      queryDepth: int(env, 'QUERY_DEPTH_MAX', 8, 1, 64),
      inItems: int(env, 'QUERY_IN_MAX', 500, 1, 100000),
      regexLength: int(env, 'QUERY_REGEX_MAX', 256, 1, 10000),
      sortKeys: 8,
      cursorBatch: int(env, 'CURSOR_BATCH', 100, 1, 10000),
      loginAttempts: int(env, 'LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 100000),
      collectionRatePerSecond: int(env, 'RATE_LIMIT_PER_SECOND', 100, 0, 1_000_000),
      usageSyncMs: int(env, 'USAGE_SYNC_SECONDS', 30, 1, 3600) * 1000,
    },
  };
}

function tenantResolution(env: Env): TenantResolutionConfig {
  const mode = oneOf(env, 'TENANT_RESOLUTION_MODE', ['token', 'header', 'subdomain', 'fixed'] as const, 'token');
  const domain = (name: string) => {
    const value = (env[name] ?? '').toLowerCase();
    if (!DOMAIN.test(value)) throw new ConfigError(`TENANT_RESOLUTION_MODE=${mode} needs ${name}, a domain name; got ${JSON.stringify(env[name] ?? '')}`);
    return value;
  };
  if (mode === 'subdomain') return { mode, baseDomain: domain('BASE_DOMAIN') };
  if (mode === 'fixed') return { mode, fixedTenant: domain('APP_TENANT_ID') };
  return { mode };
}

function eventsConfig(env: Env): EventsConfig {
  const backoffBaseMs = int(env, 'WEBHOOK_BACKOFF_BASE_MS', 5000, 10, 3_600_000);
  return {
    enabled: oneOf(env, 'STRATUM_EVENTS', ['on', 'off'] as const, 'on') === 'on',
    pollMs: int(env, 'EVENTS_POLL_MS', 250, 10, 60_000),
    feedPollMs: int(env, 'EVENTS_FEED_POLL_MS', 5000, 100, 3_600_000),
    feedKeepAliveMs: int(env, 'EVENTS_FEED_KEEPALIVE_MS', 15_000, 100, 3_600_000),
    maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 15, 1, 100),
    backoffBaseMs,
    backoffMaxMs: Math.max(backoffBaseMs, int(env, 'WEBHOOK_BACKOFF_MAX_MS', 3_600_000, 10, 86_400_000)),
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    concurrency: int(env, 'WEBHOOK_CONCURRENCY', 64, 1, 1000),
    retentionMs: int(env, 'EVENTS_RETENTION_HOURS', 168, 1, 24 * 366) * 3_600_000,
    secretOverlapSeconds: int(env, 'WEBHOOK_SECRET_OVERLAP_SECONDS', 86_400, 0, 30 * 86_400),
  };
}

function serviceUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name} must use ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return raw;
}

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function httpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name} must use https:// or http://`);
  return url;
}

/** Space-separated scopes an OIDC principal gets; `whole` is refused: name the collections. */
function oidcScope(env: Env): string[] {
  const scope = parseScope(env.OIDC_SCOPE);
  for (const item of scope) {
    if (item === 'whole') throw new ConfigError('OIDC_SCOPE cannot be whole: name the services or collections external users may use');
    if (!isValidScope(item)) throw new ConfigError(`OIDC_SCOPE has an invalid scope ${JSON.stringify(item)}; use {read|write|manage}:{service}[:{collection}]`);
  }
  return [...new Set(scope)];
}

function oidcRoles(env: Env): string[] {
  const roles = (env.OIDC_ROLES ?? '').split(/\s+/).filter(Boolean);
  const bad = roles.find((role) => !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(role));
  if (bad !== undefined) throw new ConfigError(`OIDC_ROLES has an invalid role ${JSON.stringify(bad)}; use lowercase names separated by spaces`);
  return [...new Set(roles)];
}

function oidcConfig(env: Env, nodeEnv: NodeEnv): OidcConfig {
  const issuer = env.OIDC_ISSUER;
  const audience = env.OIDC_AUDIENCE;
  if (!issuer || !audience) throw new ConfigError('AUTH_PROVIDER=oidc needs OIDC_ISSUER and OIDC_AUDIENCE');
  const issuerUrl = httpUrl('OIDC_ISSUER', issuer);
  const jwksUri = env.OIDC_JWKS_URI
    ? httpUrl('OIDC_JWKS_URI', env.OIDC_JWKS_URI).toString()
    : new URL('.well-known/jwks.json', issuerUrl.href.endsWith('/') ? issuerUrl : `${issuerUrl.href}/`).toString();
  if (nodeEnv === 'production' && !jwksUri.startsWith('https:')) {
    throw new ConfigError('OIDC_JWKS_URI must use https:// when NODE_ENV=production (keys fetched in clear can be swapped)');
  }
  const clientId = env.OIDC_CLIENT_ID || undefined;
  if (clientId !== undefined && !/^[\x21-\x7e]{1,256}$/.test(clientId)) throw new ConfigError('OIDC_CLIENT_ID must be printable ASCII without spaces');
  return {
    issuer, audience, jwksUri, clientId,
    scope: oidcScope(env),
    roles: oidcRoles(env),
    jwksCooldownSeconds: int(env, 'OIDC_JWKS_COOLDOWN_SECONDS', 30, 0, 3600),
  };
}

function authConfig(env: Env, provider: AuthProvider, port: number, nodeEnv: NodeEnv): AuthConfig {
  const rootDomain = (env.STRATUM_ROOT_DOMAIN || 'localhost').toLowerCase();
  if (!DOMAIN.test(rootDomain)) throw new ConfigError(`STRATUM_ROOT_DOMAIN must be a domain name, got ${JSON.stringify(rootDomain)}`);
  const adminPassword = env.STRATUM_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) throw new ConfigError('STRATUM_ADMIN_PASSWORD must have at least 8 characters');
  const maxAccess = int(env, 'ACCESS_TOKEN_TTL_MAX', 86_400, 60, 30 * 86_400);
  const maxRefresh = int(env, 'REFRESH_TOKEN_TTL_MAX', 30 * 86_400, 60, 365 * 86_400);
  return {
    provider,
    issuer: env.STRATUM_ISSUER || `http://localhost:${port}`,
    audience: env.STRATUM_AUDIENCE || 'stratum',
    accessTtlSeconds: int(env, 'ACCESS_TOKEN_TTL', 900, 30, maxAccess),
    refreshTtlSeconds: int(env, 'REFRESH_TOKEN_TTL', 86_400, 60, maxRefresh),
    maxAccessTtlSeconds: maxAccess,
    maxRefreshTtlSeconds: maxRefresh,
    keyOverlapSeconds: Math.max(maxAccess, maxRefresh),
    rootDomain,
    adminEmail: env.STRATUM_ADMIN_EMAIL || `admin@${rootDomain === 'localhost' ? 'example.com' : rootDomain}`,
    adminPassword,
    oidc: provider === 'oidc' ? oidcConfig(env, nodeEnv) : undefined,
  };
}
