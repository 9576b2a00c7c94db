import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccessControl, CollectionEngine, CollectionRegistry, FeedWatch, TenantDirectory, TenantResolver, UsageService, WebhookAdmin, type Config, type RateLimiter, type Identity, type Store } from '@stratum/core';
import { AuthGuard } from './auth/auth.guard.js';
import type { Authenticator } from './auth/authenticator.js';
import { CollectionsController } from './collections/collections.controller.js';
import { AllExceptionsFilter } from './http/exception.filter.js';
import { Metrics } from './http/metrics.js';
import { Lifecycle } from './lifecycle.js';
import { DocsController } from './ops/docs.controller.js';
import { OpsController } from './ops/ops.controller.js';
import { AUTHENTICATOR, CONFIG, IDENTITY, RATE_LIMITER, STORE } from './tokens.js';
import { AuthController } from './auth/auth.controller.js';
import { CanController } from './auth/can.controller.js';
import { EventsController } from './events/events.controller.js';
import { WebhooksController } from './events/webhooks.controller.js';
import { WellKnownController } from './auth/well-known.controller.js';
import { MeController } from './auth/me.controller.js';
import { ClientConfigController } from './auth/client-config.controller.js';
import { TenantPlansController, UsageController } from './usage/usage.controller.js';

export interface PlatformDeps {
  config: Config;
  store: Store;
  registry: CollectionRegistry;
  engine: CollectionEngine;
  authenticator: Authenticator;
  identity: Identity;
  metrics: Metrics;
  lifecycle: Lifecycle;
  feed: FeedWatch;
  webhooks: WebhookAdmin;
  access: AccessControl;
  limiter: RateLimiter;
  usage: UsageService;
  resolver: TenantResolver;
}

/** Wiring only: the domain objects are built outside Nest and handed in as values. */
@Module({})
export class PlatformModule {
  static with(deps: PlatformDeps): DynamicModule {
    return {
      module: PlatformModule,
      // Ops and docs first: their static paths must not be read as /:service/:collection.
      controllers: [OpsController, DocsController, AuthController, CanController, WellKnownController, WebhooksController, EventsController, MeController, ClientConfigController, UsageController, TenantPlansController, CollectionsController],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: STORE, useValue: deps.store },
        { provide: AUTHENTICATOR, useValue: deps.authenticator },
        { provide: IDENTITY, useValue: deps.identity },
        { provide: TenantDirectory, useValue: deps.identity.tenants },
        { provide: CollectionRegistry, useValue: deps.registry },
        { provide: CollectionEngine, useValue: deps.engine },
        { provide: Metrics, useValue: deps.metrics },
        { provide: Lifecycle, useValue: deps.lifecycle },
        { provide: FeedWatch, useValue: deps.feed },
        { provide: WebhookAdmin, useValue: deps.webhooks },
        { provide: AccessControl, useValue: deps.access },
        { provide: RATE_LIMITER, useValue: deps.limiter },
        { provide: TenantResolver, useValue: deps.resolver },
        { provide: UsageService, useValue: deps.usage },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
