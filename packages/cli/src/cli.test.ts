import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { claimsFor, readMigrations } from '@stratum/core';
import { cliFails, cliJson, cliShapes, kidOf, withPlatform } from './testing.js';

interface KeyList {
  current: string | null;
  overlap_seconds: number;
  keys: { kid: string; created_at: string; retired_at: string | null; verifies_until: string | null; state: string }[];
}

// The shapes are independent stores, so they run side by side; the steps within a shape run in order.
describe('stratum migrate and keys', { concurrency: true }, () => {
  for (const shape of cliShapes()) {
    describe(`stratum migrate and keys on ${shape.name}`, { concurrency: false }, () => {
      const env = shape.env;
      after(() => shape.dispose());

      test('migrate applies the pending migrations once and reports them', async () => {
        const versions = readMigrations().map((m) => m.version);
        const first = await cliJson<{ database: string; applied: string[] }>(['migrate'], env);
        assert.equal(first.database, shape.name);
        // The shared PostgreSQL database may already be migrated by other suites; a fresh data dir is not.
        if (shape.name === 'embedded') assert.deepEqual(first.applied, versions);
        else assert.ok(first.applied.every((v) => versions.includes(v)), JSON.stringify(first.applied));
        const second = await cliJson<{ applied: string[] }>(['migrate'], env);
        assert.deepEqual(second.applied, []);
        const applied = await withPlatform(env, async ({ store }) =>
          (await store.query<{ version: string }>('SELECT version FROM stratum_migrations ORDER BY version')).rows.map((r) => r.version));
        for (const version of versions) assert.ok(applied.includes(version), `${version} is recorded`);
      });

      test('keys rotate makes a new current key; tokens signed with the old one keep verifying', async () => {
        const first = await cliJson<{ kid: string }>(['keys', 'rotate'], env);
        const listed = await cliJson<KeyList>(['keys', 'list'], env);
        assert.equal(listed.current, first.kid);
        assert.equal(listed.keys.find((k) => k.kid === first.kid)?.state, 'current');
        for (const key of listed.keys) assert.deepEqual(Object.keys(key).sort(), ['alg', 'created_at', 'kid', 'retired_at', 'state', 'verifies_until']);

        const claims = claimsFor({ tenant: 'keys.test', session: 'cli-session', client: 'cli-client', coworkers: [], scope: ['whole'], type: 'access' });
        const old = await withPlatform(env, async ({ identity }) => (await identity.tokens.sign(claims, 600)).token);
        assert.equal(kidOf(old), first.kid);

        const second = await cliJson<{ kid: string; retired: string[]; retired_keys_verify_for_seconds: number }>(['keys', 'rotate'], env);
        assert.notEqual(second.kid, first.kid);
        assert.deepEqual(second.retired, [first.kid]);
        const rotated = await cliJson<KeyList>(['keys', 'list'], env);
        assert.equal(rotated.current, second.kid);
        const retired = rotated.keys.find((k) => k.kid === first.kid)!;
        assert.equal(retired.state, 'verifying');
        assert.equal(Date.parse(retired.verifies_until!) - Date.parse(retired.retired_at!), rotated.overlap_seconds * 1000);
        assert.equal(rotated.overlap_seconds, second.retired_keys_verify_for_seconds);

        await withPlatform(env, async ({ identity }) => {
          assert.equal((await identity.tokens.verify(old, 'access')).session, 'cli-session');
          assert.equal(kidOf((await identity.tokens.sign(claims, 600)).token), second.kid);
        });
      });
    });
  }
});
