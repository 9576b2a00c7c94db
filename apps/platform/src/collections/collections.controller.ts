import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { ErrorCode } from '@stratum/contracts';
import {
  assertPlainObject, CollectionEngine, DomainError, CollectionRegistry, fingerprintOf, idempotent, parseReadOptions,
  type Config, type RegisteredCollection, type RequestContext, type Store,
} from '@stratum/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequiresScope } from '../auth/scope.decorator.js';
import { Ctx } from '../http/request-context.decorator.js';
import { Lifecycle } from '../lifecycle.js';
import { CONFIG, STORE } from '../tokens.js';
import { includeDeleted, parseId, queryOf, setEtag, writeOptions } from './request-options.js';
import { streamEvents } from './sse.js';

/** One controller for every collection: the 11 routes of DESIGN 5.1, resolved from the registry. */
@Controller(':service/:collection')
export class CollectionsController {
  constructor(
    private readonly engine: CollectionEngine,
    private readonly registry: CollectionRegistry,
    private readonly lifecycle: Lifecycle,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(STORE) private readonly store: Store,
  ) {}

  private collection(service: string, name: string): RegisteredCollection {
    return this.registry.get(service, name);
  }

  @RequiresScope('read')
  @Get('count')
  async count(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Req() req: FastifyRequest) {
    const options = parseReadOptions(queryOf(req), this.config.limits);
    return { total: await this.engine.count(ctx, this.collection(s, c), options, includeDeleted(req)) };
  }

  @RequiresScope('read')
  @Get('cursor')
  async cursor(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const options = parseReadOptions(queryOf(req), this.config.limits);
    const batches = this.engine.cursor(ctx, this.collection(s, c), options, includeDeleted(req));
    this.lifecycle.track(reply.raw);
    await streamEvents(req, reply, batches, this.lifecycle.shutdown);
  }

  @RequiresScope('read')
  @Get()
  async find(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Req() req: FastifyRequest) {
    const options = parseReadOptions(queryOf(req), this.config.limits);
    return { items: await this.engine.find(ctx, this.collection(s, c), options, includeDeleted(req)) };
  }

  @RequiresScope('write')
  @Post()
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const reg = this.collection(s, c);
    const result = await this.once(ctx, key, req, body, async (txCtx) => ({ data: await this.engine.create(txCtx, reg, body) }), reply);
    setEtag(reply, (result as { data: Record<string, unknown> }).data);
    return result;
  }

  @RequiresScope('write')
  @Post('bulk')
  @HttpCode(201)
  async createBulk(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const reg = this.collection(s, c);
    const items = bulkItems(body);
    return this.once(ctx, key, req, body, async (txCtx) => ({ items: await this.engine.createBulk(txCtx, reg, items) }), reply);
  }

  @RequiresScope('manage')
  @Patch('bulk')
  async updateBulk(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const options = parseReadOptions(queryOf(req), this.config.limits);
    return { total: await this.engine.updateBulk(ctx, this.collection(s, c), options.filter, body) };
  }

  @RequiresScope('read')
  @Get(':id')
  async findById(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Param('id') id: string,
    @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const reg = this.collection(s, c);
    const options = parseReadOptions(queryOf(req), this.config.limits);
    const data = await this.engine.findById(ctx, reg, parseId(id), { ...options, includeDeleted: includeDeleted(req) });
    setEtag(reply, data);
    return { data };
  }

  @RequiresScope('write')
  @Patch(':id')
  async updateById(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Param('id') id: string,
    @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const data = await this.engine.updateById(ctx, this.collection(s, c), parseId(id), body, writeOptions(req));
    setEtag(reply, data);
    return { data };
  }

  @RequiresScope('write')
  @Delete(':id')
  async deleteById(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Param('id') id: string,
    @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const data = await this.engine.deleteById(ctx, this.collection(s, c), parseId(id), writeOptions(req));
    setEtag(reply, data);
    return { data };
  }

  @RequiresScope('write')
  @Put(':id/restore')
  async restoreById(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Param('id') id: string,
    @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const data = await this.engine.restoreById(ctx, this.collection(s, c), parseId(id), writeOptions(req));
    setEtag(reply, data);
    return { data };
  }

  @RequiresScope('manage')
  @Delete(':id/destroy')
  async destroyById(@Ctx() ctx: RequestContext, @Param('service') s: string, @Param('collection') c: string, @Param('id') id: string,
    @Req() req: FastifyRequest) {
    return { data: await this.engine.destroyById(ctx, this.collection(s, c), parseId(id), writeOptions(req)) };
  }

  /** With an Idempotency-Key, the first response is stored with the write and replayed after. */
  private async once(ctx: RequestContext, key: string | undefined, req: FastifyRequest, body: unknown,
    run: (ctx: RequestContext) => Promise<unknown>, reply: FastifyReply): Promise<unknown> {
    if (key === undefined) return run(ctx);
    const fingerprint = fingerprintOf(req.method, req.url.split('?')[0], body);
    const result = await idempotent(this.store, ctx, key, fingerprint, async (txCtx) => ({ status: 201, body: await run(txCtx) }));
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.body;
  }
}

function bulkItems(body: unknown): unknown {
  assertPlainObject(body, 'The body');
  const unknown = Object.keys(body).find((k) => k !== 'items');
  if (unknown) throw new DomainError(ErrorCode.UNKNOWN_FIELD, `${unknown} is not a field of a bulk request; send {items: [...]}`);
  return body.items;
}
