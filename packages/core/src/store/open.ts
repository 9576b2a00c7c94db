import type { Config } from '../config.js';
import { migrate } from './migrate.js';
import { PgStore } from './pg-store.js';
import { PgliteStore } from './pglite-store.js';
import type { Store } from './types.js';

/** Chooses the adapter once from config, opens it and brings the schema up to date. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'embeddedDataDir'>): Promise<Store> {
  const store = config.databaseUrl
    ? await PgStore.open(config.databaseUrl, config.databasePoolSize)
    : await PgliteStore.open(config.embeddedDataDir);
  try {
    await migrate(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
