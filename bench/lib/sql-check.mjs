// Guards the ceiling against drift: the W2 statement it runs must be the one the engine compiles.
import { BUILTIN_COLLECTIONS, CollectionRegistry, compileSelect, loadConfig, parseReadOptions } from '@stratum/core';
import { FIND } from './statements.mjs';

/** The W2 statement as the engine compiles it today; differs from FIND when the compiler changed. */
function engineFind() {
  const config = loadConfig({});
  const users = new CollectionRegistry(BUILTIN_COLLECTIONS).get('identity', 'users');
  const options = parseReadOptions({ query: '{"status":"active"}', sort: '-created_at', limit: '20' }, config.limits);
  return compileSelect(users, { tenant: 'localhost', includeDeleted: false }, options, config.limits, true).sql;
}

/** A note when bench/lib/statements.mjs no longer matches the engine, else null. */
export function findDrift() {
  let compiled;
  try {
    compiled = engineFind();
  } catch (error) {
    return `could not compile W2 with @stratum/core to compare with the ceiling: ${error.message}`;
  }
  return compiled === FIND ? null : `the engine now compiles W2 as\n  ${compiled}\nbut the ceiling runs\n  ${FIND}\nupdate bench/lib/statements.mjs`;
}
