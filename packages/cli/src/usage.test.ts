import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliFails, runCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-cli-usage-'));
const env = { STRATUM_DATA_DIR: dir };

/** Each case: the arguments, the message that must name the mistake, the usage line that must follow. */
const BAD: [string[], RegExp, RegExp][] = [
  [[], /stratum: missing command/, /Usage: stratum <command>/],
  [['deploy'], /stratum: unknown command "deploy"/, /Usage: stratum <command>/],
  [['keys'], /stratum: keys needs a subcommand: rotate, list/, /stratum keys rotate\n\s+stratum keys list/],
  [['keys', 'rotate', '--force'], /stratum: unknown option --force/, /stratum keys rotate/],
  [['migrate', 'now'], /stratum: unexpected argument "now"/, /stratum migrate/],
  [['tenant', 'create'], /stratum: missing <domain>/, /stratum tenant create <domain>/],
  [['tenant', 'create', 'acme_test'], /<domain> must be a domain name such as acme.com, got "acme_test"/, /stratum tenant create <domain>/],
  [['tenant', 'create', 'a.test', '--slug', 'Not A Slug'], /--slug must be lowercase/, /stratum tenant create/],
  [['tenant', 'create', 'a.test', '--alias', 'a.test'], /--alias a.test is the tenant's own domain/, /stratum tenant create/],
  [['tenant', 'plan'], /stratum: missing <domain>/, /stratum tenant plan <domain>/],
  [['tenant', 'plan', 'a.test', '--documents', '-5'], /--documents must be a positive integer or unlimited, got "-5"/, /stratum tenant plan <domain>/],
  [['tenant', 'plan', 'a.test', '--rate', '0'], /--rate must be an integer from 1 to 1000000, or unlimited/, /stratum tenant plan/],
  [['tenant', 'plan', 'a.test', '--requests', '5'], /stratum: unknown option --requests/, /stratum tenant plan/],
  [['client', 'create', '--name', 'web'], /stratum: --tenant is required/, /stratum client create --tenant <domain> --name <name>/],
  [['client', 'create', '--tenant', 'a.test'], /stratum: --name is required/, /stratum client create/],
  [['client', 'create', '--tenant', 'a.test', '--name', 'web', '--scopes', 'read:identity everything'], /--scopes: "everything" is not a scope/, /stratum client create/],
  [['client', 'create', '--tenant', 'a.test', '--name', 'web', '--grant-types', 'password,implicit'], /--grant-types: unknown grant "implicit"/, /stratum client create/],
  [['client', 'create', '--tenant', 'a.test', '--name', 'web', '--coworker', 'abc'], /--coworker must be a client id \(24 hex characters\), got "abc"/, /stratum client create/],
  [['client', 'create', '--tenant', 'a.test', '--name', 'web', '--redirect-uri', 'callback'], /--redirect-uri must be an absolute URL/, /stratum client create/],
  [['user', 'create', '--tenant', 'a.test'], /stratum: --email is required/, /stratum user create --tenant <domain> --email <email>/],
  [['user', 'create', '--tenant', 'a.test', '--email', 'nobody'], /--email must be an email address, got "nobody"/, /stratum user create/],
  [['user', 'create', '--tenant', 'a.test', '--email', 'a@a.test', '--password', 'short'], /--password must have between 8 and 256 characters/, /stratum user create/],
  [['user', 'create', '--tenant', 'a.test', '--email', 'a@a.test', '--password'], /--password needs a value/, /stratum user create/],
  [['user', 'create', '--tenant', 'a.test', '--email', 'a@a.test', '--email', 'b@a.test'], /--email was given more than once/, /stratum user create/],
];

describe('stratum with bad arguments', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every bad or missing argument exits 2 with the mistake and the usage, before opening any store', async () => {
    const results = await Promise.all(BAD.map(async ([args, message, usage]) => {
      const result = await cliFails(args, env, 2, message);
      assert.match(result.stderr, usage, `usage of stratum ${args.join(' ')}`);
      return result;
    }));
    assert.equal(results.length, BAD.length);
    assert.deepEqual(readdirSync(dir), [], 'a usage error must not create the data dir');
  });

  test('help prints every command on stdout and exits 0', async () => {
    const result = await runCli(['help'], env);
    assert.equal(result.code, 0, result.stderr);
    for (const line of ['migrate', 'keys rotate', 'keys list', 'tenant create <domain>', 'tenant list', 'client create --tenant', 'user create --tenant']) {
      assert.ok(result.stdout.includes(`\n  ${line}`), `help lists ${line}`);
    }
    assert.match(result.stdout, /single-process/);
  });

  test('a configuration error exits 78 and names the variable', async () => {
    await cliFails(['tenant', 'list'], { ...env, DATABASE_URL: 'mysql://localhost/x' }, 78, /configuration error: DATABASE_URL must use postgres:\/\//);
    assert.equal(existsSync(join(dir, 'pgdata')), false);
  });
});
