import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../errors.js';
import { testLimits } from '../testing/stores.js';
import { parseReadOptions } from './read-options.js';

const limits = testLimits();
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'no error';
};

test('defaults: empty filter, limit 10, no skip', () => {
  const options = parseReadOptions({}, limits);
  assert.deepEqual(options.filter, {});
  assert.equal(options.limit, 10);
  assert.equal(options.skip, 0);
  assert.deepEqual(options.sort, {});
});

test('JSON and qs-bracket forms of query, pagination and flat parameters', () => {
  assert.deepEqual(parseReadOptions({ query: '{"a":{"$gt":1}}' }, limits).filter, { a: { $gt: 1 } });
  assert.deepEqual(parseReadOptions({ query: { status: 'A' } }, limits).filter, { status: 'A' });
  const paged = parseReadOptions({ pagination: '{"limit":5,"skip":2,"sort":{"name":-1}}' }, limits);
  assert.deepEqual([paged.limit, paged.skip, paged.sort], [5, 2, { name: -1 }]);
  const flat = parseReadOptions({ limit: '7', skip: '3', sort: '-created_at,name' }, limits);
  assert.deepEqual([flat.limit, flat.skip, flat.sort], [7, 3, { created_at: -1, name: 1 }]);
  assert.deepEqual(parseReadOptions({ sort: '{"a":"desc"}' }, limits).sort, { a: -1 });
  assert.deepEqual(parseReadOptions({ projection: 'name -id' }, limits).projection, { name: 1, id: 0 });
  assert.deepEqual(parseReadOptions({ populate: 'user,client' }, limits).populate, [{ path: 'user' }, { path: 'client' }]);
  assert.deepEqual(parseReadOptions({ populate: '[{"path":"user","select":"name"}]' }, limits).populate, [{ path: 'user', select: ['name'] }]);
});

test('every limit and malformed parameter is a 400 with its own code', () => {
  assert.equal(code(() => parseReadOptions({ limit: '51' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ limit: '0' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ limit: '1.5' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ skip: '-1' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ skip: String(limits.skipMax + 1) }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ query: '{bad' }, limits)), 'INVALID_JSON');
  assert.equal(code(() => parseReadOptions({ query: '[1]' }, limits)), 'INVALID_QUERY');
  assert.equal(code(() => parseReadOptions({ ref: { $ne: 'x' } }, limits)), 'INVALID_QUERY');
  assert.equal(code(() => parseReadOptions({ ref: ['a', 'b'] }, limits)), 'INVALID_QUERY');
  assert.equal(code(() => parseReadOptions({ after: 'nope' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ after: 'a'.repeat(24), skip: '1' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ pagination: '{"page":1}' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ sort: '{"a":2}' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ sort: 'a,b,c,d,e,f,g,h,i' }, limits)), 'INVALID_PAGINATION');
  assert.equal(code(() => parseReadOptions({ projection: '{"a":1,"b":0}' }, limits)), 'INVALID_QUERY');
});
