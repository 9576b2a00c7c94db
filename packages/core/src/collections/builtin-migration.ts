import { BUILTIN_COLLECTIONS } from './builtins.js';
import { collectionDdl } from './ddl.js';

export const BUILTIN_MIGRATION_FILE = '0002_builtin_collections.sql';

/** The checked-in migration that creates the built-in collection tables, as the registry defines them. */
export function builtinMigrationSql(): string {
  const header = '-- Generated from the collection registry by `npm run gen:migrations`; do not edit by hand.\n';
  return header + BUILTIN_COLLECTIONS.map((def) => `\n-- ${def.service}/${def.name}: ${def.description}\n${collectionDdl(def)}\n`).join('');
}
