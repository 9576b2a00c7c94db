import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DomainError } from '@stratum/core';
import { cliFails, cliJson, cliShapes, runCli, withPlatform } from './testing.js';

interface Created {
  tenant: { id: string; aliases: string[]; slug: string; name: string; status: string };
  client: { id: string; name: string; scopes: string[]; grant_types: string[] };
  client_secret: string;
}

interface CreatedClient {
  tenant: string;
  client_id: string;
  client_secret: string;
  client: { id: string; name: string; scopes: string[]; grant_types: string[]; redirect_uris: string[]; coworkers: string[] };
}

interface CreatedUser {
  tenant: string;
  user: { id: string; email: string; username?: string; subjects?: string[]; status: string; client: string };
  generated_password?: string;
}

// The shapes are independent stores, so they run side by side; the steps within a shape run in order.
describe('stratum tenant, client and user', { concurrency: true }, () => {
  for (const shape of cliShapes()) {
    describe(`stratum tenant, client and user on ${shape.name}`, { concurrency: false }, () => {
      const env = shape.env;
      const slug = shape.unique('acme');
      const domain = `${slug}.test`;
      const alias = `www.${domain}`;
      const login = { username: shape.unique('ann'), email: `ann@${domain}`, password: 'correct horse battery' };
      let tenant: Created;
      let web: CreatedClient;
      let ann: CreatedUser;
      let bob: CreatedUser;
      after(() => shape.dispose());

      test('tenant create makes the tenant and its default client, printing the secret once', async () => {
        const result = await runCli(['tenant', 'create', domain, '--alias', alias, '--slug', slug, '--name', 'Acme Inc'], env);
        assert.equal(result.code, 0, result.stderr);
        tenant = JSON.parse(result.stdout) as Created;
        assert.deepEqual(tenant.tenant, { id: domain, aliases: [alias], slug, name: 'Acme Inc', status: 'active' });
        assert.equal(tenant.client.name, 'default');
        assert.deepEqual(tenant.client.scopes, ['whole']);
        assert.deepEqual(tenant.client.grant_types, ['password', 'refresh_token', 'client_credentials', 'authorization_code']);
        assert.match(tenant.client_secret, /^[A-Za-z0-9_-]{32}$/);
        assert.match(result.stderr, /client_secret of the default client [0-9a-f]{24} is shown only now/);

        const listed = await cliJson<Created['tenant'][]>(['tenant', 'list'], env);
        assert.deepEqual(listed.find((t) => t.id === domain), tenant.tenant);
        await cliFails(['tenant', 'create', `other-${domain}`, '--alias', alias], env, 1, new RegExp(`tenant create: the alias ${alias} is already used by tenant ${domain}`));
      });

      test('client create and user create write through the engine with the tenant found by slug or alias', async () => {
        web = await cliJson<CreatedClient>(['client', 'create', '--tenant', slug, '--name', 'web', '--scopes', 'read:identity write:identity:users',
          '--grant-types', 'password,client_credentials', '--redirect-uri', 'https://app.example.test/cb', '--coworker', tenant.client.id], env);
        assert.equal(web.tenant, domain);
        assert.deepEqual(web.client, {
          scopes: ['read:identity', 'write:identity:users'], grant_types: ['password', 'client_credentials'],
          id: web.client_id, name: 'web', redirect_uris: ['https://app.example.test/cb'], coworkers: [tenant.client.id],
        });

        ann = await cliJson<CreatedUser>(['user', 'create', '--tenant', alias, '--email', login.email, '--username', login.username,
          '--password', login.password, '--subjects', 'admin,editor', '--client', web.client_id], env);
        assert.deepEqual(ann.user, { id: ann.user.id, email: login.email, username: login.username, subjects: ['admin', 'editor'], status: 'active', client: web.client_id });
        assert.equal(ann.generated_password, undefined);

        const generated = await runCli(['user', 'create', '--tenant', domain, '--email', `bob@${domain}`], env);
        assert.equal(generated.code, 0, generated.stderr);
        bob = JSON.parse(generated.stdout) as CreatedUser;
        assert.equal(bob.user.client, tenant.client.id, 'without --client the default client acts');
        assert.match(bob.generated_password ?? '', /^[A-Za-z0-9_-]{16}$/);
        assert.match(generated.stderr, /generated_password of user [0-9a-f]{24} is shown only now/);
      });

      test('duplicates and unknown tenants or clients fail with a clear message and exit 1', async () => {
        await cliFails(['user', 'create', '--tenant', domain, '--email', login.email], env, 1, new RegExp(`user create: a user with this email already exists in tenant ${domain}`));
        await cliFails(['user', 'create', '--tenant', domain, '--email', `ann2@${domain}`, '--username', login.username], env, 1, /a user with this username already exists/);
        await cliFails(['user', 'create', '--tenant', `missing-${domain}`, '--email', 'x@example.test'], env, 1, /there is no tenant "missing-/);
        await cliFails(['user', 'create', '--tenant', domain, '--email', 'x@example.test', '--client', 'f'.repeat(24)], env, 1, new RegExp(`there is no client f{24} in tenant ${domain}`));
        await cliFails(['client', 'create', '--tenant', domain, '--name', 'x', '--coworker', 'e'.repeat(24)], env, 1, /--coworker e{24}: there is no client/);
      });

      test('the created users sign in and the created clients get tokens with their scopes', async () => {
        await withPlatform(env, async ({ store, identity }) => {
          if (shape.name === 'embedded') {
            await cliFails(['tenant', 'list'], env, 1, /is in use by another process \(PGlite is single-process\)\. Stop `npm start`/);
          }
          const grant = (body: Record<string, unknown>) => identity.grants.grant({ body, domain, ip: '127.0.0.1' });
          const annToken = await grant({ grant_type: 'password', username: login.username, password: login.password, client_id: web.client_id, client_secret: web.client_secret });
          const claims = await identity.tokens.verify(annToken.access_token, 'access');
          assert.equal(claims.uid, ann.user.id);
          assert.equal(claims.domain, domain);
          assert.equal(claims.client_id, web.client_id);
          assert.equal(claims.scope, 'read:identity write:identity:users');
          assert.equal(claims.subject, `admin@${domain} editor@${domain}`);

          const bobToken = await grant({ grant_type: 'password', username: `bob@${domain}`, password: bob.generated_password });
          assert.equal((await identity.tokens.verify(bobToken.access_token, 'access')).uid, bob.user.id);
          await assert.rejects(grant({ grant_type: 'password', username: login.email, password: 'wrong password' }), DomainError);

          const service = await grant({ grant_type: 'client_credentials', client_id: tenant.client.id, client_secret: tenant.client_secret });
          assert.equal((await identity.tokens.verify(service.access_token, 'access')).scope, 'whole');

          const stored = await store.query<{ password: string }>("SELECT doc->>'password' AS password FROM c_identity_users WHERE tenant_id = $1 AND id = $2", [domain, ann.user.id]);
          assert.match(stored.rows[0].password, /^\$argon2id\$/);
          assert.equal(await identity.tenants.resolve(`other-${domain}`), undefined, 'the refused tenant create made nothing');
        });
      });
    });
  }
});
