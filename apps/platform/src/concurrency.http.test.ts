import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { expectError, expectErrorResponse, json, unique, usePlatform } from './testing/http-harness.js';

for (const shape of storeShapes()) {
  describe(`ETag, If-Match and Idempotency-Key over HTTP on ${shape.name}`, () => {
    const h = usePlatform(shape);

    it('GET answers ETag "<version>"; a stale If-Match is 412, the current one 200 with version + 1', async () => {
      const users = h.sdk.identity.users;
      const user = await users.create({ username: unique('etag') });
      const first = await users.findByIdWithEtag(user.id);
      assert.equal(first.etag, '"1"');
      assert.equal(first.etag, `"${first.data.version}"`);

      const next = await users.updateByIdWithEtag(user.id, { name: 'one' }, { ifMatch: first.etag });
      assert.equal(next.data.version, 2);
      assert.equal(next.etag, '"2"');
      assert.equal((await users.findByIdWithEtag(user.id)).etag, '"2"');

      const stale = await expectError(users.updateById(user.id, { name: 'lost update' }, { ifMatch: first.etag }), 412, 'PRECONDITION_FAILED');
      assert.match(stale.message, /version 2/);
      assert.equal((await users.findById(user.id)).name, 'one', 'the stale write changed nothing');
      await expectError(users.deleteById(user.id, { ifMatch: 1 }), 412, 'PRECONDITION_FAILED');
      await expectError(users.destroyById(user.id, { ifMatch: 7 }), 412, 'PRECONDITION_FAILED');

      const weak = await users.updateById(user.id, { name: 'two' }, { ifMatch: 'W/"2"' });
      assert.equal(weak.version, 3);
      const any = await users.updateById(user.id, { name: 'three' }, { ifMatch: '*' });
      assert.equal(any.version, 4);
      const deleted = await users.deleteById(user.id, { ifMatch: 4 });
      assert.equal(deleted.version, 5);
      assert.equal((await users.restoreById(user.id, { ifMatch: 5 })).version, 6);
      await expectErrorResponse(await h.fetch(`/identity/users/${user.id}`, json({ name: 'x' }, { method: 'PATCH', headers: { 'if-match': 'banana' } })), 400, 'BAD_REQUEST');
    });

    it('concurrent writes with the same If-Match: exactly one wins', async () => {
      const settings = h.sdk.context.settings;
      const doc = await settings.create({ key: unique('race') });
      const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => settings.updateById(doc.id, { value: i }, { ifMatch: 1 })));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const lost of results.filter((r) => r.status === 'rejected')) {
        assert.equal((lost.reason as { code: string }).code, 'PRECONDITION_FAILED');
      }
      assert.equal((await settings.findById(doc.id)).version, 2);
    });

    it('the same Idempotency-Key and body twice create one document and replay the answer', async () => {
      const tag = unique('idem');
      const key = `k-${randomUUID()}`;
      const body = { key: `${tag}-a`, tags: [tag], value: { n: 1 } };
      const before = await h.sdk.context.settings.count({ query: { tags: tag } });
      const first = await h.sdk.context.settings.createWithMeta(body, { idempotencyKey: key });
      assert.equal(first.replayed, false);
      const second = await h.sdk.context.settings.createWithMeta(body, { idempotencyKey: key });
      assert.equal(second.replayed, true);
      assert.deepEqual(second.data, first.data);
      assert.equal(await h.sdk.context.settings.count({ query: { tags: tag } }), before + 1);

      const raw = await h.fetch('/context/settings', json(body, { method: 'POST', headers: { 'idempotency-key': key } }));
      assert.equal(raw.status, 201, 'a replay answers with the first status');
      assert.equal(raw.headers.get('idempotent-replayed'), 'true');
      assert.equal(((await raw.json()) as { data: { id: string } }).data.id, first.data.id);
    });

    it('the same Idempotency-Key with another body is 409 IDEMPOTENCY_KEY_REUSED', async () => {
      const tag = unique('reuse');
      const key = `k-${randomUUID()}`;
      await h.sdk.context.settings.create({ key: `${tag}-a`, tags: [tag] }, { idempotencyKey: key });
      await expectError(h.sdk.context.settings.create({ key: `${tag}-b`, tags: [tag] }, { idempotencyKey: key }), 409, 'IDEMPOTENCY_KEY_REUSED');
      await expectError(h.sdk.special.stats.create({ key: `${tag}-a`, tags: [tag] }, { idempotencyKey: key }), 409, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(await h.sdk.context.settings.count({ query: { tags: tag } }), 1);
      await expectError(h.sdk.context.settings.create({ key: `${tag}-c` }, { idempotencyKey: 'bad key with spaces' }), 400, 'BAD_REQUEST');
    });

    it('parallel retries with one Idempotency-Key write once', async () => {
      const tag = unique('para');
      const key = `k-${randomUUID()}`;
      const body = { key: `${tag}-a`, tags: [tag] };
      const results = await Promise.all(Array.from({ length: 3 }, () => h.sdk.context.settings.createWithMeta(body, { idempotencyKey: key })));
      assert.equal(new Set(results.map((r) => r.data.id)).size, 1);
      assert.equal(results.filter((r) => !r.replayed).length, 1);
      assert.equal(await h.sdk.context.settings.count({ query: { tags: tag } }), 1);
    });

    it('a failed first attempt keeps the key free; bulk creates replay too', async () => {
      const tag = unique('fail');
      const key = `k-${randomUUID()}`;
      await expectError(h.sdk.context.configs.create({ value: 1 } as never, { idempotencyKey: key }), 422, 'VALIDATION_FAILED');
      const retried = await h.sdk.context.configs.createWithMeta({ key: `${tag}-cfg` }, { idempotencyKey: key });
      assert.equal(retried.replayed, false, 'the failure was not stored under the key: the corrected retry runs');
      assert.equal(retried.data.key, `${tag}-cfg`);

      const bulkKey = `k-${randomUUID()}`;
      const items = [{ key: `${tag}-1`, tags: [tag] }, { key: `${tag}-2`, tags: [tag] }];
      const one = await h.sdk.context.settings.createBulk(items, { idempotencyKey: bulkKey });
      const two = await h.sdk.context.settings.createBulk(items, { idempotencyKey: bulkKey });
      assert.deepEqual(two.map((d) => d.id), one.map((d) => d.id));
      assert.equal(await h.sdk.context.settings.count({ query: { tags: tag } }), 2);
    });
  });
}
