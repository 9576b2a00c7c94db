import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AccessControl, assertGrant, bootstrapRoot, busReachesEveryNode, BUILTIN_COLLECTIONS, mergeHooks, openRateLimiter, PolicyIndex, TenantResolver, TenantSchemas, CollectionEngine, CollectionRegistry, cqrsConfigHooks, createIdentity, ensureLocalClient, EventDispatcher, FeedWatch, openBus, openStore, PgStore,
  UsageService, WebhookAdmin, type BootstrapResult, type Bus, type Config, type Identity, type Store,
} from '@stratum/core';
import type { FastifyInstance } from 'fastify';
import { PlatformModule } from './app.module.js';
import { createAuthenticator, localDeveloper } from './auth/authenticator.js';
import { fastifyOptions } from './http/fastify-options.js';
import { Metrics } from './http/metrics.js';
import { Lifecycle } from './lifecycle.js';

const DISPATCHER_CONNECTIONS = 2;

export interface Platform {
  app: NestFastifyApplication;
  store: Store;
  registry: CollectionRegistry;
  identity: Identity;
  bus: Bus;
  bootstrap: BootstrapResult;
  /** Plans, usage metering and quota enforcement (DESIGN 6.5). */
  usage: UsageService;
  /** The event dispatcher of the `all` and `worker` roles; absent on `api` nodes. */
  dispatcher?: EventDispatcher;
  /** What wakes the live `GET /events` streams of this node. */
  feed: FeedWatch;
  /** Stops accepting, ends streams, drains in-flight requests, then closes the database. */
  close(): Promise<void>;
}

function installHttpEdges(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', String(request.id));
    done();
  });
  metrics.install(fastify);
}

/** Background work (the dispatcher, usage sync) logs through the HTTP server's logger: one stream, one format, one level. */
function backgroundLog(fastify: FastifyInstance): (message: string, error?: unknown) => void {
  return (message, error) => fastify.log.error({ err: error instanceof Error ? error.message : String(error) }, message);
}

/**
 * On PostgreSQL the dispatcher of an `all` node gets two connections of its own. On the API's
 * pool its statements queued behind every request's, and under W4's load a round took about
 * 85 ms, which capped delivery. A store handed in (tests) is shared as it is.
 */
async function dispatcherStore(config: Config, store: Store, given: boolean): Promise<Store> {
  if (given || config.role !== 'all' || !config.databaseUrl || !config.events.enabled) return store;
  return PgStore.open(config.databaseUrl, DISPATCHER_CONNECTIONS);
}

export async function createPlatform(config: Config, extra: { store?: Store; registry?: CollectionRegistry } = {}): Promise<Platform> {
  const store = extra.store ?? (await openStore(config));
  const registry = extra.registry ?? new CollectionRegistry(BUILTIN_COLLECTIONS);
  const engine = new CollectionEngine(store, registry, config.limits, config.events.enabled);
  const bus = await openBus(config.natsUrl, config.databaseUrl);
  const identity = await createIdentity(config, store, registry, engine, bus);
  const bootstrap = await bootstrapRoot(config.auth, identity.tenants, engine, registry);
  if (config.authProvider === 'none') {
    const developer = localDeveloper(config);
    await ensureLocalClient(store, engine, registry, developer.tenant, developer.principal);
  }
  const fixed = config.tenantResolution.fixedTenant;
  if (fixed && !(await identity.tenants.resolve(fixed))) {
    throw new Error(`APP_TENANT_ID ${fixed} is not a tenant: create it with \`npm run stratum -- tenant create ${fixed}\` or set it to STRATUM_ROOT_DOMAIN`);
  }
  const policies = new PolicyIndex(store, bus, busReachesEveryNode(bus, store.kind));
  const access = new AccessControl(policies, registry);
  engine.setHooks('auth/grants', policies.hooks(assertGrant));
  const schemas = new TenantSchemas(store, registry, bus, busReachesEveryNode(bus, store.kind));
  engine.useTenantSchemas(schemas);
  engine.setHooks('context/configs', mergeHooks(cqrsConfigHooks(registry), policies.hooks(), schemas.hooks()));
  const webhooks = new WebhookAdmin(store, config.events.secretOverlapSeconds);
  const adapter = new FastifyAdapter(fastifyOptions(config));
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  const eventsStore = await dispatcherStore(config, store, extra.store !== undefined);
  const dispatcher = config.role === 'api' ? undefined : new EventDispatcher(eventsStore, bus, config.events, backgroundLog(fastify));
  if (dispatcher && config.events.enabled) engine.onCommitted(() => dispatcher.nudge());
  const limiter = await openRateLimiter(config.redisUrl);
  const usage = await UsageService.open({
    db: store, registry, tenants: identity.tenants, limiter, bus, rootTenant: config.auth.rootDomain,
    syncMs: config.limits.usageSyncMs, redisUrl: config.redisUrl, onError: backgroundLog(fastify),
  });
  engine.useDocumentQuota(usage.documents);
  const metrics = new Metrics(store);
  metrics.watchEvents(store, dispatcher?.stats);
  const lifecycle = new Lifecycle();
  const feed = new FeedWatch(bus, config.events.feedPollMs);
  installHttpEdges(fastify, metrics);
  const app = await NestFactory.create<NestFastifyApplication>(
    PlatformModule.with({ config, store, registry, engine, authenticator: createAuthenticator(config, identity.authenticator, identity.oidc), identity, metrics, lifecycle, feed, webhooks, access, limiter, usage, resolver: new TenantResolver(config.tenantResolution, identity.tenants, config.auth.rootDomain) }),
    adapter,
    { logger: config.logLevel === 'silent' ? false : ['error', 'warn'], bodyParser: true },
  );
  await app.init();
  dispatcher?.start();
  usage.start();
  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    registry,
    identity,
    bus,
    bootstrap,
    feed,
    usage,
    dispatcher,
    close() {
      closing ??= (async () => {
        lifecycle.beginShutdown();
        // Closing the server destroys sockets whose response has ended but not flushed yet.
        await lifecycle.drain(2000);
        await app.close();
        await dispatcher?.stop();
        // Streams ended with the shutdown signal; this drops what a straggler still holds.
        feed.close();
        // The last request counts go to the database before it closes.
        await usage.close();
        await limiter.close();
        await bus.close();
        if (eventsStore !== store) await eventsStore.close();
        if (!extra.store) await store.close();
      })();
      return closing;
    },
  };
}
