import { migrate } from '../store/migrate.js';
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
      const store = await PgliteStore.open('memory://');
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
