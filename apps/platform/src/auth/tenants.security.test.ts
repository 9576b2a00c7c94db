import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { bootstrapRoot, CollectionEngine, loadConfig } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { createApt, expect401, expectError, uniqueDomain, uniqueName, useSecure, type Secure } from './security-harness.js';

/** Tenant isolation with real tokens: a user of tenant B never reaches tenant A's documents. */

const B_PASSWORD = 'tenant-b-admin-password';

interface TenantB { domain: string; email: string; clientId: string; clientSecret: string }

/** A second tenant with its own root client and admin, made as the platform bootstraps its own. */
async function createTenantB(h: Secure): Promise<TenantB> {
  const domain = uniqueDomain('sec-b');
  const auth = loadConfig({ STRATUM_ROOT_DOMAIN: domain, STRATUM_ADMIN_PASSWORD: B_PASSWORD }).auth;
  await h.platform.identity.tenants.create({ domain });
  const engine = h.platform.app.get(CollectionEngine);
  const made = await bootstrapRoot(auth, h.platform.identity.tenants, engine, h.platform.registry);
  assert.equal(made.tenant, domain);
  return { domain, email: auth.adminEmail, clientId: made.clientId, clientSecret: made.created!.clientSecret };
}

const q = (filter: unknown) => encodeURIComponent(JSON.stringify(filter));

for (const shape of storeShapes()) {
  describe(`tenant isolation on ${shape.name}`, () => {
    const h = useSecure(shape);
    const s = {} as { b: TenantB; adminA: string; adminB: string; settingA: string; key: string };

    before(async () => {
      s.b = await createTenantB(h);
      s.adminA = (await h.login()).access_token;
      s.adminB = (await h.login(s.b.email, B_PASSWORD, {}, { 'x-domain': s.b.domain })).access_token;
      s.key = uniqueName('secret-of-a');
      const created = await h.call('/context/settings', { token: s.adminA, body: { key: s.key, value: { pin: 1234 } } });
      assert.equal(created.status, 201, created.text);
      s.settingA = created.body.data.id;
    });

    it('B\'s admin signs in to B only; A\'s admin cannot sign in to B', async () => {
      const claims = (await h.call('/auth/verify', { token: s.adminB })).body.data;
      assert.equal(claims.domain, s.b.domain);
      assert.equal(claims.client_id, s.b.clientId);
      const viaBody = await h.call('/auth/token', { body: { username: s.b.email, password: B_PASSWORD, grant_type: 'password', domain: s.b.domain } });
      assert.equal(viaBody.status, 200, viaBody.text);
      expect401(await h.call('/auth/token', { body: { username: s.b.email, password: B_PASSWORD, grant_type: 'password' } }));
      expect401(await h.call('/auth/token', {
        headers: { 'x-domain': s.b.domain }, body: { username: h.adminEmail, password: 'security-admin-password-1', grant_type: 'password' },
      }));
      expect401(await h.call('/auth/token', {
        body: { username: s.b.email, password: B_PASSWORD, grant_type: 'password', client_id: h.rootClientId },
      }));
    });

    it('B cannot read A\'s document by id, list, count or cursor', async () => {
      const token = s.adminB;
      expectError(await h.call(`/context/settings/${s.settingA}`, { token }), 404, 'NOT_FOUND');
      const filter = q({ key: s.key });
      assert.deepEqual((await h.call(`/context/settings?query=${filter}`, { token })).body, { items: [] });
      assert.deepEqual((await h.call(`/context/settings/count?query=${filter}`, { token })).body, { total: 0 });
      const all = await h.call('/context/settings?query={}&limit=50', { token });
      assert.ok(!all.text.includes(s.settingA) && !all.text.includes(s.key));
      const cursor = await h.call('/context/settings/cursor', { token });
      assert.equal(cursor.status, 200);
      assert.ok(!cursor.text.includes(s.settingA), 'the cursor streams nothing of A');
      const deleted = await h.call(`/context/settings?query={}&limit=50`, { token, headers: { 'x-exclude-soft-delete-query': 'true' } });
      assert.ok(!deleted.text.includes(s.settingA));
      const users = await h.call(`/identity/users?query=${q({ email: h.adminEmail })}`, { token });
      assert.deepEqual(users.body, { items: [] }, 'A\'s admin is not a user of B');
    });

    it('B cannot change, delete, restore or destroy A\'s document', async () => {
      const token = s.adminB;
      const path = `/context/settings/${s.settingA}`;
      expectError(await h.call(path, { method: 'PATCH', token, body: { value: 'pwned' } }), 404, 'NOT_FOUND');
      expectError(await h.call(path, { method: 'DELETE', token }), 404, 'NOT_FOUND');
      expectError(await h.call(`${path}/restore`, { method: 'PUT', token }), 404, 'NOT_FOUND');
      expectError(await h.call(`${path}/destroy`, { method: 'DELETE', token }), 404, 'NOT_FOUND');
      const bulk = await h.call(`/context/settings/bulk?query=${q({ key: s.key })}`, { method: 'PATCH', token, body: { value: 'pwned' } });
      assert.deepEqual(bulk.body, { total: 0 });
      const still = await h.call(path, { token: s.adminA });
      assert.equal(still.status, 200);
      assert.deepEqual(still.body.data.value, { pin: 1234 });
      assert.equal(still.body.data.version, 1);
    });

    it('B\'s token, APT or api key with x-domain of A is 403 TENANT_MISMATCH; A\'s client ids are not B\'s coworkers', async () => {
      const apt = await createApt(h, s.adminB, 'read:context:settings');
      const key = await h.call(`/domain/clients/${s.b.clientId}/api-key`, { method: 'POST', token: s.adminB });
      assert.equal(key.status, 201, key.text);
      const credentials: Record<string, string>[] = [
        { authorization: `Bearer ${s.adminB}` }, { authorization: `Bearer ${apt.token}` }, { 'x-api-key': key.body.data.api_key },
      ];
      for (const auth of credentials) {
        const path = `/context/settings/${s.settingA}`;
        expectError(await h.call(path, { headers: { ...auth, 'x-domain': h.domain } }), 403, 'TENANT_MISMATCH');
        expectError(await h.call('/context/settings/count', { headers: { ...auth, 'x-domain': h.domain } }), 403, 'TENANT_MISMATCH');
        expectError(await h.call(path, { headers: { ...auth, 'x-domain': s.b.domain } }), 404, 'NOT_FOUND');
      }
      expectError(await h.call('/context/settings/count', { token: s.adminB, headers: { 'x-client-id': h.rootClientId } }), 403, 'FORBIDDEN');
      const foreignKey = await h.call(`/domain/clients/${h.rootClientId}/api-key`, { method: 'POST', token: s.adminB });
      expectError(foreignKey, 404, 'NOT_FOUND');
    });

    it('B\'s client can neither revoke nor introspect A\'s tokens', async () => {
      const a = await h.login();
      const auth = { client_id: s.b.clientId, client_secret: s.b.clientSecret };
      assert.deepEqual((await h.call('/auth/introspect', { body: { ...auth, token: a.access_token } })).body, { active: false });
      assert.equal((await h.call('/auth/revoke', { body: { ...auth, token: a.access_token } })).status, 200);
      assert.equal((await h.call('/auth/verify', { token: a.access_token })).status, 200, 'A\'s session lives on');
      assert.equal((await h.call('/auth/revoke', { body: { ...auth, token: a.refresh_token } })).status, 200);
      const refreshed = await h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: a.refresh_token } });
      assert.equal(refreshed.status, 200, refreshed.text);
    });

    it('sign-out everywhere in B leaves A alone, and A\'s sessions and APTs are invisible to B', async () => {
      const aptA = await createApt(h, s.adminA, 'read:context:settings');
      const sessionsB = await h.call('/identity/sessions?query={}&limit=50', { token: s.adminB });
      const aptsB = await h.call('/auth/apts?query={}&limit=50', { token: s.adminB });
      assert.ok(!aptsB.text.includes(aptA.id));
      const mine = (await h.call('/auth/verify', { token: s.adminA })).body.data.session;
      assert.ok(!sessionsB.text.includes(mine));
      expectError(await h.call(`/identity/sessions/${mine}`, { method: 'DELETE', token: s.adminB }), 404, 'NOT_FOUND');
      expectError(await h.call(`/auth/apts/${aptA.id}`, { method: 'DELETE', token: s.adminB }), 404, 'NOT_FOUND');
      const extra = await h.login(s.b.email, B_PASSWORD, {}, { 'x-domain': s.b.domain });
      assert.equal((await h.call('/auth/logout/all', { method: 'POST', token: extra.access_token })).status, 200);
      expect401(await h.call('/auth/verify', { token: s.adminB }));
      assert.equal((await h.call('/auth/verify', { token: s.adminA })).status, 200);
      assert.equal((await h.call('/context/settings/count', { token: aptA.token })).status, 200);
    });
  });
}
