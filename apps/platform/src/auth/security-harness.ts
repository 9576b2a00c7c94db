import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { after, before } from 'node:test';
import { CollectionEngine, type Store } from '@stratum/core';
import { testContext, testLimits, type StoreShape } from '@stratum/core/testing';
import type { Platform } from '../app.js';
import { listenForTest } from '../testing/listen.js';

/** Helpers of the *.security.test.ts suites: a real platform with internal auth, real HTTP, real keys. */

export const ADMIN_PASSWORD = 'security-admin-password-1';
/** A role granted every action on every collection in the suites' tenants (see `createUser`). */
export const MEMBER_ROLE = 'member';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** JSON body. */
  body?: unknown;
  /** Form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface TokenData {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  session: string;
}

export interface Secure {
  platform: Platform;
  store: Store;
  url: string;
  /** The root tenant's domain (unique per suite, so runs on one PostgreSQL never collide). */
  domain: string;
  adminEmail: string;
  rootClientId: string;
  rootClientSecret: string;
  call(path: string, options?: CallOptions): Promise<Reply>;
  /** Password grant; fails the test unless it answers 200. */
  login(username?: string, password?: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<TokenData>;
}

export function uniqueDomain(prefix = 'sec'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}.test`;
}

export function uniqueName(prefix = 'n'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

async function request(url: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(`${url}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (an event stream): the text stays the body
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/**
 * Starts the real platform (internal auth) on a store and listens on 127.0.0.1. `env` adds
 * configuration; STRATUM_ROOT_DOMAIN defaults to a fresh domain.
 */
export async function startSecure(store: Store, env: Record<string, string> = {}): Promise<Secure> {
  const { platform, config, url } = await listenForTest(store, {
    AUTH_PROVIDER: 'internal', STRATUM_ADMIN_PASSWORD: ADMIN_PASSWORD, STRATUM_ROOT_DOMAIN: uniqueDomain(),
    LOGIN_ATTEMPTS_PER_MINUTE: '10000', ...env,
  });
  const call = (path: string, options?: CallOptions) => request(url, path, options);
  const adminEmail = config.auth.adminEmail;
  await grantMembers(platform, store, config.auth.rootDomain);
  return {
    platform, store, url, call,
    domain: config.auth.rootDomain,
    adminEmail,
    rootClientId: platform.bootstrap.clientId,
    rootClientSecret: platform.bootstrap.created?.clientSecret ?? '',
    async login(username = adminEmail, password = ADMIN_PASSWORD, extra = {}, headers = {}) {
      const reply = await call('/auth/token', { body: { username, password, grant_type: 'password', ...extra }, headers });
      assert.equal(reply.status, 200, `login of ${username}: ${reply.text}`);
      return reply.body.data as TokenData;
    },
  };
}

/** The grant behind MEMBER_ROLE, written as the platform's own work (no sign-in: throttle suites count those). */
async function grantMembers(platform: Platform, store: Store, tenant: string): Promise<void> {
  const { registry } = platform;
  await new CollectionEngine(store, registry, testLimits()).create(testContext(tenant), registry.get('auth', 'grants'),
    { subject: MEMBER_ROLE, action: 'any', object: 'all' });
}

/**
 * Registers before/after hooks: one store of the shape and one platform on it. Read the fields
 * inside tests only; the `before` hook sets them.
 */
export function useSecure(shape: StoreShape, env: Record<string, string> = {}): Secure {
  const holder = {} as Secure;
  before(async () => {
    const store = await shape.open();
    try {
      Object.assign(holder, await startSecure(store, env));
    } catch (error) {
      await store.close();
      throw error;
    }
  });
  after(async () => {
    await holder.platform?.close();
    await holder.store?.close();
  });
  return holder;
}

const ERROR_KEYS = ['code', 'error', 'message', 'request_id', 'statusCode'];

/** The one error shape (DESIGN 5.3) with this status and code, its request id echoed in the header. */
export function expectError(reply: Reply, status: number, code: string): Record<string, unknown> {
  assert.equal(reply.status, status, `status of ${reply.text}`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
  const error = reply.body as Record<string, unknown>;
  assert.ok(error !== null && typeof error === 'object', `an error body, got ${reply.text}`);
  assert.deepEqual(Object.keys(error).filter((k) => k !== 'details').sort(), ERROR_KEYS, `error keys of ${reply.text}`);
  assert.equal(error.statusCode, status);
  assert.equal(error.code, code, `code in ${reply.text}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0);
  assert.equal(typeof error.error, 'string');
  assert.equal(error.request_id, reply.headers.get('x-request-id'), 'the body and the header carry the same request id');
  assert.doesNotMatch(reply.text, /\n\s+at /, 'no stack trace');
  return error;
}

/** A 401 UNAUTHORIZED in the standard shape. */
export const expect401 = (reply: Reply) => expectError(reply, 401, 'UNAUTHORIZED');

// --- JWT craft, for tokens the platform would never issue ---------------------------------

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) };
}

/** A compact JWS; with no key the signature part is empty (`alg: none`). */
export function craftJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key?: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${key ? sign(null, Buffer.from(input), key).toString('base64url') : ''}`;
}

/** The platform's own private key for a kid, read from stratum_signing_keys. */
export async function privateKeyOf(store: Store, kid: string): Promise<KeyObject> {
  const result = await store.query<{ private_jwk: unknown }>('SELECT private_jwk FROM stratum_signing_keys WHERE kid = $1', [kid]);
  assert.equal(result.rows.length, 1, `signing key ${kid} is stored`);
  const jwk = result.rows[0].private_jwk;
  return createPrivateKey({ key: (typeof jwk === 'string' ? JSON.parse(jwk) : jwk) as JsonWebKey, format: 'jwk' });
}

// --- setup through the API ------------------------------------------------------------------

/** Creates a user through the root admin's API and returns its id. */
/**
 * Creates a user of the root tenant with the role `member`, to which the suite's platform grants
 * everything: these suites are about tokens and tenants; grants have suites of their own.
 */
export async function createUser(h: Secure, admin: string, username: string, password: string): Promise<string> {
  const reply = await h.call('/identity/users', { token: admin, body: { username, email: `${username}@example.com`, password, status: 'active', subjects: [MEMBER_ROLE] } });
  assert.equal(reply.status, 201, reply.text);
  return reply.body.data.id as string;
}

/** Creates an APT with this scope and returns its token and id. */
export async function createApt(h: Secure, token: string, scope: string, extra: Record<string, unknown> = {}): Promise<{ id: string; token: string; scope: string }> {
  const reply = await h.call('/auth/apts', { token, body: { name: uniqueName('apt'), scope, ...extra } });
  assert.equal(reply.status, 201, reply.text);
  return reply.body.data;
}

/** Creates a client of the root tenant and returns its id. */
export async function createClient(h: Secure, admin: string, body: Record<string, unknown>): Promise<string> {
  const reply = await h.call('/domain/clients', { token: admin, body: { name: uniqueName('client'), status: 'active', ...body } });
  assert.equal(reply.status, 201, reply.text);
  return reply.body.data.id as string;
}
