import { Controller, Get, Inject, Res } from '@nestjs/common';
import { OPERATION_SCOPE } from '@stratum/contracts';
import { CollectionRegistry, type Store } from '@stratum/core';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator.js';
import { Metrics } from '../http/metrics.js';
import { STORE } from '../tokens.js';
import { COLLECTION_ROUTES } from './openapi.js';

const STARTED = Date.now();

/** Health, metrics and discovery: public by intent, they carry no tenant data. */
@Controller()
export class OpsController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly registry: CollectionRegistry,
    private readonly metrics: Metrics,
  ) {}

  private async health(reply: FastifyReply) {
    let database = 'up';
    try {
      await this.store.query('SELECT 1');
    } catch {
      database = 'down';
    }
    const ok = database === 'up';
    reply.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'degraded',
      checks: { database: { status: database, kind: this.store.kind } },
      uptime_seconds: Math.round((Date.now() - STARTED) / 1000),
    };
  }

  @Public()
  @Get('status')
  status(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.health(reply);
  }

  @Public()
  @Get('monitoring/health')
  monitoringHealth(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.health(reply);
  }

  @Public()
  @Get('metrics')
  async prometheus(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  @Public()
  @Get('discover')
  discover() {
    const services = new Map<string, unknown[]>();
    for (const reg of this.registry.list()) {
      const routes = COLLECTION_ROUTES.map((r) => ({
        operation: r.operation,
        method: r.method.toUpperCase(),
        path: `/${reg.path}${r.suffix.replace('{id}', ':id')}`,
        scope: `${OPERATION_SCOPE[r.operation]}:${reg.def.service}:${reg.def.name}`,
      }));
      const list = services.get(reg.def.service) ?? [];
      list.push({ name: reg.def.name, path: `/${reg.path}`, description: reg.def.description, routes });
      services.set(reg.def.service, list);
    }
    return { data: { services: [...services].map(([name, collections]) => ({ name, collections })) } };
  }
}
