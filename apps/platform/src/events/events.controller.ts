import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  CollectionRegistry, DomainError, FeedWatch, parseFeedQuery, readFeed, scopeAllows,
  type Config, type FeedQuery, type RequestContext, type Store,
} from '@stratum/core';
import { ErrorCode } from '@stratum/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { streamEvents } from '../collections/sse.js';
import { Ctx } from '../http/request-context.decorator.js';
import { Lifecycle } from '../lifecycle.js';
import { CONFIG, STORE } from '../tokens.js';

/**
 * The pull feed of change events (DESIGN 7): `GET /events?after=<position>` as JSON pages, or as
 * server-sent events that continue live (`?stream=true` or `Accept: text/event-stream`; the SSE
 * `id` is the position, so `Last-Event-ID` resumes). Only collections the token may read. A live
 * stream waits for the dispatcher's notice that its tenant's events advanced (`FeedWatch`).
 */
@Controller('events')
export class EventsController {
  constructor(
    private readonly registry: CollectionRegistry,
    private readonly lifecycle: Lifecycle,
    private readonly feedWatch: FeedWatch,
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
    // Ends the stream's wait at once when the client goes or the server stops; the listeners go
    // with the stream, so the shared shutdown signal does not collect one per stream ever opened.
    const stop = new AbortController();
    const abort = () => stop.abort();
    const shutdown = this.lifecycle.shutdown;
    reply.raw.once('close', abort);
    shutdown.addEventListener('abort', abort, { once: true });
    if (shutdown.aborted) abort();
    this.lifecycle.track(reply.raw);
    try {
      await streamEvents(req, reply, this.feedWatch.follow(this.store, ctx.tenant, query, stop.signal), shutdown,
        { idOf: (item) => item.position, keepAliveMs: this.config.events.feedKeepAliveMs });
    } finally {
      reply.raw.off('close', abort);
      shutdown.removeEventListener('abort', abort);
    }
    return undefined;
  }
}
