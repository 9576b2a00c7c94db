import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  CollectionRegistry, followFeed, parseFeedQuery, readFeed, scopeAllows,
  type Config, type FeedQuery, type RequestContext, type Store,
} from '@stratum/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { streamEvents } from '../collections/sse.js';
import { Ctx } from '../http/request-context.decorator.js';
import { Lifecycle } from '../lifecycle.js';
import { CONFIG, STORE } from '../tokens.js';

const IDLE_POLL_MS = 500;

/**
 * The pull feed of change events (DESIGN 7): `GET /events?after=<position>` as JSON pages, or as
 * server-sent events that continue live (`?stream=true` or `Accept: text/event-stream`; the SSE
 * `id` is the position, so `Last-Event-ID` resumes). Only collections the token may read.
 */
@Controller('events')
export class EventsController {
  constructor(
    private readonly registry: CollectionRegistry,
    private readonly lifecycle: Lifecycle,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(STORE) private readonly store: Store,
  ) {}

  private query(ctx: RequestContext, req: FastifyRequest): FeedQuery {
    const lastEventId = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : undefined;
    const page = parseFeedQuery((req.query ?? {}) as Record<string, unknown>, lastEventId, this.config.limits.bulkItems);
    const scope = ctx.principal.scope;
    const readable = scope.includes('whole')
      ? 'all'
      : this.registry.list().filter((reg) => scopeAllows(scope, 'read', reg.def.service, reg.def.name)).map((reg) => reg.path);
    return { ...page, readable };
  }

  @Get()
  async feed(@Ctx() ctx: RequestContext, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const query = this.query(ctx, req);
    const streaming = (req.query as Record<string, unknown>).stream === 'true' || (req.headers.accept ?? '').includes('text/event-stream');
    if (!streaming) return { items: await readFeed(this.store, ctx.tenant, query) };
    const stop = new AbortController();
    req.raw.on('close', () => stop.abort());
    this.lifecycle.shutdown.addEventListener('abort', () => stop.abort(), { once: true });
    await streamEvents(req, reply, followFeed(this.store, ctx.tenant, query, IDLE_POLL_MS, stop.signal), this.lifecycle.shutdown, (item) => item.position);
    return undefined;
  }
}
