import {
  asTenantId, BUILTIN_COLLECTIONS, CollectionEngine, CollectionRegistry, DataDirLockedError, IdentityDirectory, migrate, newId, openStore,
  PgliteStore, PgStore, TenantDirectory, type Config, type Principal, type RequestContext, type Store, type Tenant,
} from '@stratum/core';

/** A failure the operator can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The services the commands use, wired as the platform wires them (apps/platform/src/app.ts). */
export interface Runtime {
  config: Config;
  store: Store;
  registry: CollectionRegistry;
  engine: CollectionEngine;
  tenants: TenantDirectory;
  identities: IdentityDirectory;
}

/** The store locks the embedded data dir; a held lock is the operator's to resolve, not a crash. */
function asCliError(error: unknown): never {
  if (error instanceof DataDirLockedError) throw new CliError(error.message);
  throw error;
}

async function closeQuietly(store: Store): Promise<void> {
  await store.close().catch(() => undefined);
}

/** Opens the configured store (applying migrations, as `openStore` does), runs `fn`, closes it. */
export async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const store = await openStore(config).catch(asCliError);
  const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
  const runtime: Runtime = {
    config,
    store,
    registry,
    engine: new CollectionEngine(store, registry, config.limits),
    tenants: new TenantDirectory(store),
    identities: new IdentityDirectory(store),
  };
  try {
    return await fn(runtime);
  } finally {
    await closeQuietly(store);
  }
}

/** `stratum migrate`: opens the adapter `openStore` would choose, without its implicit migration, and reports what it applied. */
export async function migrateStore(config: Config): Promise<{ database: Store['kind']; applied: string[] }> {
  const store = config.databaseUrl
    ? await PgStore.open(config.databaseUrl, 1)
    : await PgliteStore.open(config.embeddedDataDir).catch(asCliError);
  try {
    return { database: store.kind, applied: await migrate(store) };
  } finally {
    await closeQuietly(store);
  }
}

/**
 * The context of an operator write: the tenant named by --tenant (domain, alias or slug) and a
 * system principal acting as the named client, else as the tenant's default client.
 */
export async function systemContext(rt: Runtime, tenantName: string, clientId?: string): Promise<{ ctx: RequestContext; tenant: Tenant }> {
  const tenant = await rt.tenants.resolve(tenantName);
  if (!tenant) throw new CliError(`there is no tenant ${JSON.stringify(tenantName)} (by domain, alias or slug); see \`stratum tenant list\``);
  if (tenant.status !== 'active') throw new CliError(`tenant ${tenant.id} is ${tenant.status}, not active`);
  const client = clientId
    ? await rt.identities.client(tenant.id, clientId)
    : await rt.identities.defaultClient(tenant.id);
  if (clientId && !client) throw new CliError(`there is no client ${clientId} in tenant ${tenant.id}`);
  const principal: Principal = {
    cid: client?.id ?? 'system', coworkers: client ? [client.id] : [], subjects: [], scope: ['whole'], groups: [tenant.id],
  };
  return { ctx: { tenant: asTenantId(tenant.id), principal, requestId: newId() }, tenant };
}
