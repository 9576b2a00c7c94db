import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../store/migrate.js';
import { storeShapes } from '../testing/stores.js';
import { BUILTIN_MIGRATION_FILE, builtinMigrationSql } from './builtin-migration.js';
import { BUILTIN_COLLECTIONS } from './builtins.js';
import { tableOf } from './definition.js';
import { collectionDdl } from './ddl.js';

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

test('0004 adds the external identity index, exactly as the registry defines it, to databases migrated before it', async () => {
  const users = BUILTIN_COLLECTIONS.find((def) => def.service === 'identity' && def.name === 'users')!;
  const statement = collectionDdl(users).split('\n').find((line) => line.includes('"c_identity_users_u_external_id"'));
  assert.ok(statement, 'the registry declares a unique external_id index on identity/users');
  const migrations = readMigrations();
  const m0004 = migrations.find((m) => m.version.startsWith('0004_'));
  assert.ok(m0004?.sql.includes(statement), '0004 carries the generated statement');
  const [embedded] = storeShapes({});
  const store = await embedded.open();
  try {
    // A database that applied 0001-0003 before the index existed: drop it, forget 0004, migrate again.
    await store.exec('DROP INDEX "c_identity_users_u_external_id"');
    await store.query('DELETE FROM stratum_migrations WHERE version = $1', [m0004!.version]);
    assert.deepEqual(await migrate(store), [m0004!.version]);
    const index = await store.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'c_identity_users_u_external_id'");
    assert.match(index.rows[0]?.indexdef ?? '', /^CREATE UNIQUE INDEX .*external_id.*WHERE \(deleted_at IS NULL\)$/);
  } finally {
    await store.close();
  }
});
