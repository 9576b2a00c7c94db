import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import {
  createApt, createClient, createUser, expect401, expectError, startSecure, uniqueDomain, uniqueName, useSecure, type Secure,
} from './security-harness.js';

/** Revocation takes effect on the very next request: logout, sign-out everywhere, APTs, refresh reuse, RFC 7009. */

const PASSWORD = 'a-user-password-1';

const verify = (h: Secure, token: string) => h.call('/auth/verify', { token });
const refresh = (h: Secure, token: string) => h.call('/auth/token', { body: { grant_type: 'refresh_token', refresh_token: token } });

for (const shape of storeShapes()) {
  describe(`revocation on ${shape.name}`, () => {
    const h = useSecure(shape);

    it('logout revokes its own session only, and its refresh token with it', async () => {
      const one = await h.login();
      const two = await h.login();
      assert.equal((await verify(h, one.access_token)).status, 200, 'cached as active before the logout');
      assert.deepEqual((await h.call('/auth/logout', { token: one.access_token })).body, { result: true });
      expect401(await verify(h, one.access_token));
      expect401(await h.call('/auth/logout', { token: one.access_token }));
      expect401(await refresh(h, one.refresh_token!));
      assert.equal((await verify(h, two.access_token)).status, 200, 'another session of the same user lives on');
    });

    it('POST /auth/logout/all revokes every session of that user, APTs included, and no one else\'s', async () => {
      const { access_token: admin } = await h.login();
      const username = uniqueName('everywhere');
      await createUser(h, admin, username, PASSWORD);
      const sessions = [await h.login(username, PASSWORD), await h.login(username, PASSWORD), await h.login(username, PASSWORD)];
      const apt = await createApt(h, sessions[0].access_token, 'read:identity:users');
      for (const s of sessions) assert.equal((await verify(h, s.access_token)).status, 200);
      assert.equal((await verify(h, apt.token)).status, 200);
      const all = await h.call('/auth/logout/all', { method: 'POST', token: sessions[1].access_token });
      assert.equal(all.status, 200, all.text);
      assert.equal(all.body.result, true);
      assert.equal(all.body.total, 4);
      for (const s of sessions) {
        expect401(await verify(h, s.access_token));
        expect401(await refresh(h, s.refresh_token!));
      }
      expect401(await verify(h, apt.token));
      assert.equal((await verify(h, admin)).status, 200, 'the admin signed in elsewhere is untouched');
      assert.equal((await h.login(username, PASSWORD)).token_type, 'Bearer', 'signing in again works');
    });

    it('a deleted APT is refused at once, and so is one past its expires_at', async () => {
      const { access_token: admin } = await h.login();
      const apt = await createApt(h, admin, 'read:identity:users');
      assert.equal((await h.call('/identity/users/count', { token: apt.token })).status, 200);
      assert.equal((await h.call(`/auth/apts/${apt.id}`, { method: 'DELETE', token: admin })).status, 200);
      expect401(await h.call('/identity/users/count', { token: apt.token }));
      const soon = await createApt(h, admin, 'read:identity:users', { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
      assert.equal((await h.call('/identity/users/count', { token: soon.token })).status, 200);
      // The clock moves on: the APT's own expiry is in the past (its session would follow an hour later).
      await h.store.query(`UPDATE c_auth_apts SET doc = doc || jsonb_build_object('expires_at', $2::text) WHERE id = $1`,
        [soon.id, new Date(Date.now() - 1000).toISOString()]);
      expect401(await h.call('/identity/users/count', { token: soon.token }));
      const past = await h.call('/auth/apts', { token: admin, body: { name: uniqueName('apt'), expires_at: new Date(Date.now() - 1000).toISOString() } });
      expectError(past, 422, 'VALIDATION_FAILED');
      const forged = `apt_${'A'.repeat(43)}`;
      expect401(await h.call('/identity/users/count', { token: forged }));
    });

    it('an APT stops at once when its user or its client is suspended or deleted', async () => {
      const { access_token: admin } = await h.login();
      const username = uniqueName('apt-owner');
      const userId = await createUser(h, admin, username, PASSWORD);
      const secret = 'apt-client-secret-1';
      const clientId = await createClient(h, admin, { secret, scopes: ['whole'], grant_types: ['password'] });
      const viaClient = (await h.login(h.adminEmail, undefined, { client_id: clientId, client_secret: secret })).access_token;
      const ofUser = await createApt(h, (await h.login(username, PASSWORD)).access_token, 'read:identity:users');
      const ofClient = await createApt(h, viaClient, 'read:identity:users');
      const count = (token: string) => h.call('/identity/users/count', { token });
      for (const apt of [ofUser, ofClient]) assert.equal((await count(apt.token)).status, 200);
      const patch = (path: string, body: unknown) => h.call(path, { method: 'PATCH', token: admin, body });
      assert.equal((await patch(`/identity/users/${userId}`, { status: 'suspended' })).status, 200);
      assert.equal((await patch(`/domain/clients/${clientId}`, { status: 'suspended' })).status, 200);
      for (const apt of [ofUser, ofClient]) expect401(await count(apt.token));
      assert.equal((await patch(`/identity/users/${userId}`, { status: 'active' })).status, 200);
      assert.equal((await count(ofUser.token)).status, 200, 'active again');
      assert.equal((await h.call(`/identity/users/${userId}`, { method: 'DELETE', token: admin })).status, 200);
      expect401(await count(ofUser.token));
    });

    it('a spent refresh token used again is a 401 and revokes the whole session, newest tokens included', async () => {
      const first = await h.login();
      const second = await refresh(h, first.refresh_token!);
      assert.equal(second.status, 200, second.text);
      const newest = second.body.data;
      assert.equal((await verify(h, newest.access_token)).status, 200);
      const replay = expect401(await refresh(h, first.refresh_token!));
      assert.match(replay.message as string, /already used/);
      expect401(await verify(h, newest.access_token));
      expect401(await verify(h, first.access_token));
      expect401(await refresh(h, newest.refresh_token));
    });

    it('two concurrent uses of one refresh token: at most one succeeds', async () => {
      const first = await h.login();
      const results = await Promise.all([refresh(h, first.refresh_token!), refresh(h, first.refresh_token!)]);
      const ok = results.filter((r) => r.status === 200);
      assert.ok(ok.length <= 1, `${ok.length} refreshes succeeded`);
      for (const r of results) if (r.status !== 200) expect401(r);
    });

    it('RFC 7009: the client revokes a token and the session ends; introspect shows active then inactive', async () => {
      const user = await h.login();
      const auth = { client_id: h.rootClientId, client_secret: h.rootClientSecret };
      const before = await h.call('/auth/introspect', { body: { ...auth, token: user.access_token } });
      assert.equal(before.status, 200, before.text);
      assert.equal(before.body.active, true);
      assert.equal(before.body.session, user.session);
      assert.equal(before.body.token_type, 'Bearer');
      const refreshInfo = await h.call('/auth/introspect', { body: { ...auth, token: user.refresh_token } });
      assert.equal(refreshInfo.body.active, true);
      assert.equal(refreshInfo.body.token_type, 'refresh_token');
      const revoked = await h.call('/auth/revoke', { body: { ...auth, token: user.access_token } });
      assert.equal(revoked.status, 200, revoked.text);
      expect401(await verify(h, user.access_token));
      expect401(await refresh(h, user.refresh_token!));
      assert.deepEqual((await h.call('/auth/introspect', { body: { ...auth, token: user.access_token } })).body, { active: false });
      assert.deepEqual((await h.call('/auth/introspect', { body: { ...auth, token: 'garbage' } })).body, { active: false });
      assert.equal((await h.call('/auth/revoke', { body: { ...auth, token: 'garbage' } })).status, 200, 'an unknown token is not an error');
    });

    it('/identity/sessions: DELETE ends a session at once; PATCH and restore cannot revive or extend one', async () => {
      const { access_token: admin } = await h.login();
      const ended = await h.login();
      await h.call('/auth/logout', { token: ended.access_token });
      const sessions = (id: string, init: Parameters<Secure['call']>[1] = {}) => h.call(`/identity/sessions/${id}`, { token: admin, ...init });
      const listed = await sessions(ended.session);
      assert.equal(listed.status, 200, listed.text);
      assert.equal(typeof listed.body.data.revoked_at, 'string', 'a revoked session shows when');
      for (const change of [{ revoked_at: null }, { expires_at: new Date(Date.now() + 86_400_000).toISOString() }, { scope: 'whole' }]) {
        expectError(await sessions(ended.session, { method: 'PATCH', body: change }), 400, 'BAD_REQUEST');
      }
      expect401(await verify(h, ended.access_token));

      const live = await h.login();
      assert.equal((await verify(h, live.access_token)).status, 200, 'cached as active');
      expectError(await sessions(live.session, { method: 'PATCH', body: { expires_at: new Date(Date.now() + 86_400_000).toISOString() } }), 400, 'BAD_REQUEST');
      assert.equal((await sessions(live.session, { method: 'PATCH', body: { description: 'a note' } })).status, 200, 'harmless fields stay writable');
      assert.equal((await sessions(live.session, { method: 'DELETE' })).status, 200);
      expect401(await verify(h, live.access_token));
      expect401(await refresh(h, live.refresh_token!));
      const restored = await h.call(`/identity/sessions/${live.session}/restore`, { method: 'PUT', token: admin });
      expectError(restored, 409, 'CONFLICT');
      expect401(await verify(h, live.access_token));
      expect401(await refresh(h, live.refresh_token!));
    });

    it('revoke and introspect need the client\'s credentials; a wrong secret is a 401', async () => {
      const user = await h.login();
      expect401(await h.call('/auth/revoke', { body: { client_id: h.rootClientId, client_secret: 'wrong', token: user.access_token } }));
      expect401(await h.call('/auth/revoke', { body: { token: user.access_token } }));
      expect401(await h.call('/auth/introspect', { body: { client_id: h.rootClientId, client_secret: 'wrong', token: user.access_token } }));
      assert.equal((await verify(h, user.access_token)).status, 200, 'a refused revoke revoked nothing');
      const basic = Buffer.from(`${h.rootClientId}:${h.rootClientSecret}`).toString('base64');
      const viaBasic = await h.call('/auth/revoke', { headers: { authorization: `Basic ${basic}` }, form: { token: user.access_token } });
      assert.equal(viaBasic.status, 200, viaBasic.text);
      expect401(await verify(h, user.access_token));
    });

    it('suspending, bulk-deactivating or deleting a user ends every session of theirs at once', async () => {
      const { access_token: admin } = await h.login();
      const names = [uniqueName('suspend'), uniqueName('bulk'), uniqueName('delete')];
      const ids = await Promise.all(names.map((name) => createUser(h, admin, name, PASSWORD)));
      const tokens = await Promise.all(names.map((name) => h.login(name, PASSWORD)));
      for (const t of tokens) assert.equal((await verify(h, t.access_token)).status, 200);
      const patched = await h.call(`/identity/users/${ids[0]}`, { method: 'PATCH', token: admin, body: { status: 'suspended' } });
      assert.equal(patched.status, 200, patched.text);
      expect401(await verify(h, tokens[0].access_token));
      expect401(await refresh(h, tokens[0].refresh_token!));
      const bulk = await h.call(`/identity/users/bulk?query=${encodeURIComponent(JSON.stringify({ username: names[1] }))}`,
        { method: 'PATCH', token: admin, body: { status: 'inactive' } });
      assert.deepEqual(bulk.body, { total: 1 });
      expect401(await verify(h, tokens[1].access_token));
      assert.equal((await h.call(`/identity/users/${ids[2]}`, { method: 'DELETE', token: admin })).status, 200);
      expect401(await verify(h, tokens[2].access_token));
      assert.equal((await verify(h, admin)).status, 200, 'the admin who made the changes is still signed in');
    });
  });
}

/** The scaled shape: two nodes on one PostgreSQL, each with its own NATS connection. */
const postgres = storeShapes().find((s) => s.name === 'postgres');
const natsUrl = process.env.NATS_URL;

describe('revocation between two nodes over NATS', { skip: (!postgres || !natsUrl) && 'needs DATABASE_URL and NATS_URL' }, () => {
  const nodes: Secure[] = [];
  before(async () => {
    const env = { NATS_URL: natsUrl!, STRATUM_ROOT_DOMAIN: uniqueDomain('sec-nats') };
    for (let i = 0; i < 2; i++) nodes.push(await startSecure(await postgres!.open(), env));
  });
  after(async () => {
    for (const node of nodes) {
      await node.platform.close();
      await node.store.close();
    }
  });

  it('both nodes really use NATS and share the keys and the admin', async () => {
    const [a, b] = nodes;
    assert.equal(a.platform.bus.kind, 'nats');
    assert.equal(b.platform.bus.kind, 'nats');
    assert.notEqual(a.platform.bus, b.platform.bus);
    assert.equal(a.rootClientId, b.rootClientId);
    const token = await b.login();
    assert.equal((await a.call('/auth/verify', { token: token.access_token })).status, 200);
  });

  it('a logout through node A makes the next request with that token fail on node B', async () => {
    const [a, b] = nodes;
    for (let round = 0; round < 5; round++) {
      const { access_token: token } = await a.login();
      assert.equal((await verify(b, token)).status, 200, 'node B has seen (and cached) the session as active');
      assert.equal((await verify(b, token)).status, 200);
      assert.deepEqual((await a.call('/auth/logout', { token })).body, { result: true });
      expect401(await verify(a, token));
      // The news has left A when the logout answers; B drops the session as soon as NATS hands it
      // over, which on a loaded machine can come just after B reads its next request.
      let onB = await verify(b, token);
      for (let i = 0; i < 20 && onB.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 25));
        onB = await verify(b, token);
      }
      expect401(onB);
    }
  });

  it('sign-out everywhere, an APT delete and a refresh replay on A reach B', async () => {
    const [a, b] = nodes;
    const { access_token: admin } = await a.login();
    const username = uniqueName('nats');
    await createUser(a, admin, username, PASSWORD);
    const one = await a.login(username, PASSWORD);
    const two = await b.login(username, PASSWORD);
    for (const s of [one, two]) assert.equal((await verify(b, s.access_token)).status, 200);
    await a.call('/auth/logout/all', { method: 'POST', token: one.access_token });
    for (const s of [one, two]) expect401(await verify(b, s.access_token));

    const apt = await createApt(a, admin, 'read:identity:users');
    assert.equal((await verify(b, apt.token)).status, 200);
    assert.equal((await a.call(`/auth/apts/${apt.id}`, { method: 'DELETE', token: admin })).status, 200);
    expect401(await verify(b, apt.token));

    const first = await a.login();
    const second = (await refresh(a, first.refresh_token!)).body.data;
    assert.equal((await verify(b, second.access_token)).status, 200);
    expect401(await refresh(a, first.refresh_token!));
    expect401(await verify(b, second.access_token));

    const deleted = await b.login();
    assert.equal((await verify(b, deleted.access_token)).status, 200);
    assert.equal((await a.call(`/identity/sessions/${deleted.session}`, { method: 'DELETE', token: admin })).status, 200);
    expect401(await verify(b, deleted.access_token));
  });
});
