import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

test('defaults give the embedded shape on port 3010 with the documented limits', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3010);
  assert.equal(config.databaseUrl, undefined);
  assert.match(config.embeddedDataDir, /data\/pgdata$/);
  assert.equal(config.authProvider, 'none');
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
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /AUTH_PROVIDER=none is for local development only/);
  assert.throws(() => loadConfig({ NODE_ENV: 'production', AUTH_PROVIDER: 'none' }), /AUTH_PROVIDER=none/);
});

test('limits are read from the environment and the default page never exceeds the maximum', () => {
  const config = loadConfig({ PAGE_LIMIT_MAX: '5', PAGE_LIMIT_DEFAULT: '20', BULK_LIMIT: '7', QUERY_REGEX_MAX: '9', DATABASE_URL: 'postgres://u@h/db' });
  assert.equal(config.limits.pageMax, 5);
  assert.equal(config.limits.pageDefault, 5);
  assert.equal(config.limits.bulkItems, 7);
  assert.equal(config.limits.regexLength, 9);
  assert.equal(config.databaseUrl, 'postgres://u@h/db');
});
