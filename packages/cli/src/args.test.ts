import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commaList, parseArgs, UsageError, type ArgSpec } from './args.js';
import { findCommand } from './commands/index.js';
import { domainArg, grantTypesArg, redirectUriArg, scopesArg } from './validate.js';

const spec: ArgSpec = { positionals: ['domain'], flags: { name: 'value', alias: 'list' }, required: ['name'] };

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof UsageError && message.test(error.message));
}

describe('argument parsing', () => {
  test('reads positionals, --flag value, --flag=value and repeated list flags', () => {
    const parsed = parseArgs(spec, ['--alias', 'a.com', 'acme.com', '--name=Acme Inc', '--alias=b.com']);
    assert.deepEqual(parsed, { positionals: { domain: 'acme.com' }, values: { name: 'Acme Inc' }, lists: { alias: ['a.com', 'b.com'] } });
  });

  test('rejects every deviation from the spec with a precise message', () => {
    usageError(() => parseArgs(spec, ['--name', 'x']), /^missing <domain>$/);
    usageError(() => parseArgs(spec, ['a.com']), /^--name is required$/);
    usageError(() => parseArgs(spec, ['a.com', 'b.com', '--name', 'x']), /^unexpected argument "b.com"$/);
    usageError(() => parseArgs(spec, ['a.com', '--name']), /^--name needs a value$/);
    usageError(() => parseArgs(spec, ['a.com', '--name', '--alias', 'b']), /^--name needs a value$/);
    usageError(() => parseArgs(spec, ['a.com', '--name=']), /^--name needs a non-empty value$/);
    usageError(() => parseArgs(spec, ['a.com', '--name', 'x', '--name', 'y']), /^--name was given more than once$/);
    usageError(() => parseArgs(spec, ['a.com', '--name', 'x', '--slug', 's']), /^unknown option --slug$/);
    usageError(() => parseArgs(spec, ['-n', 'a.com']), /^unknown option -n$/);
  });

  test('comma lists drop duplicates and refuse empty items', () => {
    assert.deepEqual(commaList('subjects', 'admin, editor,admin'), ['admin', 'editor']);
    usageError(() => commaList('subjects', 'admin,,editor'), /--subjects has an empty item/);
  });

  test('finds commands by their words and names the choices of a group', () => {
    assert.deepEqual(findCommand(['tenant', 'create', 'a.com']).rest, ['a.com']);
    assert.deepEqual(findCommand(['migrate']).command.words, ['migrate']);
    usageError(() => findCommand([]), /^missing command$/);
    usageError(() => findCommand(['tenants']), /^unknown command "tenants"$/);
    usageError(() => findCommand(['keys']), /^keys needs a subcommand: rotate, list$/);
    usageError(() => findCommand(['keys', 'delete']), /^unknown command "keys delete"; keys has: rotate, list$/);
  });
});

describe('argument values', () => {
  test('domains are normalised like the tenant directory does', () => {
    assert.equal(domainArg('<domain>', 'Acme.COM.'), 'acme.com');
    usageError(() => domainArg('<domain>', 'acme_com'), /<domain> must be a domain name/);
  });

  test('scopes follow the scope grammar, separated by spaces or commas', () => {
    assert.deepEqual(scopesArg('read:identity  write:identity:users,whole'), ['read:identity', 'write:identity:users', 'whole']);
    usageError(() => scopesArg('read:identity admin:all'), /"admin:all" is not a scope/);
    usageError(() => scopesArg('  '), /needs at least one scope/);
  });

  test('grant types are the four of the platform', () => {
    assert.deepEqual(grantTypesArg('password,client_credentials'), ['password', 'client_credentials']);
    usageError(() => grantTypesArg('password,implicit'), /unknown grant "implicit"/);
  });

  test('redirect URIs are absolute and without fragment', () => {
    assert.equal(redirectUriArg('https://app.example.com/cb'), 'https://app.example.com/cb');
    usageError(() => redirectUriArg('/cb'), /must be an absolute URL/);
    usageError(() => redirectUriArg('https://app.example.com/cb#x'), /must not have a fragment/);
  });
});
