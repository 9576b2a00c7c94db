import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { expectErrorResponse, usePlatform } from './testing/http-harness.js';

const BUILT_IN = [
  'auth/grants', 'auth/apts', 'domain/clients', 'domain/apps', 'identity/users', 'identity/profiles', 'identity/sessions',
  'context/configs', 'context/settings', 'essential/sagas', 'special/files', 'special/stats',
];

/** The 11 routes of DESIGN 5.1 as `METHOD suffix`, in OpenAPI path syntax. */
const ROUTES = [
  'GET /count', 'POST ', 'POST /bulk', 'GET ', 'GET /cursor', 'GET /{id}', 'PATCH /{id}', 'PATCH /bulk',
  'DELETE /{id}', 'PUT /{id}/restore', 'DELETE /{id}/destroy',
];

interface Discovered {
  data: { services: { name: string; collections: { name: string; path: string; routes: { operation: string; method: string; path: string; scope: string }[] }[] }[] };
}

for (const shape of storeShapes()) {
  describe(`operations endpoints over HTTP on ${shape.name}`, () => {
    const h = usePlatform(shape);

    it('/status and /monitoring/health are 200 with the database up', async () => {
      for (const path of ['/status', '/monitoring/health']) {
        const res = await h.sdk.request<{ status: string; checks: { database: { status: string; kind: string } } }>('GET', path);
        assert.equal(res.status, 200, path);
        assert.equal(res.body.status, 'ok');
        assert.equal(res.body.checks.database.status, 'up');
        assert.equal(res.body.checks.database.kind, shape.name);
      }
    });

    it('/metrics is Prometheus text with requests counted by route pattern', async () => {
      await h.sdk.identity.users.count();
      await h.fetch('/identity/users/0123456789abcdef01234567');
      const res = await h.fetch('/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^# TYPE stratum_http_requests_total counter$/m);
      assert.match(text, /^stratum_http_requests_total\{method="GET",route="\/:service\/:collection\/count",status="200"\} \d+$/m);
      assert.match(text, /^stratum_http_requests_total\{method="GET",route="\/:service\/:collection\/:id",status="404"\} \d+$/m);
      assert.doesNotMatch(text, /route="\/identity\/users/, 'labels carry the route pattern, never the concrete path');
      assert.match(text, /^stratum_http_request_duration_seconds_bucket\{/m);
    });

    it('/api-json is an OpenAPI 3.1 document listing every collection route', async () => {
      const res = await h.sdk.request<{
        openapi: string;
        paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
        components: { schemas: Record<string, { properties: Record<string, { writeOnly?: boolean }> }> };
      }>('GET', '/api-json');
      const doc = res.body;
      assert.equal(doc.openapi, '3.1.0');
      for (const collection of BUILT_IN) {
        for (const route of ROUTES) {
          const [method, suffix] = route.split(' ');
          const operation = doc.paths[`/${collection}${suffix}`]?.[method.toLowerCase()];
          assert.ok(operation, `${method} /${collection}${suffix} is missing`);
          assert.ok(operation.responses[method === 'POST' ? '201' : '200'], `${method} /${collection}${suffix} documents its success`);
        }
      }
      assert.ok(doc.paths['/identity/users/{id}'].get);
      assert.equal(doc.components.schemas.identity_users.properties.password.writeOnly, true);
      const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
      assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    });

    it('/api serves the HTML UI and its assets from local files', async () => {
      const page = await h.fetch('/api');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      assert.match(html, /<html/i);
      assert.match(html, /\/api-json/);
      const css = await h.fetch('/api/swagger-ui.css');
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      assert.ok((await css.arrayBuffer()).byteLength > 1000);
      await expectErrorResponse(await h.fetch('/api/package.json'), 404, 'ROUTE_NOT_FOUND');
      await expectErrorResponse(await h.fetch('/api/..%2F..%2Fpackage.json'), 404, 'ROUTE_NOT_FOUND');
    });

    it('/discover lists every service, collection and its 11 routes', async () => {
      const res = await h.sdk.request<Discovered>('GET', '/discover');
      const services = res.body.data.services;
      const names = services.map((s) => s.name);
      assert.equal(new Set(names).size, names.length, 'each service is listed once');
      for (const name of ['auth', 'context', 'domain', 'essential', 'identity', 'special']) assert.ok(names.includes(name), name);
      const collections = services.flatMap((s) => s.collections.map((c) => ({ ...c, service: s.name })));
      const listed = collections.map((c) => `${c.service}/${c.name}`);
      for (const builtIn of BUILT_IN) assert.ok(listed.includes(builtIn), `${builtIn} is not listed`);
      for (const collection of collections) {
        assert.equal(collection.path, `/${collection.service}/${collection.name}`);
        const routes = collection.routes.map((r) => `${r.method} ${r.path.slice(collection.path.length).replace(':id', '{id}')}`);
        assert.deepEqual(routes.sort(), [...ROUTES].sort(), collection.path);
        assert.equal(new Set(collection.routes.map((r) => r.operation)).size, 11);
        for (const route of collection.routes) assert.match(route.scope, new RegExp(`^(read|write|manage):${collection.service}:${collection.name}$`));
      }
      const users = collections.find((c) => c.path === '/identity/users')!;
      assert.equal(users.routes.find((r) => r.operation === 'destroyById')?.scope, 'manage:identity:users');
      assert.equal(users.routes.find((r) => r.operation === 'find')?.scope, 'read:identity:users');
    });

    it('every route /discover lists answers on the server', async () => {
      const res = await h.sdk.request<Discovered>('GET', '/discover');
      const id = '0123456789abcdef01234567';
      for (const service of res.body.data.services) {
        for (const collection of service.collections) {
          for (const route of collection.routes.filter((r) => r.method === 'GET')) {
            const answer = await h.fetch(route.path.replace(':id', id));
            assert.ok([200, 404].includes(answer.status), `${route.method} ${route.path} answered ${answer.status}`);
            if (answer.status === 404) await expectErrorResponse(answer, 404, 'NOT_FOUND');
            else await answer.arrayBuffer();
          }
        }
      }
    });
  });
}
