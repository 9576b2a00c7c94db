import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  CollectionRegistry, DomainError, followFeed, parseFeedQuery, readFeed, scopeAllows,
  type Config, type FeedQuery, type RequestContext, type Store,
} from '@stratum/core';
import { ErrorCode } from '@stratum/contracts';
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

  private async query(ctx: RequestContext, req: FastifyRequest): Promise<FeedQuery> {
    const lastEventId = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : undefined;
    const page = parseFeedQuery((req.query ?? {}) as Record<string, unknown>, lastEventId, this.config.limits.bulkItems);
    const scope = ctx.principal.scope;
    const scoped = this.registry.list().filter((reg) => scope.includes('whole') || scopeAllows(scope, 'read', reg.def.service, reg.def.name));
    if (!ctx.access) return { ...page, readable: scope.includes('whole') ? 'all' : scoped.map((reg) => reg.path) };
    // Events carry whole documents: a user gets a collection's events only with an unrestricted read grant.
    const readable: string[] = [];
    for (const reg of scoped) {
      const access = await ctx.access.resolve(reg.def.service, reg.def.name, 'read').catch((error: unknown) => {
        if (error instanceof DomainError && error.code === ErrorCode.FORBIDDEN) return undefined;
        throw error;
      });
      if (access && !access.rows && !access.limits) readable.push(reg.path);
    }
    return { ...page, readable };
  }

  @Get()
  async feed(@Ctx() ctx: RequestContext, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const query = await this.query(ctx, req);
    const streaming = (req.query as Record<string, unknown>).stream === 'true' || (req.headers.accept ?? '').includes('text/event-stream');
    if (!streaming) return { items: await readFeed(this.store, ctx.tenant, query) };
    const stop = new AbortController();
    req.raw.on('close', () => stop.abort());
    this.lifecycle.shutdown.addEventListener('abort', () => stop.abort(), { once: true });
    await streamEvents(req, reply, followFeed(this.store, ctx.tenant, query, IDLE_POLL_MS, stop.signal), this.lifecycle.shutdown, (item) => item.position);
    return undefined;
  }
}
