import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isId, newId } from './ids.js';

test('ids are 24 lowercase hex, unique and ordered by creation time', () => {
  const ids = Array.from({ length: 5000 }, (_, i) => newId(1_700_000_000_000 + i * 1000));
  assert.ok(ids.every(isId));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(isId('ABCDEF0123456789abcdef01'), false);
  assert.equal(isId('abc'), false);
});
