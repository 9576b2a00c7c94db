import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { externalIdOf, type Store } from '@stratum/core';
import type { Platform } from '../app.js';
import { listenForTest } from '../testing/listen.js';

/** Helpers of the OIDC suites: a real platform on a real port, plain fetch, and direct row counts. */

export interface Reply {
  status: number;
  body: any;
}

export interface Running {
  platform: Platform;
  url: string;
  /** The root tenant's domain, unique per run so runs sharing one PostgreSQL never collide. */
  root: string;
  call(path: string, options?: { token?: string; headers?: Record<string, string>; method?: string; body?: unknown }): Promise<Reply>;
}

export function uniqueDomain(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}.test`;
}

export async function startPlatform(store: Store, env: Record<string, string>): Promise<Running> {
  const root = env.STRATUM_ROOT_DOMAIN ?? uniqueDomain('oidc');
  const { platform, url } = await listenForTest(store, { STRATUM_ROOT_DOMAIN: root, ...env });
  return {
    platform, url, root,
    async call(path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${url}${path}`, {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'), headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
  };
}

/** Asserts a failure status and the error code of the one error shape. */
export function assertError(reply: Reply, status: number, code: string, what = ''): void {
  assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body?.code, code, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body?.statusCode, status, what);
}

/** Live local users of an external subject in a tenant. */
export async function usersOf(store: Store, tenant: string, subject: string): Promise<{ id: string }[]> {
  const result = await store.query<{ id: string }>(
    `SELECT id FROM c_identity_users WHERE tenant_id = $1 AND doc->>'external_id' = $2 AND deleted_at IS NULL`,
    [tenant, externalIdOf({ provider: 'oidc', subject })]);
  return result.rows;
}

/** An identity subject no other run or test shares. */
export function subject(prefix = 'auth0'): string {
  return `${prefix}|${randomBytes(8).toString('hex')}`;
}
