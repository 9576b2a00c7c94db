// Writes the generated migrations from the registry; CI fails if the checked-in copy drifts.
import { writeFileSync } from 'node:fs';
import { BUILTIN_MIGRATION_FILE, MIGRATIONS_DIR, builtinMigrationSql } from '@stratum/core';

writeFileSync(MIGRATIONS_DIR + BUILTIN_MIGRATION_FILE, builtinMigrationSql());
console.log(`wrote ${BUILTIN_MIGRATION_FILE}`);
