import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { bootstrapRoot, CollectionEngine, loadConfig } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { ADMIN_PASSWORD, expectError, uniqueDomain, useSecure, type Secure } from './security-harness.js';

/** A second tenant with its own admin (same password as the suite's), found by its domain or its slug. */
async function secondTenant(h: Secure, slug: string): Promise<{ domain: string; email: string }> {
  const domain = uniqueDomain('res-b');
  const auth = loadConfig({ STRATUM_ROOT_DOMAIN: domain, STRATUM_ADMIN_PASSWORD: ADMIN_PASSWORD }).auth;
  await h.platform.identity.tenants.create({ domain, slug });
  await bootstrapRoot(auth, h.platform.identity.tenants, h.platform.app.get(CollectionEngine), h.platform.registry);
  return { domain, email: auth.adminEmail };
}

/** fetch does not send a Host of our choosing; node:http does, as a browser on that host would. */
function onHost(h: Secure, host: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const url = new URL(path, h.url);
  const data = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { host };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (data) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(url, { method: data ? 'POST' : 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const signIn = async (h: Secure, username: string, headers: Record<string, string>) => {
  const body = { grant_type: 'password', username, password: ADMIN_PASSWORD };
  const reply = headers.host ? await onHost(h, headers.host, '/auth/token', { body }) : await h.call('/auth/token', { body, headers });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data.access_token as string;
};

for (const shape of storeShapes()) {
  describe(`TENANT_RESOLUTION_MODE on ${shape.name}`, () => {
    describe('header', () => {
      const h = useSecure(shape, { TENANT_RESOLUTION_MODE: 'header' });
      test('x-domain names the tenant; credentials of another tenant are 403', async () => {
        const b = await secondTenant(h, `b${Date.now().toString(36)}`);
        const a = await signIn(h, h.adminEmail, { 'x-domain': h.domain });
        const bToken = await signIn(h, b.email, { 'x-domain': b.domain });
        expectError(await h.call('/context/settings', { token: a }), 400, 'BAD_REQUEST');
        assert.equal((await h.call('/context/settings', { token: a, headers: { 'x-domain': h.domain } })).status, 200);
        expectError(await h.call('/context/settings', { token: bToken, headers: { 'x-domain': h.domain } }), 403, 'TENANT_MISMATCH');
        expectError(await h.call('/context/settings', { token: a, headers: { 'x-domain': 'nowhere.test' } }), 404, 'NOT_FOUND');
      });
    });

    describe('subdomain', () => {
      const base = uniqueDomain('base');
      const h = useSecure(shape, { TENANT_RESOLUTION_MODE: 'subdomain', BASE_DOMAIN: base });
      test('<tenant>.BASE_DOMAIN is that tenant, the apex the root tenant; a token of another is 403', async () => {
        const slug = `b${Date.now().toString(36)}`;
        const b = await secondTenant(h, slug);
        const a = await signIn(h, h.adminEmail, { host: base });
        const bToken = await signIn(h, b.email, { host: `${slug}.${base}` });
        const code = async (host: string, token: string) => {
          const reply = await onHost(h, host, '/context/settings', { token });
          return [reply.status, reply.body?.code];
        };
        assert.deepEqual(await code(base, a), [200, undefined]);
        assert.deepEqual(await code(`${slug}.${base}`, bToken), [200, undefined]);
        assert.deepEqual(await code(`${slug}.${base}`, a), [403, 'TENANT_MISMATCH']);
        assert.deepEqual(await code(`nobody.${base}`, a), [404, 'NOT_FOUND']);
        assert.deepEqual(await code('elsewhere.test', a), [404, 'NOT_FOUND']);
      });
    });

    describe('fixed', () => {
      const domain = uniqueDomain('fixed');
      const h = useSecure(shape, { TENANT_RESOLUTION_MODE: 'fixed', STRATUM_ROOT_DOMAIN: domain, APP_TENANT_ID: domain });
      test('every request is APP_TENANT_ID\'s; a token of another tenant is 403, and signing in elsewhere is refused', async () => {
        const b = await secondTenant(h, `b${Date.now().toString(36)}`);
        const a = await signIn(h, h.adminEmail, {});
        assert.equal((await h.call('/context/settings', { token: a })).status, 200);
        const other = await h.call('/auth/token', { body: { grant_type: 'password', username: b.email, password: ADMIN_PASSWORD, domain: b.domain } });
        expectError(other, 403, 'TENANT_MISMATCH');
        const viaHeader = await h.call('/auth/token', { body: { grant_type: 'password', username: b.email, password: ADMIN_PASSWORD }, headers: { 'x-domain': b.domain } });
        expectError(viaHeader, 401, 'UNAUTHORIZED');
      });
    });
  });
}

test('the modes are checked at boot', () => {
  assert.throws(() => loadConfig({ TENANT_RESOLUTION_MODE: 'subdomain' }), /needs BASE_DOMAIN/);
  assert.throws(() => loadConfig({ TENANT_RESOLUTION_MODE: 'fixed' }), /needs APP_TENANT_ID/);
  assert.throws(() => loadConfig({ TENANT_RESOLUTION_MODE: 'cookie' }), /must be one of token, header, subdomain, fixed/);
});
