import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

test('defaults give the embedded shape on port 3010 with the documented limits', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3010);
  assert.equal(config.databaseUrl, undefined);
  assert.match(config.embeddedDataDir, /data\/pgdata$/);
  assert.equal(config.authProvider, 'internal');
  assert.equal(config.limits.pageDefault, 10);
  assert.equal(config.limits.pageMax, 50);
  assert.equal(config.limits.bodyBytes, 1024 * 1024);
  assert.equal(config.limits.bulkItems, 500);
});

test('every bad value fails at boot with a message naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must use postgres/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be one of/],
    [{ BODY_LIMIT: '10' }, /BODY_LIMIT must be between/],
    [{ PAGE_LIMIT_MAX: '0' }, /PAGE_LIMIT_MAX must be between/],
    [{ AUTH_PROVIDER: 'magic' }, /AUTH_PROVIDER must be one of/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
  }
});

test('AUTH_PROVIDER=none refuses to run in production', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production', AUTH_PROVIDER: 'none' }), /AUTH_PROVIDER=none is for local development only/);
  assert.equal(loadConfig({ NODE_ENV: 'production' }).authProvider, 'internal');
});

test('limits are read from the environment and the default page never exceeds the maximum', () => {
  const config = loadConfig({ PAGE_LIMIT_MAX: '5', PAGE_LIMIT_DEFAULT: '20', BULK_LIMIT: '7', QUERY_REGEX_MAX: '9', DATABASE_URL: 'postgres://u@h/db' });
  assert.equal(config.limits.pageMax, 5);
  assert.equal(config.limits.pageDefault, 5);
  assert.equal(config.limits.bulkItems, 7);
  assert.equal(config.limits.regexLength, 9);
  assert.equal(config.databaseUrl, 'postgres://u@h/db');
});

const OIDC = { AUTH_PROVIDER: 'oidc', OIDC_ISSUER: 'https://tenant.example.auth0.com/', OIDC_AUDIENCE: 'api://stratum' };

test('AUTH_PROVIDER=oidc derives the JWKS URI from the issuer and grants no scope by default', () => {
  const oidc = loadConfig(OIDC).auth.oidc!;
  assert.equal(oidc.issuer, 'https://tenant.example.auth0.com/');
  assert.equal(oidc.audience, 'api://stratum');
  assert.equal(oidc.jwksUri, 'https://tenant.example.auth0.com/.well-known/jwks.json');
  assert.deepEqual(oidc.scope, []);
  assert.equal(oidc.clientId, undefined);
  assert.equal(oidc.jwksCooldownSeconds, 30);
  assert.equal(loadConfig({ ...OIDC, OIDC_ISSUER: 'https://idp.example.com/realms/a' }).auth.oidc!.jwksUri,
    'https://idp.example.com/realms/a/.well-known/jwks.json');
  assert.equal(loadConfig({}).auth.oidc, undefined);
});

test('OIDC_SCOPE, OIDC_CLIENT_ID, OIDC_JWKS_URI and the JWKS cooldown are read and validated', () => {
  const oidc = loadConfig({
    ...OIDC, OIDC_SCOPE: ' read:identity:users  write:career read:identity:users ', OIDC_CLIENT_ID: 'spa-123',
    OIDC_JWKS_URI: 'https://keys.example.com/jwks', OIDC_JWKS_COOLDOWN_SECONDS: '0',
  }).auth.oidc!;
  assert.deepEqual(oidc.scope, ['read:identity:users', 'write:career']);
  assert.equal(oidc.clientId, 'spa-123');
  assert.equal(oidc.jwksUri, 'https://keys.example.com/jwks');
  assert.equal(oidc.jwksCooldownSeconds, 0);
  const cases: [Record<string, string>, RegExp][] = [
    [{ AUTH_PROVIDER: 'oidc' }, /needs OIDC_ISSUER and OIDC_AUDIENCE/],
    [{ ...OIDC, OIDC_AUDIENCE: '' }, /needs OIDC_ISSUER and OIDC_AUDIENCE/],
    [{ ...OIDC, OIDC_ISSUER: 'not a url' }, /OIDC_ISSUER is not a valid URL/],
    [{ ...OIDC, OIDC_ISSUER: 'ftp://idp.example.com/' }, /OIDC_ISSUER must use https/],
    [{ ...OIDC, OIDC_JWKS_URI: 'file:///etc/keys.json' }, /OIDC_JWKS_URI must use https/],
    [{ ...OIDC, OIDC_SCOPE: 'whole' }, /OIDC_SCOPE cannot be whole/],
    [{ ...OIDC, OIDC_SCOPE: 'read:identity:users admin' }, /OIDC_SCOPE has an invalid scope "admin"/],
    [{ ...OIDC, OIDC_SCOPE: 'delete:identity' }, /OIDC_SCOPE has an invalid scope/],
    [{ ...OIDC, OIDC_CLIENT_ID: 'has space' }, /OIDC_CLIENT_ID must be printable ASCII/],
    [{ ...OIDC, OIDC_JWKS_COOLDOWN_SECONDS: '-1' }, /OIDC_JWKS_COOLDOWN_SECONDS must be an integer/],
    [{ ...OIDC, OIDC_JWKS_COOLDOWN_SECONDS: '3601' }, /OIDC_JWKS_COOLDOWN_SECONDS must be between/],
    [{ ...OIDC, NODE_ENV: 'production', OIDC_JWKS_URI: 'http://keys.example.com/jwks' }, /OIDC_JWKS_URI must use https:\/\/ when NODE_ENV=production/],
    [{ ...OIDC, NODE_ENV: 'production', OIDC_ISSUER: 'http://idp.example.com/' }, /OIDC_JWKS_URI must use https:\/\/ when NODE_ENV=production/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
  }
  assert.equal(loadConfig({ ...OIDC, NODE_ENV: 'production' }).auth.oidc!.jwksUri, 'https://tenant.example.auth0.com/.well-known/jwks.json');
});
