import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { createApt, expect401, expectError, useSecure, type Secure } from '../auth/security-harness.js';

async function create(h: Secure, token: string, path: string, body: unknown): Promise<string> {
  const reply = await h.call(path, { token, body });
  assert.equal(reply.status, 201, reply.text);
  return reply.body.data.id;
}

// The live stream (SSE) has its suite: events.live.test.ts.
for (const shape of storeShapes()) {
  describe(`GET /events on ${shape.name}`, () => {
    const h = useSecure(shape);

    test('JSON pages in position order, limited to the collections the token may read', async () => {
      const { access_token: admin } = await h.login();
      const start = (await h.call('/events?limit=500', { token: admin })).body.items.at(-1)?.position ?? 0;
      const stat = await create(h, admin, '/special/stats', { key: 'feed', value: 1 });
      const setting = await create(h, admin, '/context/settings', { key: 'feed', value: 2 });
      const all = await h.call(`/events?after=${start}`, { token: admin });
      assert.equal(all.status, 200, all.text);
      assert.deepEqual(all.body.items.map((e: any) => [e.op, e.id, e.topic]), [['c', stat, 'special.stats'], ['c', setting, 'context.settings']]);
      assert.equal(all.body.items[1].position, all.body.items[0].position + 1);
      const apt = await createApt(h, admin, 'read:special:stats');
      const narrow = await h.call(`/events?after=${start}`, { token: apt.token });
      assert.deepEqual(narrow.body.items.map((e: any) => e.id), [stat], 'a settings event is not readable with read:special:stats');
      const paged = await h.call(`/events?after=${start}&limit=1`, { token: admin });
      assert.deepEqual(paged.body.items.map((e: any) => e.id), [stat]);
      expect401(await h.call('/events'));
      expectError(await h.call('/events?after=-1', { token: admin }), 400, 'INVALID_PAGINATION');
      expectError(await h.call('/events?limit=100000', { token: admin }), 400, 'INVALID_PAGINATION');
    });

    test('writes the auth services make are events too: an APT as stored, the revocation of its session', async () => {
      const { access_token: admin } = await h.login();
      const start = (await h.call('/events?limit=500', { token: admin })).body.items.at(-1)?.position ?? 0;
      const apt = await createApt(h, admin, 'read:special:stats');
      const removed = await h.call(`/auth/apts/${apt.id}`, { token: admin, method: 'DELETE' });
      assert.equal(removed.status, 200, removed.text);
      const events = (await h.call(`/events?after=${start}&limit=100`, { token: admin })).body.items;
      const created = events.find((e: any) => e.topic === 'auth.apts' && e.op === 'c');
      assert.equal(created.after.scope, 'read:special:stats', 'the event shows the fields the create stored');
      assert.equal(JSON.stringify(created).includes(apt.token), false, 'never the token');
      assert.equal(JSON.stringify(created).includes('token_hash'), false);
      const revoked = events.find((e: any) => e.topic === 'identity.sessions' && e.op === 'u' && e.id === created.after.session);
      assert.ok(revoked?.after.revoked_at, 'the session revocation is an update event');
      assert.equal(revoked.after.version, revoked.before.version + 1);
    });
  });
}
