import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { expectError, useSecure } from '../auth/security-harness.js';

for (const shape of storeShapes()) {
  describe(`per-tenant JSON Schemas from context/configs on ${shape.name}`, () => {
    const h = useSecure(shape);

    test('every write must satisfy the tenant\'s schema for the collection; a change applies on the next write', async () => {
      const { access_token: admin } = await h.login();
      const write = (path: string, body: unknown, method?: string) => h.call(path, { token: admin, body, method });
      expectError(await write('/context/configs', { key: 'special/stats', value: { type: 'nope' } }), 422, 'VALIDATION_FAILED');
      const schema = { type: 'object', properties: { value: { type: 'number', minimum: 0 } }, required: ['value'] };
      const config = await write('/context/configs', { key: 'special/stats', value: schema });
      assert.equal(config.status, 201, config.text);

      const missing = expectError(await write('/special/stats', { key: 'a' }), 422, 'VALIDATION_FAILED');
      assert.deepEqual(missing.details, [{ path: 'value', message: "must have required property 'value'" }]);
      const negative = expectError(await write('/special/stats', { key: 'a', value: -1 }), 422, 'VALIDATION_FAILED');
      assert.equal((negative.details as { path: string }[])[0].path, 'value');
      const ok = await write('/special/stats', { key: 'a', value: 1 });
      assert.equal(ok.status, 201, ok.text);
      const id = ok.body.data.id;
      expectError(await write(`/special/stats/${id}`, { value: -5 }, 'PATCH'), 422, 'VALIDATION_FAILED');
      expectError(await write(`/special/stats/bulk?query=${encodeURIComponent(JSON.stringify({ key: 'a' }))}`, { value: -5 }, 'PATCH'), 422, 'VALIDATION_FAILED');
      assert.equal((await h.call(`/special/stats/${id}`, { token: admin })).body.data.value, 1, 'the refused bulk update changed nothing');
      expectError(await write('/special/stats/bulk', { items: [{ key: 'b', value: 2 }, { key: 'c', value: -2 }] }), 422, 'VALIDATION_FAILED');

      const relaxed = await write(`/context/configs/${config.body.data.id}`, { value: { ...schema, properties: { value: { type: 'number', minimum: -10 } } } }, 'PATCH');
      assert.equal(relaxed.status, 200, relaxed.text);
      assert.equal((await write('/special/stats', { key: 'b', value: -5 })).status, 201, 'the changed schema counts at once');
      assert.equal((await h.call(`/context/configs/${config.body.data.id}`, { token: admin, method: 'DELETE' })).status, 200);
      assert.equal((await write('/special/stats', { key: 'c' })).status, 201, 'without the config only the collection\'s own schema applies');
    });
  });
}
