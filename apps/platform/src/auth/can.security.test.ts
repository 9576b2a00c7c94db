import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { expect401, expectError, uniqueName, useSecure, type Secure } from './security-harness.js';

const PASSWORD = 'can-user-password-1';

async function userWith(h: Secure, admin: string, subjects: string[]): Promise<string> {
  const username = uniqueName('can');
  const created = await h.call('/identity/users', { token: admin, body: { username, password: PASSWORD, status: 'active', subjects } });
  assert.equal(created.status, 201, created.text);
  return (await h.login(username, PASSWORD)).access_token;
}

const can = (h: Secure, token: string, body: unknown, headers: Record<string, string> = {}) => h.call('/auth/can', { token, body, headers });

for (const shape of storeShapes()) {
  describe(`POST /auth/can on ${shape.name}`, () => {
    const h = useSecure(shape);

    test('seed 003 as written: the admin may read identity:users, and the reason names the policy', async () => {
      const { access_token: admin } = await h.login();
      const reply = await can(h, admin, { action: 'read', resource: 'identity:users' });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.body, { data: { can: true, reason: 'policy matched: builtin:admin' } });
    });

    test('RBAC config and grants decide for users, with possessions; changes apply on the next request', async () => {
      const { access_token: admin } = await h.login();
      const rbac = await h.call('/context/configs', {
        token: admin,
        body: { key: 'RBAC', value: [{ domain: h.domain, roles: { writer: ['stats_manage'] }, permissions: { stats_manage: ['read_own_special_stats', 'create_own_special_stats'] } }] },
      });
      assert.equal(rbac.status, 201, rbac.text);
      const writer = await userWith(h, admin, ['writer']);
      assert.equal((await can(h, writer, { action: 'read', resource: 'special:stats' })).body.data.can, true);
      assert.equal((await can(h, writer, { action: 'read:own', object: 'special/stats' })).body.data.can, true, 'object is accepted for resource');
      const client = (await can(h, writer, { action: 'read:client', resource: 'special:stats' })).body.data;
      assert.deepEqual(client, { can: false, reason: 'grants allow read only for own, not client' });
      const denied = (await can(h, writer, { action: 'delete', resource: 'special:stats' })).body.data;
      assert.equal(denied.can, false);
      assert.match(denied.reason, /no grant of writer@.* allows delete on special:stats/);
      const explained = await can(h, writer, { action: 'create', resource: 'special:stats' }, { 'x-can-with-policies': 'true' });
      assert.deepEqual(explained.body.data.policies.map((p: any) => [p.source, p.action, p.object]),
        [['rbac:writer/stats_manage/create_own_special_stats', 'create:own', 'special:stats']]);

      const grant = await h.call('/auth/grants', { token: admin, body: { subject: 'writer', action: 'delete:own', object: 'special:all' } });
      assert.equal(grant.status, 201, grant.text);
      assert.equal((await can(h, writer, { action: 'delete:own', resource: 'special:stats' })).body.data.can, true, 'a new grant counts at once');
      assert.equal((await h.call(`/auth/grants/${grant.body.data.id}`, { token: admin, method: 'DELETE' })).status, 200);
      assert.equal((await can(h, writer, { action: 'delete:own', resource: 'special:stats' })).body.data.can, false, 'a revoked grant denies at once');
      const emptied = await h.call(`/context/configs/${rbac.body.data.id}`, { token: admin, method: 'PATCH', body: { value: [] } });
      assert.equal(emptied.status, 200, emptied.text);
      assert.equal((await can(h, writer, { action: 'read', resource: 'special:stats' })).body.data.can, false, 'an RBAC change counts at once');
    });

    test('both gates: a grant does not lift a narrower token scope', async () => {
      const { access_token: admin } = await h.login();
      const apt = await h.call('/auth/apts', { token: admin, body: { name: uniqueName('apt'), scope: 'read:special' } });
      const reply = await can(h, apt.body.data.token, { action: 'update', resource: 'special:stats' });
      assert.deepEqual(reply.body.data, { can: false, reason: 'the token lacks the scope write:special:stats' });
    });

    test('bad input: 400 with the reason, 422 for a grant that cannot work, 401 without a token', async () => {
      const { access_token: admin } = await h.login();
      expect401(await h.call('/auth/can', { body: { action: 'read', resource: 'identity:users' } }));
      expectError(await can(h, admin, { action: 'read', resource: 'nope:none' }), 400, 'BAD_REQUEST');
      expectError(await can(h, admin, { action: 'write', resource: 'identity:users' }), 400, 'BAD_REQUEST');
      expectError(await can(h, admin, { action: 'read' }), 400, 'BAD_REQUEST');
      expectError(await can(h, admin, { action: 'read', resource: 'identity:users', extra: 1 }), 400, 'UNKNOWN_FIELD');
      for (const body of [{ subject: 'x', action: 'read:mine', object: 'all' }, { subject: 'x', action: 'read', object: 'Nope' }, { subject: 'x', action: 'read', object: 'all', time: ['* * *'] }]) {
        const reply = await h.call('/auth/grants', { token: admin, body });
        expectError(reply, 422, 'VALIDATION_FAILED');
      }
    });
  });
}
