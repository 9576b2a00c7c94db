import { resolve } from 'node:path';

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
  rootDomain: string;
  adminEmail: string;
  /** When absent, the first start generates one and prints it once. */
  adminPassword?: string;
  oidc?: { issuer: string; audience: string; jwksUri: string };
}

export interface Config {
  port: number;
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
  const authProvider = oneOf(env, 'AUTH_PROVIDER', ['none', 'internal', 'oidc'] as const, 'none');
  if (authProvider === 'none' && nodeEnv === 'production') {
    throw new ConfigError('AUTH_PROVIDER=none is for local development only and cannot run with NODE_ENV=production');
  }
  const dataDir = resolve(env.STRATUM_DATA_DIR || './data');
  const pageMax = int(env, 'PAGE_LIMIT_MAX', 50, 1, 1000);
  const port = int(env, 'PORT', 3010, 0, 65535);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir,
    embeddedDataDir: env.STRATUM_DATA_DIR === 'memory://' ? 'memory://' : resolve(dataDir, 'pgdata'),
    databaseUrl: databaseUrl(env),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    nodeEnv,
    authProvider,
    auth: authConfig(env, authProvider, port),
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
    },
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

function oidcConfig(env: Env): AuthConfig['oidc'] {
  const issuer = env.OIDC_ISSUER;
  const audience = env.OIDC_AUDIENCE;
  if (!issuer || !audience) throw new ConfigError('AUTH_PROVIDER=oidc needs OIDC_ISSUER and OIDC_AUDIENCE');
  const jwksUri = env.OIDC_JWKS_URI || new URL('.well-known/jwks.json', issuer.endsWith('/') ? issuer : `${issuer}/`).toString();
  for (const [name, value] of [['OIDC_ISSUER', issuer], ['OIDC_JWKS_URI', jwksUri]]) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError(`${name} is not a valid URL`);
    }
  }
  return { issuer, audience, jwksUri };
}

function authConfig(env: Env, provider: AuthProvider, port: number): AuthConfig {
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
    rootDomain,
    adminEmail: env.STRATUM_ADMIN_EMAIL || `admin@${rootDomain === 'localhost' ? 'example.com' : rootDomain}`,
    adminPassword,
    oidc: provider === 'oidc' ? oidcConfig(env) : undefined,
  };
}
