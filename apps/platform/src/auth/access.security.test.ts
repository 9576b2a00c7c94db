import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { decodeJwt, expectError, uniqueName, useSecure, type Secure } from './security-harness.js';

const PASSWORD = 'access-user-password-1';

interface Person {
  token: string;
  uid: string;
  username: string;
}

async function person(h: Secure, admin: string, subjects: string[]): Promise<Person> {
  const username = uniqueName('acc');
  const created = await h.call('/identity/users', { token: admin, body: { username, password: PASSWORD, status: 'active', subjects } });
  assert.equal(created.status, 201, created.text);
  const token = (await h.login(username, PASSWORD)).access_token;
  return { token, uid: decodeJwt(token).payload.uid as string, username };
}

const ids = (reply: { body: any }) => reply.body.items.map((d: any) => d.id).sort();

for (const shape of storeShapes()) {
  describe(`grants and zones over HTTP on ${shape.name}`, () => {
    const h = useSecure(shape);
    let admin = '';
    let ann: Person;
    let bob: Person;
    let narrow: Person;
    const docs: Record<string, string> = {};

    before(async () => {
      admin = (await h.login()).access_token;
      const grants = [
        { subject: 'author', action: 'create:own', object: 'special:stats' },
        { subject: 'author', action: 'read:own', object: 'special:stats' },
        { subject: 'author', action: 'update:own', object: 'special:stats', field: ['value'] },
        { subject: 'sharer', action: 'read:share', object: 'special:stats' },
        { subject: 'narrow', action: 'read', object: 'special:stats', filter: ['key'] },
        { subject: 'author', action: 'read:own', object: 'identity:profiles' },
        { subject: 'author', action: 'create:own', object: 'identity:profiles' },
      ];
      for (const body of grants) assert.equal((await h.call('/auth/grants', { token: admin, body })).status, 201);
      ann = await person(h, admin, ['author']);
      bob = await person(h, admin, ['author']);
      narrow = await person(h, admin, ['narrow']);
      const create = async (who: Person, body: unknown) => {
        const reply = await h.call('/special/stats', { token: who.token, body });
        assert.equal(reply.status, 201, reply.text);
        return reply.body.data.id as string;
      };
      docs.ann = await create(ann, { key: 'ann', value: 1 });
      docs.bob = await create(bob, { key: 'bob', value: 2 });
      docs.shared = await create(bob, { key: 'shared', value: 3, shares: [ann.uid] });
    });

    test('read:own reaches only the caller\'s documents on every read route', async () => {
      assert.deepEqual(ids(await h.call('/special/stats', { token: ann.token })), [docs.ann]);
      assert.deepEqual((await h.call('/special/stats/count', { token: ann.token })).body, { total: 1 });
      assert.equal((await h.call(`/special/stats/${docs.bob}`, { token: ann.token })).status, 404, 'outside the zone a document does not exist');
      const cursor = await h.call('/special/stats/cursor', { token: ann.token });
      assert.ok(cursor.text.includes(docs.ann) && !cursor.text.includes(docs.bob) && !cursor.text.includes(docs.shared));
      expectError(await h.call('/special/stats?zone=share', { token: ann.token }), 403, 'FORBIDDEN');
      expectError(await h.call('/special/stats', { token: ann.token, headers: { 'x-zone': 'client' } }), 403, 'FORBIDDEN');
      expectError(await h.call('/special/stats?zone=world', { token: ann.token }), 400, 'BAD_REQUEST');
    });

    test('a share grant adds what is shared with the caller; the default zone is own,share', async () => {
      await h.call(`/identity/users/${ann.uid}`, { token: admin, method: 'PATCH', body: { subjects: ['author', 'sharer'] } });
      const token = (await h.login(ann.username, PASSWORD)).access_token;
      assert.deepEqual(ids(await h.call('/special/stats', { token })), [docs.ann, docs.shared].sort());
      assert.deepEqual(ids(await h.call('/special/stats?zone=share', { token })), [docs.shared]);
    });

    test('writes reach only the caller\'s documents, within the grant\'s fields; ownership is the platform\'s', async () => {
      assert.equal((await h.call(`/special/stats/${docs.bob}`, { token: ann.token, method: 'PATCH', body: { value: 9 } })).status, 404);
      const own = await h.call(`/special/stats/${docs.ann}`, { token: ann.token, method: 'PATCH', body: { value: 5 } });
      assert.equal(own.status, 200, own.text);
      const field = expectError(await h.call(`/special/stats/${docs.ann}`, { token: ann.token, method: 'PATCH', body: { key: 'renamed' } }), 403, 'FORBIDDEN');
      assert.match(String(field.message), /key/);
      const bulk = await h.call('/special/stats/bulk?query={}', { token: ann.token, method: 'PATCH', body: { value: 7 } });
      assert.equal(bulk.status, 200, bulk.text);
      assert.equal((await h.call(`/special/stats/${docs.bob}`, { token: bob.token })).body.data.value, 2, 'a bulk update never reaches another owner');
      expectError(await h.call(`/special/stats/${docs.ann}`, { token: ann.token, method: 'DELETE' }), 403, 'FORBIDDEN');
      const clients = expectError(await h.call('/special/stats', { token: ann.token, body: { key: 'x', clients: ['0123456789abcdef01234567'] } }), 403, 'FORBIDDEN');
      assert.match(String(clients.message), /clients needs an unscoped grant/);
      expectError(await h.call('/context/settings', { token: ann.token, body: { key: 'nope' } }), 403, 'FORBIDDEN');
    });

    test('a filter grant limits the fields returned, and the fields a query may use', async () => {
      const list = await h.call('/special/stats?limit=50', { token: narrow.token });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.body.items.length >= 3);
      assert.ok(list.body.items.every((d: any) => 'key' in d && !('value' in d)), 'value is not readable');
      expectError(await h.call('/special/stats?query={"value":2}', { token: narrow.token }), 403, 'FORBIDDEN');
      expectError(await h.call('/special/stats?sort=value', { token: narrow.token }), 403, 'FORBIDDEN');
    });

    test('the event feed holds only collections the caller reads without zone or field limits', async () => {
      const mine = await h.call('/events?limit=500', { token: ann.token });
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.body.items.some((e: any) => e.topic === 'special.stats'), false, 'whole documents of others would leak');
      const all = await h.call('/events?limit=500', { token: admin });
      assert.equal(all.status, 200, all.text);
      assert.ok(all.body.items.some((e: any) => e.id === docs.bob));
    });

    test('routes outside the collection engine need a grant on the collection they name, besides the scope', async () => {
      for (const body of [
        { subject: 'config-reader', action: 'read', object: 'context:configs' },
        { subject: 'config-editor', action: 'update', object: 'context:configs' },
      ]) assert.equal((await h.call('/auth/grants', { token: admin, body })).status, 201);
      const reader = await person(h, admin, ['config-reader']);
      const editor = await person(h, admin, ['config-editor']);
      const denied = await h.call('/events/webhooks', { token: reader.token });
      expectError(denied, 403, 'FORBIDDEN');
      assert.match(denied.body.message, /update on context:configs/, denied.text);
      expectError(await h.call('/events/webhooks', { token: narrow.token }), 403, 'FORBIDDEN');
      const allowed = await h.call('/events/webhooks', { token: editor.token });
      assert.equal(allowed.status, 200, allowed.text);
      const client = decodeJwt(admin).payload.cid as string;
      expectError(await h.call(`/domain/clients/${client}/api-key`, { token: editor.token, method: 'POST' }), 403, 'FORBIDDEN');
    });

    test('populate drops what the caller may not read', async () => {
      const profile = await h.call('/identity/profiles', { token: ann.token, body: { user: ann.uid, first_name: 'Ann' } });
      assert.equal(profile.status, 201, profile.text);
      const read = await h.call(`/identity/profiles/${profile.body.data.id}?populate=user`, { token: ann.token });
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.data.user, null, 'no grant to read identity/users: the reference is dropped');
      const asAdmin = await h.call(`/identity/profiles/${profile.body.data.id}?populate=user`, { token: admin });
      assert.equal(asAdmin.body.data.user.id, ann.uid);
    });
  });
}
