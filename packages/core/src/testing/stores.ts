import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, readMigrations } from '../store/migrate.js';
import { PgStore } from '../store/pg-store.js';
import { PgliteStore } from '../store/pglite-store.js';
import type { Store } from '../store/types.js';
import { asTenantId, type Principal, type RequestContext } from '../context.js';
import { newId } from '../ids.js';
import type { Limits } from '../config.js';
import { loadConfig } from '../config.js';

export interface StoreShape {
  name: 'embedded' | 'postgres';
  open(): Promise<Store>;
}

/**
 * The shapes every integration suite runs on: embedded PGlite always, real PostgreSQL too when
 * DATABASE_URL is set (as on CI). Suites isolate themselves by tenant, not by database.
 */
export function storeShapes(env: Record<string, string | undefined> = process.env): StoreShape[] {
  const shapes: StoreShape[] = [{
    name: 'embedded',
    async open() {
      const store = await PgliteStore.fromDump(await migratedTemplate());
      await migrate(store);
      return store;
    },
  }];
  const url = env.DATABASE_URL;
  if (url) {
    shapes.push({
      name: 'postgres',
      async open() {
        const store = await PgStore.open(url, 5);
        await migrate(store);
        return store;
      },
    });
  }
  return shapes;
}

let template: Promise<Blob> | undefined;

/**
 * A migrated embedded database, made once per machine and migration set and shared by every
 * test process through a file: initdb costs seconds, loading the dump a fraction of that.
 */
function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const migrations = readMigrations();
    const key = createHash('sha256').update(JSON.stringify(migrations)).digest('hex').slice(0, 16);
    const file = join(tmpdir(), `stratum-pglite-template-${key}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      const store = await PgliteStore.open('memory://');
      await migrate(store, migrations);
      const dump = await store.dump();
      await store.close();
      const partial = `${file}.${process.pid}.tmp`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, file);
      return dump;
    }
  })();
  return template;
}

export function testPrincipal(overrides: Partial<Principal> = {}): Principal {
  const cid = newId();
  return { uid: newId(), cid, coworkers: [cid], subjects: [], scope: ['whole'], groups: [], ...overrides };
}

/** A context in a tenant of its own, so suites sharing one database never see each other's rows. */
export function testContext(tenant = `t-${newId()}`, principal = testPrincipal()): RequestContext {
  return { tenant: asTenantId(tenant), principal, requestId: newId() };
}

export function testLimits(overrides: Partial<Limits> = {}): Limits {
  return { ...loadConfig({}).limits, ...overrides };
}
