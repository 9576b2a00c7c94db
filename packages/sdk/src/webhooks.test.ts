import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { CqrsPayload } from '@stratum/contracts';
import {
  applyChange, generateWebhookSecret, memoryChangeTarget, signWebhook, verifyWebhook, WebhookVerificationError,
  type ChangeTarget, type VerifiedWebhook, type VerifyWebhookOptions, type WebhookVerificationReason,
} from './index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = generateWebhookSecret();
const NOW = 1_700_000_000;
const MSG = 'msg_2hT8c0S3bYkq1';
const TOPIC = 'shop.orders';
const DOC = '65a1b2c3d4e5f60718293a4b';

type Doc = Record<string, unknown> & { version: number };
function change(op: CqrsPayload['op'], version: number, fields: Record<string, unknown> = {}): CqrsPayload<Doc> {
  const base = { id: DOC, ts_ms: NOW * 1000, op, topic: TOPIC, source: { name: 'stratum', db: 'shop', collection: 'orders' } };
  if (op === 'd') return { ...base, before: { id: DOC, version: version - 1, ...fields } };
  return { ...base, after: { id: DOC, version, ...fields } };
}

const BODY = JSON.stringify(change('u', 3, { total: 42, note: 'ünïcödé' }));

async function headersFor(body: string | Uint8Array, extra: Record<string, string> = {}, secret = SECRET, id = MSG, ts = NOW) {
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': await signWebhook(secret, id, ts, body), ...extra };
}

async function refusal(options: VerifyWebhookOptions): Promise<WebhookVerificationReason> {
  try {
    await verifyWebhook(options);
  } catch (error) {
    assert.ok(error instanceof WebhookVerificationError, `expected a WebhookVerificationError, got ${String(error)}`);
    return error.reason;
  }
  assert.fail('expected verification to fail');
}

const at = { now: NOW * 1000 };

describe('verifyWebhook', () => {
  it('accepts a signature computed independently from the spec with createHmac', async () => {
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key).update(`${MSG}.${NOW}.${BODY}`).digest('base64');
    const headers = { 'webhook-id': MSG, 'webhook-timestamp': String(NOW), 'webhook-signature': `v1,${signature}` };
    const verified = await verifyWebhook({ secret: SECRET, headers, body: BODY, ...at });
    assert.equal(verified.id, MSG);
    assert.equal(verified.timestamp, NOW);
    assert.deepEqual(verified.payload, JSON.parse(BODY));
  });

  it('signs the Standard Webhooks published test vector', async () => {
    const signature = await signWebhook(SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('returns position and version from the stratum headers, and takes Uint8Array bodies', async () => {
    const bytes = new TextEncoder().encode(BODY);
    const headers = await headersFor(bytes, { 'stratum-event-position': '1207', 'stratum-document-version': '3' });
    const verified = await verifyWebhook({ secret: SECRET, headers, body: bytes, ...at });
    assert.deepEqual({ ...verified, payload: undefined }, { id: MSG, timestamp: NOW, position: 1207, version: 3, payload: undefined });
    assert.equal(verified.payload.after?.total, 42);
  });

  it('reads header names in any case, string[] values and Headers instances', async () => {
    const signed = await headersFor(BODY);
    const mixed = { 'Webhook-Id': [signed['webhook-id']], 'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'], 'Webhook-Signature': signed['webhook-signature'] };
    assert.equal((await verifyWebhook({ secret: SECRET, headers: mixed, body: BODY, ...at })).id, MSG);
    assert.equal((await verifyWebhook({ secret: SECRET, headers: new Headers(signed), body: BODY, ...at })).id, MSG);
  });

  it('accepts any one valid v1 signature during a secret rotation', async () => {
    const rotated = generateWebhookSecret();
    const both = `${await signWebhook(SECRET, MSG, NOW, BODY)} ${await signWebhook(rotated, MSG, NOW, BODY)}`;
    const headers = { 'webhook-id': MSG, 'webhook-timestamp': String(NOW), 'webhook-signature': both };
    for (const secret of [SECRET, rotated]) assert.equal((await verifyWebhook({ secret, headers, body: BODY, ...at })).id, MSG);
    // The receiver may also hold both secrets while only the new one signs.
    const onlyNew = await headersFor(BODY, {}, rotated);
    assert.equal((await verifyWebhook({ secrets: [SECRET, rotated], headers: onlyNew, body: BODY, ...at })).id, MSG);
    assert.equal(await refusal({ secrets: [OTHER], headers, body: BODY, ...at }), 'no_matching_signature');
  });

  it('copes with repeated signature headers joined by ", "', async () => {
    const headers = new Headers({ 'webhook-id': MSG, 'webhook-timestamp': String(NOW) });
    headers.append('webhook-signature', await signWebhook(OTHER, MSG, NOW, BODY));
    headers.append('webhook-signature', await signWebhook(SECRET, MSG, NOW, BODY));
    assert.match(headers.get('webhook-signature')!, /, v1,/);
    assert.equal((await verifyWebhook({ secret: SECRET, headers, body: BODY, ...at })).id, MSG);
  });

  it('refuses a tampered body, id or timestamp', async () => {
    const headers = await headersFor(BODY);
    assert.equal(await refusal({ secret: SECRET, headers, body: BODY.replace('42', '43'), ...at }), 'no_matching_signature');
    assert.equal(await refusal({ secret: SECRET, headers: { ...headers, 'webhook-id': 'msg_other' }, body: BODY, ...at }), 'no_matching_signature');
    const later = { ...headers, 'webhook-timestamp': String(NOW + 1) };
    assert.equal(await refusal({ secret: SECRET, headers: later, body: BODY, ...at }), 'no_matching_signature');
  });

  it('refuses a signature made with a different secret, or one of another version', async () => {
    assert.equal(await refusal({ secret: SECRET, headers: await headersFor(BODY, {}, OTHER), body: BODY, ...at }), 'no_matching_signature');
    const v2 = (await signWebhook(SECRET, MSG, NOW, BODY)).replace('v1,', 'v2,');
    const headers = { ...(await headersFor(BODY)), 'webhook-signature': `${v2} v1a,xyz v1,not-base64!` };
    assert.equal(await refusal({ secret: SECRET, headers, body: BODY, ...at }), 'no_matching_signature');
  });

  it('refuses timestamps too old or too far in the future, and accepts the edge', async () => {
    const headers = await headersFor(BODY);
    assert.equal(await refusal({ secret: SECRET, headers, body: BODY, now: (NOW + 301) * 1000 }), 'timestamp_out_of_tolerance');
    assert.equal(await refusal({ secret: SECRET, headers, body: BODY, now: new Date((NOW - 301) * 1000) }), 'timestamp_out_of_tolerance');
    assert.equal((await verifyWebhook({ secret: SECRET, headers, body: BODY, now: (NOW + 300) * 1000 })).id, MSG);
    assert.equal(await refusal({ secret: SECRET, headers, body: BODY, now: (NOW + 31) * 1000, toleranceSeconds: 30 }), 'timestamp_out_of_tolerance');
    // Without `now` the real clock is used: NOW is long past.
    assert.equal(await refusal({ secret: SECRET, headers, body: BODY }), 'timestamp_out_of_tolerance');
  });

  it('refuses a timestamp that is not integer seconds', async () => {
    for (const ts of ['abc', '1700000000.5', '-1700000000', '1700000000000000000000']) {
      const headers = { ...(await headersFor(BODY)), 'webhook-timestamp': ts };
      assert.equal(await refusal({ secret: SECRET, headers, body: BODY, ...at }), 'bad_timestamp', ts);
    }
  });

  it('refuses a delivery missing any of the three headers', async () => {
    const headers = await headersFor(BODY);
    for (const name of Object.keys(headers)) {
      const without: Record<string, string> = { ...headers };
      delete without[name];
      assert.equal(await refusal({ secret: SECRET, headers: without, body: BODY, ...at }), 'missing_headers', name);
      assert.equal(await refusal({ secret: SECRET, headers: { ...headers, [name]: ' ' }, body: BODY, ...at }), 'missing_headers', name);
    }
  });

  it('never parses the body before the signature checks out', async () => {
    const garbage = '{not json';
    const forged = { ...(await headersFor(BODY)), 'webhook-signature': 'v1,AAAA' };
    assert.equal(await refusal({ secret: SECRET, headers: forged, body: garbage, ...at }), 'no_matching_signature');
    assert.equal(await refusal({ secret: SECRET, headers: await headersFor(garbage), body: garbage, ...at }), 'bad_body');
  });

  it('refuses signed bodies that are not UTF-8 JSON change events', async () => {
    const invalidUtf8 = Uint8Array.from([0x7b, 0xff, 0x7d]);
    assert.equal(await refusal({ secret: SECRET, headers: await headersFor(invalidUtf8), body: invalidUtf8, ...at }), 'bad_body');
    const notEvents = ['[]', '{"test": 1}', JSON.stringify({ ...change('u', 2), op: 'x' }), JSON.stringify({ ...change('c', 1), after: undefined })];
    for (const body of notEvents) assert.equal(await refusal({ secret: SECRET, headers: await headersFor(body), body, ...at }), 'bad_body', body);
  });

  it('refuses stratum headers that are malformed or contradict the signed body', async () => {
    const cases: Record<string, string>[] = [{ 'stratum-event-position': 'x' }, { 'stratum-document-version': '3.0' }, { 'stratum-document-version': '999' }];
    for (const extra of cases) assert.equal(await refusal({ secret: SECRET, headers: await headersFor(BODY, extra), body: BODY, ...at }), 'bad_header');
  });

  it('throws a TypeError for a parsed body or no secret, which are caller mistakes', async () => {
    const headers = await headersFor(BODY);
    await assert.rejects(verifyWebhook({ secret: SECRET, headers, body: JSON.parse(BODY), ...at }), TypeError);
    await assert.rejects(verifyWebhook({ secrets: [], headers, body: BODY, ...at }), TypeError);
    await assert.rejects(verifyWebhook({ secret: 'whsec_', headers, body: BODY, ...at }), TypeError);
    // A NaN clock or tolerance must not turn the freshness check off.
    await assert.rejects(verifyWebhook({ secret: SECRET, headers, body: BODY, now: new Date('nope') }), TypeError);
    await assert.rejects(verifyWebhook({ secret: SECRET, headers, body: BODY, ...at, toleranceSeconds: NaN }), TypeError);
  });
});

describe('generateWebhookSecret', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, generateWebhookSecret());
  });
});

async function deliver(payload: CqrsPayload<Doc>, extra: Record<string, string> = {}): Promise<VerifiedWebhook<Doc>> {
  const body = JSON.stringify(payload);
  return verifyWebhook<Doc>({ secret: SECRET, headers: await headersFor(body, extra), body, ...at });
}

describe('applyChange', () => {
  it('applies events in order and ignores duplicates', async () => {
    const target = memoryChangeTarget<Doc>();
    const events = [await deliver(change('c', 1, { total: 1 })), await deliver(change('u', 2, { total: 2 })), await deliver(change('u', 3, { total: 3 }))];
    for (const event of events) assert.equal(await applyChange(target, event), 'applied');
    for (const event of events) assert.equal(await applyChange(target, event), 'stale');
    assert.deepEqual(target.get(TOPIC, DOC), { id: DOC, version: 3, total: 3 });
    assert.deepEqual(target.list(TOPIC), [{ id: DOC, version: 3, total: 3 }]);
  });

  it('ignores an older update delivered after a newer one', async () => {
    const target = memoryChangeTarget<Doc>();
    assert.equal(await applyChange(target, await deliver(change('u', 3, { total: 3 }))), 'applied');
    assert.equal(await applyChange(target, await deliver(change('u', 2, { total: 2 }))), 'stale');
    assert.equal(target.get(TOPIC, DOC)?.total, 3);
  });

  it('keeps a tombstone: a late older update does not resurrect a deleted document, a restore does', async () => {
    const target = memoryChangeTarget<Doc>();
    await applyChange(target, await deliver(change('c', 1)));
    assert.equal(await applyChange(target, await deliver(change('d', 3), { 'stratum-document-version': '3' })), 'applied');
    assert.equal(target.get(TOPIC, DOC), undefined);
    assert.equal(await target.version(TOPIC, DOC), 3);
    assert.equal(await applyChange(target, await deliver(change('u', 2))), 'stale');
    assert.equal(target.get(TOPIC, DOC), undefined);
    assert.deepEqual(target.list(TOPIC), []);
    assert.equal(await applyChange(target, await deliver({ ...change('r', 4), before: { id: DOC, version: 3 } })), 'applied');
    assert.equal(target.get(TOPIC, DOC)?.version, 4);
  });

  it('takes the version from the header, else after.version, else before.version + 1', async () => {
    const seen: number[] = [];
    const target: ChangeTarget<Doc> = {
      version: async () => undefined,
      upsert: async (_t, _i, _d, version) => void seen.push(version),
      remove: async (_t, _i, version) => void seen.push(version),
    };
    const { after: _after, ...noVersion } = change('u', 1);
    await applyChange(target, await deliver({ ...noVersion, after: { id: DOC } as unknown as Doc }, { 'stratum-document-version': '7' }));
    await applyChange(target, await deliver(change('u', 5)));
    await applyChange(target, await deliver(change('d', 9)));
    assert.deepEqual(seen, [7, 5, 9]);
    await assert.rejects(applyChange(target, await deliver({ ...noVersion, after: { id: DOC } as unknown as Doc })), TypeError);
  });

  it('reports stale when the target’s conditional write finds a newer version', async () => {
    const target: ChangeTarget<Doc> = { version: async () => 1, upsert: async () => false, remove: async () => true };
    assert.equal(await applyChange(target, await deliver(change('u', 2))), 'stale');
    assert.equal(await applyChange(target, await deliver(change('d', 2))), 'applied');
  });

  it('memory target keeps concurrent deliveries of one document in version order', async () => {
    const target = memoryChangeTarget<Doc>();
    const [newer, older] = [await deliver(change('u', 5)), await deliver(change('u', 4))];
    // Both read "unknown" before either writes; the conditional write stops the older one.
    const results = await Promise.all([applyChange(target, newer), applyChange(target, older)]);
    assert.deepEqual(results, ['applied', 'stale']);
    assert.equal(target.get(TOPIC, DOC)?.version, 5);
  });
});
