import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Principal } from '../context.js';
import { DomainError } from '../errors.js';
import { assertQueryReadable, limitReadable, limitsOf, readableAt, writeAccess, type AccessScope } from './access-scope.js';
import type { Possession } from './policy.js';
import type { Zone } from './zones.js';

const me: Principal = { uid: 'u1', cid: 'c1', coworkers: ['c1'], subjects: ['member'], scope: ['whole'], groups: ['g1'] };
const mine = { id: 'd1', owner: 'u1', shares: [], groups: [], clients: ['c1'], key: 'k', value: 'v', tags: ['t'] };
const shared = { id: 'd2', owner: 'u2', shares: ['u1'], groups: [], clients: ['c2'], key: 'k', value: 'v', tags: ['t'] };
const others = { id: 'd3', owner: 'u2', shares: [], groups: ['g1'], clients: ['c2'], key: 'k', value: 'v', tags: ['t'] };

type Grant = { possession: Possession; fields?: string[] };
const readScope = (grants: Grant[], zones?: Zone[]): AccessScope => ({
  principal: me, limits: limitsOf(grants), unscoped: grants.some((g) => g.possession === 'any'),
  rows: zones ? { principal: me, zones } : undefined,
});
const writeScope = (grants: Grant[]): AccessScope => {
  const possessions = [...new Set(grants.map((g) => g.possession))];
  const unscoped = possessions.includes('any');
  return { principal: me, limits: limitsOf(grants), unscoped, rows: unscoped ? undefined : { principal: me, possessions, client: me.cid } };
};
const refused = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (error: unknown) => error instanceof DomainError && error.code === 'FORBIDDEN' && message.test(error.message));

test('a grant\'s read filter holds on every row it reaches; another grant lifts it only on its own rows', () => {
  const scope = readScope([{ possession: 'any', fields: ['key'] }, { possession: 'own' }]);
  assert.equal(readableAt(scope, mine), undefined, 'own rows: the unlimited read:own grant');
  assert.deepEqual([...readableAt(scope, shared)!], ['key'], 'everyone else\'s rows: only the read:any filter');
  assert.deepEqual(Object.keys(limitReadable(scope, others, others)).sort(), ['clients', 'groups', 'id', 'key', 'owner', 'shares']);
  assert.deepEqual(limitReadable(scope, mine, mine), mine);
});

test('filters of several grants reaching one row add up; a row no grant reaches shows the core fields', () => {
  const scope = readScope([{ possession: 'own', fields: ['key'] }, { possession: 'share', fields: ['value'] }, { possession: 'group', fields: ['tags'] }]);
  assert.deepEqual([...readableAt(scope, { ...mine, shares: ['u1'] })!].sort(), ['key', 'value']);
  assert.deepEqual([...readableAt(scope, others)!], ['tags'], 'group g1');
  assert.deepEqual([...readableAt(scope, { ...others, groups: [] })!], []);
  assert.equal(limitsOf([{ possession: 'any' }, { possession: 'own', fields: ['key'] }]), undefined, 'an unlimited read:any lifts every limit');
  const unlimited = readScope([{ possession: 'own' }, { possession: 'share' }]);
  assert.equal(readableAt(unlimited, shared), undefined);
  assert.deepEqual([...readableAt(unlimited, others)!], [], 'a row no read grant reaches (one a bulk update reaches) shows the core fields');
});

test('a query may filter and sort only on fields readable on every row its zones can return', () => {
  const grants: Grant[] = [{ possession: 'any', fields: ['key'] }, { possession: 'own' }, { possession: 'share', fields: ['value'] }];
  refused(() => assertQueryReadable(readScope(grants), { value: 'v' }, []), /value is not readable/);
  assertQueryReadable(readScope(grants), { key: 'k', owner: 'u1' }, ['created_at']);
  assertQueryReadable(readScope(grants, ['own']), { value: 'v', tags: 't' }, ['tags']);
  assertQueryReadable(readScope(grants, ['own', 'share']), { value: 'v' }, []);
  refused(() => assertQueryReadable(readScope(grants, ['own', 'share']), { tags: 't' }, []), /tags is not readable/);
  refused(() => assertQueryReadable(readScope(grants, ['share']), {}, ['tags']), /tags is not readable by the caller and cannot be sorted on/);
  refused(() => assertQueryReadable(readScope(grants), { $or: [{ key: 'k' }, { $and: [{ value: 'v' }] }] }, []), /value/);
  const grouped = readScope([{ possession: 'own', fields: ['key'] }, { possession: 'group', fields: ['value'] }], ['own', 'group']);
  // own AND group: both grants reach every row the zones return.
  assertQueryReadable(grouped, { key: 'k', value: 'v' }, []);
});

test('a write counts only the grants whose field limit allows every written field, each for its own rows', () => {
  const scope = writeScope([{ possession: 'any', fields: ['tags'] }, { possession: 'own' }]);
  assert.equal(writeAccess(scope, ['tags']).rows, undefined, 'tags: the unscoped grant reaches every row');
  const value = writeAccess(scope, ['value', 'tags']);
  assert.deepEqual(value.rows?.possessions, ['own'], 'value: only the update:own grant, so only own rows');
  assert.equal(value.rows?.client, 'c1');
  assert.equal(value.unscoped, false);
  refused(() => writeAccess(scope, ['value', 'clients']), /setting clients needs an unscoped grant/);
  assert.equal(writeAccess(scope, ['tags', 'clients']).unscoped, true);
  assert.deepEqual(writeAccess(scope, []).rows, undefined, 'a delete: every grant counts');
});

test('a write no single grant allows is refused, naming the fields', () => {
  const scope = writeScope([{ possession: 'own', fields: ['key'] }, { possession: 'share', fields: ['value'] }]);
  refused(() => writeAccess(scope, ['tags']), /may not write tags/);
  refused(() => writeAccess(scope, ['key', 'value']), /no single grant of the caller allows writing key, value together/);
  assert.deepEqual(writeAccess(scope, ['value']).rows?.possessions, ['share']);
  const unlimited = writeScope([{ possession: 'own' }, { possession: 'share' }]);
  assert.deepEqual(writeAccess(unlimited, ['anything']).rows, unlimited.rows);
  refused(() => writeAccess(unlimited, ['owner']), /setting owner needs an unscoped grant/);
});

test('a bulk update\'s filter is checked under the read limits on the rows it updates', () => {
  const read = readScope([{ possession: 'any', fields: ['key'] }, { possession: 'own' }]);
  const update = writeAccess(writeScope([{ possession: 'own' }]), ['tags']);
  assertQueryReadable(read, { value: 'v' }, [], update);
  const everywhere = writeAccess(writeScope([{ possession: 'any' }]), ['tags']);
  refused(() => assertQueryReadable(read, { value: 'v' }, [], everywhere), /value is not readable/);
  refused(() => assertQueryReadable({ unscoped: false, limits: [] }, { value: 'v' }, [], update), /value/);
  assertQueryReadable({ unscoped: false, limits: [] }, { owner: 'u1', created_at: { $gt: 1 } }, [], update);
});
