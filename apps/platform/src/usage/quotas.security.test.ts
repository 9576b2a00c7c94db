import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootstrapRoot, CollectionEngine, loadConfig, type Store } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { createPlatformClient } from '@stratum/sdk';
import { createApt, expectError, startSecure, uniqueDomain, type Reply, type Secure } from '../auth/security-harness.js';

/**
 * Plan quotas and usage (DESIGN 6.5) with real tokens: the operator (the root tenant's admin)
 * sets plans; a tenant's admin reads its usage but cannot touch its plan; over a quota the
 * answers are the one error shape with Retry-After and RateLimit-*. With REDIS_URL a second
 * node serves the same tenants and every count is shared.
 */

const PASSWORD = 'tenant-admin-password';
const REDIS = process.env.REDIS_URL ?? '';

interface Tenant { domain: string; admin: string }

/** A tenant with its own root client and admin, made as the platform bootstraps its own; returns its admin's token. */
async function createTenant(h: Secure, prefix: string): Promise<Tenant> {
  const domain = uniqueDomain(prefix);
  const auth = loadConfig({ STRATUM_ROOT_DOMAIN: domain, STRATUM_ADMIN_PASSWORD: PASSWORD }).auth;
  await h.platform.identity.tenants.create({ domain });
  await bootstrapRoot(auth, h.platform.identity.tenants, h.platform.app.get(CollectionEngine), h.platform.registry);
  const admin = (await h.login(auth.adminEmail, PASSWORD, {}, { 'x-domain': domain })).access_token;
  return { domain, admin };
}

const ok = (reply: Reply, status = 200) => {
  assert.equal(reply.status, status, reply.text);
  return reply.body;
};

/** Seconds from now to the start of the next UTC month: what Retry-After says over the month's quota. */
function secondsToNextMonth(): number {
  const now = new Date();
  return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000;
}

for (const shape of storeShapes()) {
  describe(`plans and usage on ${shape.name}${REDIS ? ' with Redis, on two nodes' : ''}`, () => {
    let store: Store;
    let a: Secure;
    /** The second node (REDIS_URL only); else the same node. */
    let b: Secure;
    let root: string;

    before(async () => {
      store = await shape.open();
      a = await startSecure(store, { REDIS_URL: REDIS });
      b = REDIS ? await startSecure(store, { REDIS_URL: REDIS, STRATUM_ROOT_DOMAIN: a.domain }) : a;
      root = (await a.login()).access_token;
    });
    after(async () => {
      if (b !== a) await b?.platform.close();
      await a?.platform.close();
      await store?.close();
    });

    const setPlan = async (domain: string, plan: Record<string, unknown>) =>
      ok(await a.call(`/tenants/${domain}/plan`, { method: 'PATCH', token: root, body: plan })).data;

    test('the operator sets a tenant\'s plan; the tenant\'s admin reads its usage but cannot read or change plans', async () => {
      const t = await createTenant(a, 'plan');
      const usage = ok(await a.call('/usage', { token: t.admin })).data;
      assert.deepEqual(Object.keys(usage).sort(), ['documents', 'period_end', 'period_start', 'plan', 'requests', 'tenant']);
      assert.equal(usage.tenant, t.domain);
      assert.deepEqual(usage.plan, { requests_per_month: null, documents: null, rate_per_second: null });
      assert.ok(usage.requests >= 1 && usage.documents >= 2, JSON.stringify(usage));
      assert.equal(Date.parse(usage.period_end) - Date.parse(usage.period_start) >= 28 * 86_400_000, true);
      assert.equal(new Date(usage.period_start).getUTCDate(), 1);

      for (const domain of [t.domain, a.domain]) {
        expectError(await a.call(`/tenants/${domain}/plan`, { method: 'PATCH', token: t.admin, body: { requests_per_month: 1e12 } }), 403, 'FORBIDDEN');
        expectError(await a.call(`/tenants/${domain}/plan`, { token: t.admin }), 403, 'FORBIDDEN');
        expectError(await a.call(`/tenants/${domain}/usage`, { token: t.admin }), 403, 'FORBIDDEN');
      }

      const plan = await setPlan(t.domain, { documents: 1000, rate_per_second: 50 });
      assert.deepEqual([plan.tenant, plan.requests_per_month, plan.documents, plan.rate_per_second], [t.domain, null, 1000, 50]);
      assert.match(plan.updated_by, new RegExp(`@${a.domain.replace(/\./g, '\\.')}$`));
      assert.deepEqual(ok(await a.call(`/tenants/${t.domain}/plan`, { token: root })).data, plan);
      assert.deepEqual((await setPlan(t.domain, { documents: null })).rate_per_second, 50, 'a change keeps the limits it does not name');
      const seen = await createPlatformClient({ baseUrl: b.url, token: t.admin }).usage();
      assert.deepEqual(seen.plan, { requests_per_month: null, documents: null, rate_per_second: 50 });
      const operator = ok(await a.call(`/tenants/${t.domain}/usage`, { token: root })).data;
      assert.equal(operator.tenant, t.domain);
    });

    test('usage needs the tenant\'s admin: a user without a grant on domain:usage and a token without the scope are 403', async () => {
      const t = await createTenant(a, 'reader');
      const user = ok(await a.call('/identity/users', { token: t.admin, body: { username: 'plain', password: 'plain-user-password', status: 'active' } }), 201);
      assert.ok(user.data.id);
      const plain = (await a.login('plain', 'plain-user-password', {}, { 'x-domain': t.domain })).access_token;
      expectError(await a.call('/usage', { token: plain }), 403, 'FORBIDDEN');
      const apt = await createApt(a, t.admin, 'read:context');
      expectError(await a.call('/usage', { token: apt.token }), 403, 'SCOPE_MISSING');
      ok(await a.call('/auth/grants', { token: t.admin, body: { subject: 'billing', action: 'read', object: 'domain:usage' } }), 201);
      ok(await a.call(`/identity/users/${user.data.id}`, { method: 'PATCH', token: t.admin, body: { subjects: ['billing'] } }));
      const billing = (await a.login('plain', 'plain-user-password', {}, { 'x-domain': t.domain })).access_token;
      assert.equal(ok(await a.call('/usage', { token: billing })).data.tenant, t.domain, 'a grant on domain:usage is enough');
    });

    test('bad plan input is refused in the one error shape, naming the field', async () => {
      const t = await createTenant(a, 'bad');
      const path = `/tenants/${t.domain}/plan`;
      const patch = (body: unknown) => a.call(path, { method: 'PATCH', token: root, body });
      expectError(await patch({ documents: 10, tier: 'gold' }), 400, 'UNKNOWN_FIELD');
      const invalid = expectError(await patch({ documents: -1, rate_per_second: 'fast', requests_per_month: 2.5 }), 422, 'VALIDATION_FAILED');
      assert.deepEqual((invalid.details as { path: string }[]).map((d) => d.path), ['requests_per_month', 'documents', 'rate_per_second']);
      expectError(await patch({ documents: 0 }), 422, 'VALIDATION_FAILED');
      expectError(await patch({}), 400, 'BAD_REQUEST');
      expectError(await patch([1]), 400, 'BAD_REQUEST');
      expectError(await a.call(path, { method: 'PATCH', token: root, body: '{"documents":', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
      expectError(await a.call(`/tenants/${uniqueDomain('nobody')}/plan`, { method: 'PATCH', token: root, body: { documents: 1 } }), 404, 'NOT_FOUND');
      assert.deepEqual(ok(await a.call(path, { token: root })).data.documents, null, 'nothing was changed');
    });

    test('over the month\'s requests: 429 QUOTA_EXCEEDED with Retry-After and RateLimit-*, counted on every node; usage stays readable', async () => {
      const t = await createTenant(a, 'month');
      const used = ok(await a.call('/usage', { token: t.admin })).data.requests as number;
      await setPlan(t.domain, { requests_per_month: used + 2 });
      const first = await a.call('/context/settings', { token: t.admin });
      const second = await b.call('/context/settings', { token: t.admin });
      assert.deepEqual([first.status, second.status], [200, 200]);
      assert.deepEqual([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')], [String(used + 2), '1']);
      assert.equal(second.headers.get('ratelimit-remaining'), '0');
      const reset = Number(first.headers.get('ratelimit-reset'));
      assert.ok(Math.abs(reset - secondsToNextMonth()) < 120, `RateLimit-Reset ${reset} is the seconds to the next month`);

      for (const node of [a, b]) {
        const refused = await node.call('/context/settings', { token: t.admin });
        const error = expectError(refused, 429, 'QUOTA_EXCEEDED');
        assert.match(error.message as string, new RegExp(`used the ${used + 2} requests of its plan`));
        assert.deepEqual(error.details, [{ path: 'requests_per_month', message: `${used + 2} of ${used + 2} used` }]);
        assert.equal(refused.headers.get('retry-after'), refused.headers.get('ratelimit-reset'));
        assert.ok(Math.abs(Number(refused.headers.get('retry-after')) - secondsToNextMonth()) < 120);
        assert.equal(refused.headers.get('ratelimit-remaining'), '0');
      }
      expectError(await a.call('/auth/verify', { token: t.admin }), 429, 'QUOTA_EXCEEDED');
      const usage = ok(await b.call('/usage', { token: t.admin })).data;
      assert.equal(usage.requests, used + 3, 'refused requests are not counted; reading the usage is');
      await setPlan(t.domain, { requests_per_month: null });
      const after = await a.call('/context/settings', { token: t.admin });
      assert.equal(after.status, 200, after.text);
      assert.equal(after.headers.get('ratelimit-limit'), null, 'without a limit there is nothing to report');
    });

    test('over the plan\'s rate: 429 RATE_LIMITED with Retry-After', async () => {
      const t = await createTenant(a, 'rate');
      await setPlan(t.domain, { rate_per_second: 1 });
      // Back-to-back requests: one of a few lands in the same second as the one before it.
      let refused: Reply | undefined;
      for (let i = 0; i < 6 && !refused; i++) {
        const reply = await (i % 2 ? b : a).call('/context/settings', { token: t.admin });
        if (reply.status !== 200) refused = reply;
      }
      assert.ok(refused, 'a request over 1/s was refused');
      expectError(refused, 429, 'RATE_LIMITED');
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(refused.headers.get('ratelimit-limit'), '1');
    });

    test('over the documents quota creates are 403 DOCUMENT_QUOTA_EXCEEDED, while reads, updates, deletes and sign-ins go on', async () => {
      const t = await createTenant(a, 'docs');
      const documents = ok(await a.call('/usage', { token: t.admin })).data.documents as number;
      await setPlan(t.domain, { documents: documents + 1 });
      const made = ok(await a.call('/context/settings', { token: t.admin, body: { key: 'last-one' } }), 201).data;
      const refused = expectError(await b.call('/context/settings', { token: t.admin, body: { key: 'one-too-many' } }), 403, 'DOCUMENT_QUOTA_EXCEEDED');
      assert.match(refused.message as string, new RegExp(`has ${documents + 1} of its plan's ${documents + 1} documents`));
      expectError(await a.call('/special/stats/bulk', { token: t.admin, body: { items: [{ key: 'a' }] } }), 403, 'DOCUMENT_QUOTA_EXCEEDED');
      assert.equal(ok(await b.call('/usage', { token: t.admin })).data.documents, documents + 1);

      assert.equal(ok(await b.call(`/context/settings/${made.id}`, { token: t.admin })).data.key, 'last-one');
      assert.equal(ok(await a.call(`/context/settings/${made.id}`, { method: 'PATCH', token: t.admin, body: { value: 2 } })).data.value, 2);
      await a.login(`admin@${t.domain}`, PASSWORD, {}, { 'x-domain': t.domain });
      ok(await b.call(`/context/settings/${made.id}`, { method: 'DELETE', token: t.admin }));
      ok(await a.call(`/context/settings/${made.id}/destroy`, { method: 'DELETE', token: t.admin }));
    });

    test('restoring a soft-deleted document counts like a create: refused when it would pass the documents quota', async () => {
      const t = await createTenant(a, 'restore');
      const documents = ok(await a.call('/usage', { token: t.admin })).data.documents as number;
      await setPlan(t.domain, { documents: documents + 1 });
      const made = ok(await a.call('/context/settings', { token: t.admin, body: { key: 'deleted-then-restored' } }), 201).data;
      ok(await a.call(`/context/settings/${made.id}`, { method: 'DELETE', token: t.admin }));
      // The live documents are back to `documents`: a plan of exactly that leaves no room for the restore.
      await setPlan(t.domain, { documents });
      expectError(await b.call(`/context/settings/${made.id}/restore`, { method: 'PUT', token: t.admin }), 403, 'DOCUMENT_QUOTA_EXCEEDED');
      // Deletes are seen at the next count, so room is certain only with one more.
      await setPlan(t.domain, { documents: documents + 2 });
      ok(await a.call(`/context/settings/${made.id}/restore`, { method: 'PUT', token: t.admin }));
    });

    test('with Redis both nodes count one total, and what they write to the database adds up to it', { skip: !REDIS && 'REDIS_URL is not set' }, async () => {
      const t = await createTenant(a, 'nodes');
      const before = ok(await a.call('/usage', { token: t.admin })).data.requests as number;
      for (let i = 0; i < 6; i++) ok(await (i % 2 ? b : a).call('/context/settings', { token: t.admin }));
      const usage = ok(await b.call('/usage', { token: t.admin })).data;
      assert.equal(usage.requests, before + 7);
      assert.equal(ok(await a.call(`/tenants/${t.domain}/usage`, { token: root })).data.requests, before + 7);
      await a.platform.usage.requests.flush();
      await b.platform.usage.requests.flush();
      const stored = await store.query<{ requests: string | number }>('SELECT requests FROM stratum_usage WHERE tenant_id = $1', [t.domain]);
      assert.equal(Number(stored.rows[0].requests), before + 7);
    });
  });
}
