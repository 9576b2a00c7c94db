import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MIGRATIONS_DIR, migrate } from '../store/migrate.js';
import { storeShapes } from '../testing/stores.js';
import { BUILTIN_MIGRATION_FILE, builtinMigrationSql } from './builtin-migration.js';
import { BUILTIN_COLLECTIONS } from './builtins.js';
import { tableOf } from './definition.js';

test('the checked-in built-in collections migration matches the registry (run `npm run gen:migrations`)', () => {
  assert.equal(readFileSync(MIGRATIONS_DIR + BUILTIN_MIGRATION_FILE, 'utf8'), builtinMigrationSql());
});

test('migrations create every built-in table and applying them again changes nothing', async () => {
  const [embedded] = storeShapes({});
  const store = await embedded.open();
  try {
    assert.deepEqual(await migrate(store), []);
    for (const def of BUILTIN_COLLECTIONS) {
      const columns = await store.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [tableOf(def)]);
      assert.deepEqual(columns.rows.map((r) => r.column_name),
        ['tenant_id', 'id', 'ref', 'owner', 'shares', 'groups', 'clients', 'created_at', 'deleted_at', 'version', 'doc'], tableOf(def));
    }
  } finally {
    await store.close();
  }
});
