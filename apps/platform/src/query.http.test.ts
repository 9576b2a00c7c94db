import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import type { Sort } from '@stratum/contracts';
import type { KeyValue } from '@stratum/sdk';
import { expectError, expectErrorResponse, unique, usePlatform } from './testing/http-harness.js';

const N = 12;
const pad = (i: number) => String(i).padStart(2, '0');

for (const shape of storeShapes()) {
  describe(`query forms over HTTP on ${shape.name}`, () => {
    const h = usePlatform(shape);
    const tag = unique('q');
    const mine = { tags: tag };
    let docs: KeyValue[] = [];

    /** GET with a raw query string; returns the keys of the settings found, in order. */
    async function keysOf(search: string): Promise<string[]> {
      const res = await h.fetch(`/context/settings?${search}`);
      const body = (await res.json()) as { items?: KeyValue[] };
      assert.equal(res.status, 200, JSON.stringify(body));
      return body.items!.map((d) => d.key.slice(tag.length + 1));
    }
    const tagged = () => `query[tags]=${encodeURIComponent(tag)}`;

    before(async () => {
      // k00..k11 with props.n = i and props.s = "v00".."v11", in one bulk: same created_at, ids ascending.
      docs = await h.sdk.context.settings.createBulk(Array.from({ length: N }, (_, i) => ({
        key: `${tag}-k${pad(i)}`, tags: [tag], props: { n: i, s: `v${pad(i)}`, even: i % 2 === 0 }, ...(i === 3 ? { ref: `${tag}-ref3` } : {}),
      })));
    });

    it('takes query as a JSON string', async () => {
      const found = await h.sdk.context.settings.find({ query: { ...mine, 'props.n': { $gte: 5, $lt: 9 } }, pagination: { sort: 'key' } });
      assert.deepEqual(found.map((d) => d.props?.n), [5, 6, 7, 8]);
      const either = await h.sdk.context.settings.count({ query: { ...mine, $or: [{ 'props.n': 0 }, { 'props.s': { $in: ['v10', 'v11'] } }] } });
      assert.equal(either, 3);
    });

    it('takes query in qs brackets, where every value is a string', async () => {
      assert.deepEqual(await keysOf(`${tagged()}&query[props.s]=v04`), ['k04']);
      assert.deepEqual(await keysOf(`${tagged()}&query[props.s][$gt]=v09&sort=key`), ['k10', 'k11']);
      assert.deepEqual(await keysOf(`${tagged()}&query[props.s][$in][]=v01&query[props.s][$in][]=v02&sort=key`), ['k01', 'k02']);
      // "5" is a string and props.n holds numbers: Mongo semantics compare within one type only.
      assert.deepEqual(await keysOf(`${tagged()}&query[props.n][$gt]=5`), []);
      const count = await h.fetch(`/context/settings/count?${tagged()}&query[props.even]=true`);
      assert.deepEqual(await count.json(), { total: 0 }, '"true" is the string, not the boolean');
    });

    it('pages with flat limit/skip/sort and with the pagination JSON', async () => {
      assert.deepEqual(await keysOf(`${tagged()}&limit=3&skip=2&sort=key`), ['k02', 'k03', 'k04']);
      assert.deepEqual(await keysOf(`${tagged()}&limit=2&sort=-key`), ['k11', 'k10']);
      const pagination = encodeURIComponent(JSON.stringify({ limit: 4, skip: 1, sort: { key: -1 } }));
      assert.deepEqual(await keysOf(`${tagged()}&pagination=${pagination}`), ['k10', 'k09', 'k08', 'k07']);
      assert.equal((await keysOf(tagged())).length, 10, 'the default page is 10');
      const viaSdk = await h.sdk.context.settings.find({ query: mine, pagination: { limit: 2, skip: 10, sort: { 'props.n': 1 } } });
      assert.deepEqual(viaSdk.map((d) => d.props?.n), [10, 11]);
    });

    it('sorts by -created_at, newest first', async () => {
      const t = unique('sorted');
      const created: string[] = [];
      for (let i = 0; i < 3; i++) {
        created.push((await h.sdk.context.settings.create({ key: `${t}-${i}`, tags: [t] })).id);
        await sleep(3);
      }
      const res = await h.fetch(`/context/settings?query[tags]=${t}&sort=-created_at`);
      const body = (await res.json()) as { items: KeyValue[] };
      assert.deepEqual(body.items.map((d) => d.id), [...created].reverse());
      const stamps = body.items.map((d) => d.created_at);
      assert.deepEqual(stamps, [...stamps].sort().reverse());
    });

    it('walks every page with the keyset cursor after', async () => {
      const sorts: (Sort | undefined)[] = [undefined, { created_at: -1 }, { id: -1 }];
      for (const sort of sorts) {
        const walked: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 10; page++) {
          const items = await h.sdk.context.settings.find({ query: mine, pagination: { limit: 5, sort, after } });
          walked.push(...items.map((d) => d.id));
          if (items.length < 5) break;
          after = items[items.length - 1].id;
        }
        const whole = await h.sdk.context.settings.find({ query: mine, pagination: { limit: 50, sort } });
        assert.equal(walked.length, N, `sort ${JSON.stringify(sort)}`);
        assert.deepEqual(walked, whole.map((d) => d.id), `sort ${JSON.stringify(sort)}`);
      }
      const asc = docs.map((d) => d.id);
      const res = await h.fetch(`/context/settings?${tagged()}&after=${asc[9]}&limit=50`);
      assert.deepEqual(((await res.json()) as { items: KeyValue[] }).items.map((d) => d.id), asc.slice(10));
      await expectErrorResponse(await h.fetch(`/context/settings?after=${asc[0]}&skip=1`), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch(`/context/settings?after=${asc[0]}&sort=key`), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch('/context/settings?after=nope'), 400, 'INVALID_PAGINATION');
    });

    it('projects fields in and out', async () => {
      const [only] = await h.sdk.context.settings.find({ query: { ...mine, 'props.n': 1 }, projection: { key: 1 } });
      assert.deepEqual(Object.keys(only).sort(), ['id', 'key']);
      const [nested] = await h.sdk.context.settings.find({ query: { ...mine, 'props.n': 1 }, projection: 'props.s' });
      assert.deepEqual(nested, { id: docs[1].id, props: { s: 'v01' } });
      const [without] = await h.sdk.context.settings.find({ query: { ...mine, 'props.n': 1 }, projection: '-props,-tags' });
      assert.equal('props' in without || 'tags' in without, false);
      assert.equal(without.key, `${tag}-k01`);
      const byId = await h.sdk.context.settings.findById(docs[2].id, { projection: { props: 0 } });
      assert.equal(byId.props, undefined);
      assert.equal(byId.key, `${tag}-k02`);
      await expectError(h.sdk.context.settings.find({ projection: { key: 1, props: 0 } }), 400, 'INVALID_QUERY');
    });

    it('populates identity/profiles.user with the identity/users document', async () => {
      const t = unique('pop');
      const user = await h.sdk.identity.users.create({ username: `${t}-ann`, name: 'Ann', password: 'correct horse battery' });
      const profile = await h.sdk.identity.profiles.create({ user: user.id, first_name: 'Ann', tags: [t] });
      const [found] = await h.sdk.identity.profiles.find({ query: { tags: t }, populate: 'user' });
      const populated = found.user as unknown as Record<string, unknown>;
      assert.equal(populated.id, user.id);
      assert.equal(populated.username, `${t}-ann`);
      assert.equal('password' in populated, false, 'a populated document hides write-only fields too');
      const selected = await h.sdk.identity.profiles.findById(profile.id, { populate: [{ path: 'user', select: ['username'] }] });
      assert.deepEqual(selected.user, { id: user.id, username: `${t}-ann` });
      assert.equal((await h.sdk.identity.profiles.findById(profile.id)).user, user.id, 'without populate the id stays');
      await expectError(h.sdk.identity.profiles.find({ populate: 'first_name' }), 400, 'INVALID_QUERY');
    });

    it('filters by ref on find and count, and requires it to match on GET /:id', async () => {
      const ref = `${tag}-ref3`;
      const found = await h.sdk.context.settings.find({ ref });
      assert.deepEqual(found.map((d) => d.id), [docs[3].id]);
      assert.equal(await h.sdk.context.settings.count({ ref }), 1);
      assert.equal((await h.sdk.context.settings.findById(docs[3].id, { ref })).id, docs[3].id);
      await expectError(h.sdk.context.settings.findById(docs[3].id, { ref: `${ref}-other` }), 404, 'NOT_FOUND');
      await expectError(h.sdk.context.settings.findById(docs[4].id, { ref }), 404, 'NOT_FOUND');
      const operator = encodeURIComponent(JSON.stringify({ $ne: null }));
      assert.deepEqual(await keysOf(`ref=${operator}`), [], 'a JSON-looking ref is still a plain string');
    });

    it('refuses ref as an object or an array', async () => {
      for (const search of ['ref[$ne]=x', 'ref[a]=1', 'ref[]=a&ref[]=b', 'ref=a&ref=b']) {
        await expectErrorResponse(await h.fetch(`/context/settings?${search}`), 400, 'INVALID_QUERY');
        await expectErrorResponse(await h.fetch(`/context/settings/count?${search}`), 400, 'INVALID_QUERY');
        await expectErrorResponse(await h.fetch(`/context/settings/${docs[0].id}?${search}`), 400, 'INVALID_QUERY');
      }
    });

    it('refuses malformed query parameters with 400', async () => {
      await expectErrorResponse(await h.fetch('/context/settings?query={oops'), 400, 'INVALID_JSON');
      await expectErrorResponse(await h.fetch('/context/settings?query=[1]'), 400, 'INVALID_QUERY');
      await expectErrorResponse(await h.fetch('/context/settings?pagination={"limit":2,"page":3}'), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch('/context/settings?limit=abc'), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch('/context/settings?skip=-1'), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch('/context/settings?limit=0'), 400, 'INVALID_PAGINATION');
      await expectErrorResponse(await h.fetch('/context/settings?sort={"key":2}'), 400, 'INVALID_PAGINATION');
    });
  });
}
