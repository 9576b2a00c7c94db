import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { Store } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import type { FastifyInstance } from 'fastify';
import { IS_PUBLIC } from './auth/public.decorator.js';
import { expectErrorResponse, startPlatform, type Running } from './testing/http-harness.js';

/**
 * Every route that may be reached without credentials, by intent. Adding a public route means
 * adding it here, in review; a route marked @Public() that is not listed fails this suite.
 */
const PUBLIC_ALLOW_LIST = new Set([
  'GET /status',
  'GET /monitoring/health',
  'GET /metrics',
  'GET /discover',
  'GET /api',
  'GET /api-json',
  'GET /api/:asset',
  // The auth contract (seed 003, DESIGN 5.4): getting a token, and what a client needs before it has one.
  'POST /auth/token',
  'POST /auth/revoke',
  'POST /auth/introspect',
  'GET /.well-known/jwks.json',
  'GET /.well-known/openid-configuration',
  'GET /config',
]);

interface ControllerRoute {
  /** `METHOD /path` with Nest/Fastify `:param` syntax. */
  route: string;
  isPublic: boolean;
}

function joinPath(...parts: string[]): string {
  const path = parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
  return `/${path}`;
}

/** Every handler of every controller the app registered, from Nest's own metadata. */
export function controllerRoutes(modules: ModulesContainer): ControllerRoute[] {
  const scanner = new MetadataScanner();
  const out: ControllerRoute[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown>;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat() as string[];
      const classPublic = Reflect.getMetadata(IS_PUBLIC, controller) === true;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name] as object;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const isPublic = classPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true;
        for (const prefix of prefixes) for (const path of [paths].flat()) out.push({ route: `${method} ${joinPath(prefix, path)}`, isPublic });
      }
    }
  }
  return out;
}

/** Every route the HTTP server answers, from Fastify's router (`printRoutes`), HEAD left out. */
export function serverRoutes(fastify: Pick<FastifyInstance, 'printRoutes'>): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│   |    )*)[├└]── (\S+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) out.push(`${method} ${stack.join('')}`);
  }
  return out;
}

/** What is wrong with an inventory: public routes nobody allowed, and routes outside any controller. */
export function inventoryProblems(controllers: ControllerRoute[], server: string[], allowList: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const known = new Set(controllers.map((c) => c.route));
  for (const { route, isPublic } of controllers) {
    if (isPublic && !allowList.has(route)) problems.push(`${route} is @Public() but not in the allow-list`);
  }
  for (const route of server) if (!known.has(route)) problems.push(`${route} is served outside any controller, so no guard sees it`);
  for (const route of known) if (!server.includes(route)) problems.push(`${route} is declared but the server does not serve it`);
  return problems;
}

/** A concrete URL for a route pattern. */
function sample(path: string): string {
  const values: Record<string, string> = { service: 'identity', collection: 'users', id: '0123456789abcdef01234567', asset: 'swagger-ui.css' };
  return path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? 'x');
}

describe('route inventory', () => {
  let store: Store;
  let running: Running;
  let controllers: ControllerRoute[];
  let server: string[];

  before(async () => {
    const [embedded] = storeShapes();
    store = await embedded.open();
    // Internal auth: a request without a token is no one, so the guard's answer shows.
    running = await startPlatform(embedded.name, store, { AUTH_PROVIDER: 'internal', STRATUM_ROOT_DOMAIN: `inv-${randomBytes(4).toString('hex')}.test` });
    controllers = controllerRoutes(running.platform.app.get(ModulesContainer));
    server = serverRoutes(running.platform.app.getHttpAdapter().getInstance() as FastifyInstance);
  });
  after(async () => {
    await running?.platform.close();
    await store?.close();
  });

  it('finds the collection routes and the ops routes in both inventories', () => {
    for (const route of ['GET /:service/:collection/count', 'POST /:service/:collection/bulk', 'DELETE /:service/:collection/:id/destroy', 'GET /status']) {
      assert.ok(controllers.some((c) => c.route === route), `controllers lack ${route}`);
      assert.ok(server.includes(route), `server lacks ${route}`);
    }
    assert.ok(controllers.length >= 11 + 7, `only ${controllers.length} routes found`);
  });

  it('every route is public by the allow-list or behind the guard, and served only through a controller', () => {
    assert.deepEqual(inventoryProblems(controllers, server, PUBLIC_ALLOW_LIST), []);
    const listedButGone = [...PUBLIC_ALLOW_LIST].filter((route) => !controllers.some((c) => c.isPublic && c.route === route));
    assert.deepEqual(listedButGone, [], 'the allow-list names only routes that exist and are public');
  });

  it('reports an unlisted public route and a route outside the controllers', () => {
    const extra = [...controllers, { route: 'GET /debug/dump', isPublic: true }];
    assert.deepEqual(inventoryProblems(extra, [...server, 'GET /debug/dump'], PUBLIC_ALLOW_LIST), ['GET /debug/dump is @Public() but not in the allow-list']);
    assert.deepEqual(inventoryProblems(controllers, [...server, 'POST /raw/hook'], PUBLIC_ALLOW_LIST), ['POST /raw/hook is served outside any controller, so no guard sees it']);
  });

  it('the global guard answers 401 on every route that is not public', async () => {
    const guarded = controllers.filter((c) => !c.isPublic);
    assert.ok(guarded.length > 11);
    for (const { route } of guarded) {
      const [method, path] = route.split(' ');
      const body = ['POST', 'PATCH', 'PUT'].includes(method) ? { body: '{}', headers: { 'content-type': 'application/json' } } : {};
      const res = await running.fetch(sample(path), { method, ...body });
      await expectErrorResponse(res, 401, 'UNAUTHORIZED').catch((error: Error) => {
        throw new Error(`${route}: ${error.message}`);
      });
    }
  });

  it('the public routes answer without credentials', async () => {
    for (const route of ['GET /status', 'GET /monitoring/health', 'GET /metrics', 'GET /discover', 'GET /api', 'GET /api-json', 'GET /api/:asset', 'GET /config', 'GET /.well-known/jwks.json']) {
      const [method, path] = route.split(' ');
      const res = await running.fetch(sample(path), { method });
      assert.equal(res.status, 200, route);
      await res.arrayBuffer();
    }
  });
});
