import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import type { CollectionClient, Document } from '@stratum/sdk';
import { expectError, json, unique, usePlatform } from './testing/http-harness.js';

const MISSING = 'ffffffffffffffffffffffff';

/** The two collections every route is exercised on, and a valid body for each. */
const SUBJECTS = [
  { service: 'identity', name: 'users', body: (tag: string, i: number) => ({ username: `${tag}-u${i}`, name: `User ${i}`, tags: [tag] }) },
  { service: 'context', name: 'settings', body: (tag: string, i: number) => ({ key: `${tag}-k${i}`, value: { i }, tags: [tag] }) },
];

async function ids<T extends { id: string }>(items: AsyncIterable<T> | T[]): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item.id);
  return out;
}

for (const shape of storeShapes()) {
  describe(`collection routes over HTTP on ${shape.name}`, () => {
    const h = usePlatform(shape);

    for (const subject of SUBJECTS) {
      const path = `/${subject.service}/${subject.name}`;

      it(`${path}: each of the 11 routes answers its status and envelope`, async () => {
        const tag = unique('env');
        const post = await h.fetch(path, json(subject.body(tag, 1), { method: 'POST' }));
        assert.equal(post.status, 201);
        assert.match(post.headers.get('content-type') ?? '', /^application\/json/);
        const created = (await post.json()) as { data: Document };
        assert.deepEqual(Object.keys(created), ['data']);
        assert.equal(post.headers.get('etag'), '"1"');
        const id = created.data.id;
        const q = `query=${encodeURIComponent(JSON.stringify({ tags: tag }))}`;
        const routes: [string, string, unknown, number, string][] = [
          ['POST', `${path}/bulk`, { items: [subject.body(tag, 2)] }, 201, 'items'],
          ['GET', `${path}/count?${q}`, undefined, 200, 'total'],
          ['GET', `${path}?${q}`, undefined, 200, 'items'],
          ['GET', `${path}/${id}`, undefined, 200, 'data'],
          ['PATCH', `${path}/${id}`, { description: 'changed' }, 200, 'data'],
          ['PATCH', `${path}/bulk?${q}`, { description: 'bulk' }, 200, 'total'],
          ['DELETE', `${path}/${id}`, undefined, 200, 'data'],
          ['PUT', `${path}/${id}/restore`, undefined, 200, 'data'],
          ['DELETE', `${path}/${id}/destroy`, undefined, 200, 'data'],
        ];
        for (const [method, url, body, status, key] of routes) {
          const res = await h.fetch(url, body === undefined ? { method } : json(body, { method }));
          assert.equal(res.status, status, `${method} ${url}`);
          assert.deepEqual(Object.keys((await res.json()) as object), [key], `${method} ${url}`);
        }
        const cursor = await h.fetch(`${path}/cursor?${q}`);
        assert.equal(cursor.status, 200);
        assert.match(cursor.headers.get('content-type') ?? '', /^text\/event-stream/);
        assert.match(await cursor.text(), /event: end\ndata: \{\}\n\n$/);
      });

      it(`${path}: create, read, update, soft delete, restore and destroy through the SDK`, async () => {
        const c = h.sdk.collection(subject.service, subject.name) as CollectionClient<Document, Record<string, unknown>>;
        const tag = unique('life');
        const mine = { query: { tags: tag } };
        const first = await c.create(subject.body(tag, 1));
        assert.equal(first.version, 1);
        assert.match(first.id, /^[0-9a-f]{24}$/);
        assert.ok(first.created_at);
        const bulk = await c.createBulk([subject.body(tag, 2), subject.body(tag, 3)]);
        assert.equal(bulk.length, 2);
        const all = [first.id, ...bulk.map((d) => d.id)];
        assert.equal(await c.count(mine), 3);
        assert.deepEqual(await ids(await c.find({ ...mine, pagination: { sort: { id: 1 } } })), all);
        assert.deepEqual(await ids(c.cursor(mine)), all);
        assert.deepEqual(await c.findById(first.id), first);

        const updated = await c.updateById(first.id, { description: 'one' });
        assert.equal(updated.version, 2);
        assert.equal(updated.description, 'one');
        assert.ok(updated.updated_at);
        assert.equal(await c.updateBulk({ tags: tag }, { props: { bulk: true } }), 3);
        for (const doc of await c.find(mine)) assert.deepEqual(doc.props, { bulk: true });
        assert.equal((await c.findById(first.id)).version, 3, 'a bulk update also counts as a write');
      });

      it(`${path}: soft delete hides a document until restored; destroy removes it for good`, async () => {
        const c = h.sdk.collection(subject.service, subject.name) as CollectionClient<Document, Record<string, unknown>>;
        const tag = unique('soft');
        const mine = { query: { tags: tag } };
        const [keep, gone] = await c.createBulk([subject.body(tag, 1), subject.body(tag, 2)]);
        const deleted = await c.deleteById(gone.id);
        assert.ok(deleted.deleted_at);
        assert.equal(deleted.version, 2);
        await expectError(c.findById(gone.id), 404, 'NOT_FOUND');
        assert.deepEqual(await ids(await c.find(mine)), [keep.id]);
        assert.equal(await c.count(mine), 1);
        assert.deepEqual(await ids(c.cursor(mine)), [keep.id]);
        await expectError(c.updateById(gone.id, { description: 'x' }), 404, 'NOT_FOUND');
        await expectError(c.deleteById(gone.id, { includeDeleted: true }), 409, 'CONFLICT');

        const seen = { includeDeleted: true };
        assert.equal((await c.findById(gone.id, {}, seen)).deleted_at, deleted.deleted_at);
        assert.deepEqual(new Set(await ids(await c.find(mine, seen))), new Set([keep.id, gone.id]));
        assert.equal(await c.count(mine, seen), 2);
        assert.deepEqual(new Set(await ids(c.cursor(mine, seen))), new Set([keep.id, gone.id]));

        const restored = await c.restoreById(gone.id);
        assert.equal(restored.deleted_at, undefined);
        assert.ok(restored.restored_at);
        assert.equal(restored.version, 3);
        assert.equal(await c.count(mine), 2);
        assert.equal((await c.findById(gone.id)).id, gone.id);
        await expectError(c.restoreById(keep.id), 409, 'CONFLICT');

        const destroyed = await c.destroyById(gone.id);
        assert.equal(destroyed.id, gone.id);
        await expectError(c.findById(gone.id), 404, 'NOT_FOUND');
        await expectError(c.findById(gone.id, {}, seen), 404, 'NOT_FOUND');
        assert.equal(await c.count(mine, seen), 1);
        await expectError(c.destroyById(gone.id), 404, 'NOT_FOUND');
        await expectError(c.restoreById(gone.id), 404, 'NOT_FOUND');
        await expectError(c.updateById(MISSING, { description: 'x' }), 404, 'NOT_FOUND');
      });

      it(`${path}: a soft-deleted document can be destroyed and nothing of it is left`, async () => {
        const c = h.sdk.collection(subject.service, subject.name) as CollectionClient<Document, Record<string, unknown>>;
        const tag = unique('gone');
        const doc = await c.create(subject.body(tag, 1));
        await c.deleteById(doc.id);
        await c.destroyById(doc.id);
        assert.equal(await c.count({ query: { tags: tag } }, { includeDeleted: true }), 0);
      });
    }

    it('shares and groups are stored without repeats by create, PATCH and PATCH /bulk alike', async () => {
      const stats = h.sdk.special.stats;
      const tag = unique('dedupe');
      const doc = await stats.create({ key: `${tag}-k`, value: 1, tags: [tag], shares: ['u1', 'u1'], groups: ['g', 'g'] });
      assert.deepEqual([doc.shares, doc.groups], [['u1'], ['g']]);
      const patched = await stats.updateById(doc.id, { shares: ['u2', 'u2', 'u3'], groups: ['h', 'h'] });
      assert.deepEqual([patched.shares, patched.groups], [['u2', 'u3'], ['h']]);
      assert.equal(await stats.updateBulk({ tags: tag }, { shares: ['u4', 'u4'], groups: ['k', 'k', 'k'] }), 1);
      const stored = await stats.findById(doc.id);
      assert.deepEqual([stored.shares, stored.groups], [['u4'], ['k']]);
      assert.equal(await stats.count({ query: { tags: tag, shares: 'u4', groups: 'k' } }), 1, 'the ownership columns hold the same lists');
    });

    it('the typed accessors reach the same documents as collection()', async () => {
      const sdk = h.sdk;
      const tag = unique('typed');
      const stat = await sdk.special.stats.create({ key: `${tag}-k`, value: 1.5, period: 'day', tags: [tag] });
      assert.equal(stat.value, 1.5);
      const [same] = await sdk.collection('special', 'stats').find({ query: { tags: tag } });
      assert.equal(same.id, stat.id);
      const config = await sdk.context.configs.create({ key: `${tag}-cfg`, value: { on: true } });
      assert.deepEqual((await sdk.context.configs.findById(config.id)).value, { on: true });
      await expectError(sdk.context.configs.create({ key: `${tag}-cfg` }), 409, 'DUPLICATE');
    });
  });
}
