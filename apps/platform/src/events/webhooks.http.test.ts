import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { createApt, createClient, expectError, useSecure, type Secure } from '../auth/security-harness.js';
import { WEBHOOK_TEST_ENV } from '../testing/webhook-env.js';
import { WebhookReceiver, type Received } from '../testing/webhook-receiver.js';

const PAYLOAD_KEYS = new Set(['id', 'ts_ms', 'op', 'topic', 'source', 'after', 'before']);

async function setup(h: Secure, admin: string, receiver: WebhookReceiver, value: Record<string, unknown> = {}): Promise<void> {
  const config = await h.call('/context/configs', {
    token: admin,
    body: { eid: h.rootClientId, key: 'CQRS', value: { webhook: receiver.url, authorization: 'Bearer shared-secret', ...value } },
  });
  assert.equal(config.status, 201, config.text);
  const secret = await h.call(`/events/webhooks/${h.rootClientId}/secret`, { token: admin });
  assert.equal(secret.status, 200, secret.text);
  assert.match(secret.body.data.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  receiver.secrets = [secret.body.data.secret];
}

const ids = (list: Received[]) => list.map((r) => `${r.body.op}:${r.body.id}`);

for (const shape of storeShapes()) {
  describe(`webhooks on ${shape.name}`, () => {
    const h = useSecure(shape, WEBHOOK_TEST_ENV);
    const receiver = new WebhookReceiver();
    let admin = '';
    before(async () => {
      await receiver.start();
      admin = (await h.login()).access_token;
      await setup(h, admin, receiver, { collections: ['special/stats', 'context/settings', 'identity/users'] });
    });
    after(() => receiver.stop());

    test('every change of a document of the client arrives signed, in order, with the configured Authorization', async () => {
      const created = await h.call('/special/stats', { token: admin, body: { key: 'hook', value: 1 } });
      const id = created.body.data.id;
      await h.call(`/special/stats/${id}`, { token: admin, method: 'PATCH', body: { value: 2 } });
      await h.call(`/special/stats/${id}`, { token: admin, method: 'DELETE' });
      const got = await receiver.until((list) => list.filter((r) => r.body.id === id).length >= 3);
      const mine = got.filter((r) => r.body.id === id);
      assert.deepEqual(mine.map((r) => r.body.op), ['c', 'u', 'd']);
      for (const r of mine) {
        assert.equal(r.verified, true, 'the Standard Webhooks signature verifies');
        assert.equal(r.headers.authorization, 'Bearer shared-secret');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.deepEqual(Object.keys(r.body).filter((k) => !PAYLOAD_KEYS.has(k)), [], 'the body is the CqrsPayload of seed 000');
        assert.deepEqual(r.body.source, { name: 'stratum', db: 'special', collection: 'stats' });
        assert.equal(r.body.topic, 'special.stats');
      }
      assert.deepEqual(mine.map((r) => Number(r.headers['stratum-document-version'])), [1, 2, 3]);
      const positions = mine.map((r) => Number(r.headers['stratum-event-position']));
      assert.deepEqual([...positions].sort((a, b) => a - b), positions);
      assert.equal(mine[1].body.before.value, 1);
      assert.equal(mine[1].body.after.value, 2);
    });

    test('write-only fields never leave in events, and filters keep other collections out', async () => {
      const user = await h.call('/identity/users', { token: admin, body: { username: `hook-${Date.now()}`, password: 'a-long-password-1', status: 'active' } });
      assert.equal(user.status, 201, user.text);
      const profile = await h.call('/identity/profiles', { token: admin, body: { first_name: 'not subscribed' } });
      assert.equal(profile.status, 201, profile.text);
      const marker = await h.call('/special/stats', { token: admin, body: { key: 'after-user', value: 1 } });
      const got = await receiver.until((list) => list.some((r) => r.body.id === marker.body.data.id));
      const event = got.find((r) => r.body.id === user.body.data.id)!;
      assert.ok(event, 'the user event arrived');
      assert.equal(JSON.stringify(event.body).includes('password'), false, 'no password, nor its hash');
      assert.equal(got.some((r) => r.body.id === profile.body.data.id), false, 'identity/profiles is not in the filter');
    });

    test('a rolled-back write sends nothing', async () => {
      const bulk = await h.call('/context/settings/bulk', { token: admin, body: [{ key: 'ok' }, { key: 'bad', unknown_field: 1 }] });
      assert.ok(bulk.status >= 400, bulk.text);
      const rolled = await h.call('/context/configs', { token: admin, body: { eid: '0123456789abcdef01234567', key: 'CQRS', value: { webhook: receiver.url } } });
      expectError(rolled, 422, 'VALIDATION_FAILED');
      const marker = await h.call('/special/stats', { token: admin, body: { key: 'after-rollback', value: 1 } });
      const got = await receiver.until((list) => list.some((r) => r.body.id === marker.body.data.id));
      assert.equal(got.some((r) => r.body.after?.key === 'ok' || r.body.after?.key === 'bad'), false);
    });

    test('a receiver that is down gets everything once it is up, in order per document', async () => {
      receiver.mode = 'fail';
      const docs: string[] = [];
      for (let i = 0; i < 3; i++) docs.push((await h.call('/special/stats', { token: admin, body: { key: `down-${i}`, value: 0 } })).body.data.id);
      for (const id of docs) await h.call(`/special/stats/${id}`, { token: admin, method: 'PATCH', body: { value: 1 } });
      await receiver.until((list) => list.filter((r) => !r.ok).length >= 3);
      receiver.mode = 'ok';
      await receiver.until(() => docs.every((id) => receiver.accepted().filter((r) => r.body.id === id).length === 2));
      for (const id of docs) {
        const versions = receiver.received.filter((r) => r.body.id === id).map((r) => Number(r.headers['stratum-document-version']));
        assert.ok(versions.every((v, i) => i === 0 || v >= versions[i - 1]), `versions ${versions.join(',')} never go back for ${id}`);
        assert.equal(Math.max(...versions), 2);
      }
      const state = await h.call(`/events/webhooks/${h.rootClientId}`, { token: admin });
      assert.equal(state.body.data.state, 'active', 'failures within the attempt budget do not pause');
    });

    test('a poison endpoint: dead letter after the attempts, paused and reported; resume and replay deliver', async () => {
      receiver.mode = 'fail';
      const doc = (await h.call('/special/stats', { token: admin, body: { key: 'poison', value: 1 } })).body.data.id;
      await receiver.until((list) => list.filter((r) => r.body.id === doc).length >= 4);
      let state: any;
      for (let i = 0; i < 50 && state?.state !== 'paused'; i++) {
        state = (await h.call(`/events/webhooks/${h.rootClientId}`, { token: admin })).body.data;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(state.state, 'paused');
      assert.match(state.paused_reason, /failed 4 attempts/);
      assert.equal(state.dead, 1);
      const dead = await h.call(`/events/webhooks/${h.rootClientId}/deliveries?status=dead`, { token: admin });
      assert.deepEqual(dead.body.items.map((d: any) => d.document_id), [doc]);
      const detail = await h.call(`/events/webhooks/${h.rootClientId}/deliveries/${dead.body.items[0].event_id}`, { token: admin });
      assert.deepEqual(detail.body.data.attempt_log.map((a: any) => [a.attempt, a.status_code]), [[1, 500], [2, 500], [3, 500], [4, 500]]);
      const whilePaused = (await h.call('/special/stats', { token: admin, body: { key: 'queued-while-paused', value: 1 } })).body.data.id;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.received.some((r) => r.body.id === whilePaused), false, 'nothing is sent while paused');
      receiver.mode = 'ok';
      await h.call(`/events/webhooks/${h.rootClientId}/resume`, { token: admin, body: {} });
      await receiver.until(() => receiver.accepted().some((r) => r.body.id === whilePaused));
      assert.equal(receiver.accepted().some((r) => r.body.id === doc), false, 'a dead letter waits for a replay');
      const position = dead.body.items[0].position;
      const replay = await h.call(`/events/webhooks/${h.rootClientId}/replay`, { token: admin, body: { from: position, to: position } });
      assert.deepEqual(replay.body.data, { queued: 1 });
      await receiver.until(() => receiver.accepted().some((r) => r.body.id === doc));
    });

    test('redelivery keeps the webhook-id; a rotated secret signs beside the old one during the overlap', async () => {
      const doc = (await h.call('/special/stats', { token: admin, body: { key: 'again', value: 1 } })).body.data.id;
      const first = (await receiver.until((list) => list.some((r) => r.body.id === doc && r.ok))).find((r) => r.body.id === doc)!;
      const old = receiver.secrets[0];
      const rotated = await h.call(`/events/webhooks/${h.rootClientId}/secret/rotate`, { token: admin, body: {} });
      assert.notEqual(rotated.body.data.secret, old);
      assert.ok(rotated.body.data.previous_expires_at);
      receiver.secrets = [rotated.body.data.secret];
      const path = `/events/webhooks/${h.rootClientId}/deliveries/${first.id}`;
      // The receiver has answered; the dispatcher records the attempt in its next round.
      for (let i = 0; i < 100 && (await h.call(path, { token: admin })).body.data.status !== 'delivered'; i++) await new Promise((r) => setTimeout(r, 20));
      const again = await h.call(`${path}/redeliver`, { token: admin, body: {} });
      assert.equal(again.status, 200, again.text);
      const copies = await receiver.until((list) => list.filter((r) => r.id === first.id).length >= 2);
      const second = copies.filter((r) => r.id === first.id)[1];
      assert.equal(second.verified, true, 'the new secret verifies');
      assert.equal(String(second.headers['webhook-signature']).split(' ').length, 2, 'old and new signatures during the overlap');
    });

    test('operating webhooks needs manage:context:configs; bad input is a clear error', async () => {
      const reader = await createApt(h, admin, 'read:context:configs');
      expectError(await h.call('/events/webhooks', { token: reader.token }), 403, 'SCOPE_MISSING');
      expectError(await h.call('/events/webhooks/0123456789abcdef01234567', { token: admin }), 404, 'NOT_FOUND');
      expectError(await h.call('/events/webhooks/not-an-id', { token: admin }), 400, 'INVALID_ID');
      expectError(await h.call(`/events/webhooks/${h.rootClientId}/replay`, { token: admin, body: { from: -1 } }), 400, 'BAD_REQUEST');
      expectError(await h.call(`/events/webhooks/${h.rootClientId}/replay`, { token: admin, body: { from: 1, extra: 1 } }), 400, 'UNKNOWN_FIELD');
      expectError(await h.call(`/events/webhooks/${h.rootClientId}/deliveries?status=lost`, { token: admin }), 400, 'BAD_REQUEST');
      expectError(await h.call(`/events/webhooks/${h.rootClientId}/deliveries?limit=0`, { token: admin }), 400, 'INVALID_PAGINATION');
      const listed = await h.call('/events/webhooks', { token: admin });
      assert.deepEqual(listed.body.items.map((e: any) => e.client), [h.rootClientId]);
      const other = await createClient(h, admin, {});
      for (const value of [{ webhook: 'ftp://x' }, { webhook: 'http://user:pw@x/' }, { webhook: receiver.url, retries: 3 }, { webhook: receiver.url, ops: ['x'] }, { webhook: receiver.url, collections: ['no/such'] }]) {
        const reply = await h.call('/context/configs', { token: admin, body: { eid: other, key: 'CQRS', value } });
        expectError(reply, 422, 'VALIDATION_FAILED');
      }
    });

    test('every delivery verified with the spec-only receiver; the event plane shows in /metrics', async () => {
      assert.ok(receiver.received.length > 20);
      assert.deepEqual(receiver.received.filter((r) => !r.verified).map((r) => r.id), []);
      const metrics = (await h.call('/metrics')).text;
      const delivered = /^stratum_events_dispatched\{outcome="delivered"\} (\d+)/m.exec(metrics);
      assert.ok(delivered && Number(delivered[1]) > 0, 'delivered attempts are counted');
      assert.match(metrics, /^stratum_webhook_endpoints\{state="paused"\} \d+/m);
      assert.match(metrics, /^stratum_webhook_deliveries_open\{status="dead"\} \d+/m);
    });
  });
}

describe('a stopping dispatcher', () => {
  // Embedded only: on the shared PostgreSQL another suite's dispatcher could take the handed-back delivery at once.
  const [embedded] = storeShapes();
  const h = useSecure(embedded, { ...WEBHOOK_TEST_ENV, WEBHOOK_CONCURRENCY: '1', WEBHOOK_TIMEOUT_MS: '10000' });
  const receiver = new WebhookReceiver();
  after(() => receiver.stop());

  test('hands back what it claimed ahead but never sent, without counting an attempt', async () => {
    await receiver.start();
    receiver.delayMs = 2500;
    const admin = (await h.login()).access_token;
    await setup(h, admin, receiver, { collections: ['special/stats'] });
    for (const key of ['first', 'second', 'third']) {
      assert.equal((await h.call('/special/stats', { token: admin, body: { key, value: 1 } })).status, 201);
    }
    const deadline = Date.now() + 10_000;
    while (receiver.arrived === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(receiver.arrived, 1, 'one slot: one attempt in flight');
    const states = () => h.store.query<{ status: string; attempts: number; attempts_total: number }>(
      'SELECT status, attempts, attempts_total FROM stratum_deliveries WHERE tenant_id = $1 ORDER BY position', [h.domain]);
    const settled = (rows: { status: string }[]) => rows.length === 3 && rows.filter((r) => r.status === 'delivering').length === 2;
    while (!settled((await states()).rows) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual((await states()).rows.map((r) => r.status), ['delivering', 'delivering', 'pending'], 'one in flight, one claimed ahead');
    assert.equal(receiver.arrived, 1);
    await h.platform.dispatcher!.stop();
    const rows = await states();
    assert.deepEqual(rows.rows.map((r) => [r.status, r.attempts, r.attempts_total]),
      [['delivered', 1, 1], ['pending', 0, 0], ['pending', 0, 0]], 'the attempt in flight finished; the others wait, untried');
    assert.equal(receiver.accepted().length, 1);
  });
});
