import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type { Store } from '@stratum/core';
import type { StoreShape } from '@stratum/core/testing';
import { createPlatformClient, PlatformError, type PlatformClient } from '@stratum/sdk';
import type { Platform } from '../app.js';
import { listenForTest } from './listen.js';

/** A platform listening on a random local port, with an SDK client pointed at it. */
export interface Running {
  shape: StoreShape['name'];
  platform: Platform;
  store: Store;
  url: string;
  sdk: PlatformClient;
  /** Plain fetch against the platform, for what the SDK would hide. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Starts the real platform on an opened store; `env` adds configuration (e.g. BODY_LIMIT). */
export async function startPlatform(shape: StoreShape['name'], store: Store, env: Record<string, string> = {}): Promise<Running> {
  const { platform, url } = await listenForTest(store, { AUTH_PROVIDER: 'none', ...env });
  return {
    shape, platform, store, url,
    sdk: createPlatformClient({ baseUrl: url }),
    fetch: (path, init) => fetch(`${url}${path}`, init),
  };
}

export interface Harness extends Running {
  /** The platforms started with `also`, by name; they share the store. */
  others: Record<string, Running>;
  /** Runs `fn` after the suite, while the store is still open (cleanup of shared databases). */
  beforeClose(fn: () => Promise<unknown>): void;
}

/**
 * Registers before/after hooks in the current suite: one store of the shape, one platform on it
 * (more with `also`, each with its own extra configuration). Read the fields inside tests only:
 * the `before` hook sets them.
 */
export function usePlatform(shape: StoreShape, also: Record<string, Record<string, string>> = {}, env: Record<string, string> = {}): Harness {
  const cleanups: (() => Promise<unknown>)[] = [];
  const holder = {
    others: {},
    beforeClose(fn: () => Promise<unknown>) {
      cleanups.push(fn);
    },
  } as Harness;
  let store: Store | undefined;
  before(async () => {
    store = await shape.open();
    Object.assign(holder, await startPlatform(shape.name, store, env));
    for (const [name, extra] of Object.entries(also)) holder.others[name] = await startPlatform(shape.name, store, extra);
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    for (const other of Object.values(holder.others)) await other.platform.close();
    await holder.platform?.close();
    await store?.close();
  });
  return holder;
}

/** A value no other run shares, for tests on a database other runs also use. */
export function unique(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export const ERROR_KEYS = ['code', 'error', 'message', 'request_id', 'statusCode'];

/** Asserts the one error shape (DESIGN 5.3) with this status and code. */
export function assertErrorBody(body: unknown, status: number, code: string): Record<string, unknown> {
  assert.ok(body !== null && typeof body === 'object', `expected an error body, got ${JSON.stringify(body)}`);
  const error = body as Record<string, unknown>;
  assert.deepEqual(Object.keys(error).filter((k) => k !== 'details').sort(), ERROR_KEYS, `error keys of ${JSON.stringify(error)}`);
  assert.equal(error.statusCode, status, `status in ${JSON.stringify(error)}`);
  assert.equal(error.code, code, `code in ${JSON.stringify(error)}`);
  assert.equal(typeof error.message, 'string');
  assert.ok((error.message as string).length > 0);
  assert.equal(typeof error.error, 'string');
  assert.ok(typeof error.request_id === 'string' && error.request_id.length > 0, 'request_id is set');
  if ('details' in error) assert.ok(Array.isArray(error.details), 'details is a list');
  return error;
}

/** Awaits a failing SDK call and checks the error it carried; returns it for more asserts. */
export async function expectError(promise: Promise<unknown>, status: number, code: string): Promise<PlatformError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PlatformError, `expected a PlatformError ${status} ${code}, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.statusCode, status, `${caught.code}: ${caught.message}`);
  assertErrorBody(caught.body, status, code);
  return caught;
}

/** Checks a raw failing response: status, JSON content type, error shape, and the request id header. */
export async function expectErrorResponse(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  assert.equal(response.status, status, `status of ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = assertErrorBody(JSON.parse(text), status, code);
  assert.equal(body.request_id, response.headers.get('x-request-id'), 'the body and the header carry the same request id');
  return body;
}

export const json = (body: unknown, init: RequestInit = {}): RequestInit => ({
  ...init,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
});
