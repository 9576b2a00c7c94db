import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ErrorCode } from '@stratum/contracts';
import { assertPlainObject, DomainError, WebhookAdmin, type Config, type DeliveryStatus, type RequestContext } from '@stratum/core';
import { RequiresScope } from '../auth/scope.decorator.js';
import { parseId } from '../collections/request-options.js';
import { Ctx } from '../http/request-context.decorator.js';
import { CONFIG } from '../tokens.js';

const STATUSES = new Set(['pending', 'delivering', 'delivered', 'dead']);

function fields(body: unknown, allowed: string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  assertPlainObject(body, 'The body');
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new DomainError(ErrorCode.UNKNOWN_FIELD, `unknown field ${unknown[0]}`, unknown.map((path) => ({ path, message: 'is not accepted here' })));
  return body;
}

function position(value: unknown, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be an event position (a non-negative integer)`);
  return Number(text);
}

/**
 * Operating a tenant's webhooks (DESIGN 7): state and lag, deliveries and their attempt log,
 * pause and resume, secret rotation, redelivery and replay. The webhook itself is created by a
 * `context/configs` document `{eid: <client>, key: 'CQRS', value: {webhook, authorization}}`,
 * so managing it takes the scope that manages configs.
 */
@Controller('events/webhooks')
@RequiresScope('manage', 'context', 'configs')
export class WebhooksController {
  private readonly admin: WebhookAdmin;

  constructor(@Inject(WebhookAdmin) admin: WebhookAdmin, @Inject(CONFIG) private readonly config: Config) {
    this.admin = admin;
  }

  @Get()
  async list(@Ctx() ctx: RequestContext) {
    return { items: await this.admin.list(ctx) };
  }

  @Get(':client')
  async get(@Ctx() ctx: RequestContext, @Param('client') client: string) {
    return { data: await this.admin.get(ctx, parseId(client)) };
  }

  @Post(':client/pause')
  @HttpCode(200)
  async pause(@Ctx() ctx: RequestContext, @Param('client') client: string, @Body() body: unknown) {
    const { reason } = fields(body, ['reason']);
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) throw new DomainError(ErrorCode.BAD_REQUEST, 'reason must be a string of at most 500 characters');
    return { data: await this.admin.pause(ctx, parseId(client), reason as string | undefined) };
  }

  @Post(':client/resume')
  @HttpCode(200)
  async resume(@Ctx() ctx: RequestContext, @Param('client') client: string, @Body() body: unknown) {
    fields(body, []);
    return { data: await this.admin.resume(ctx, parseId(client)) };
  }

  @Get(':client/secret')
  async secret(@Ctx() ctx: RequestContext, @Param('client') client: string) {
    return { data: await this.admin.secret(ctx, parseId(client)) };
  }

  @Post(':client/secret/rotate')
  @HttpCode(200)
  async rotate(@Ctx() ctx: RequestContext, @Param('client') client: string, @Body() body: unknown) {
    fields(body, []);
    return { data: await this.admin.rotateSecret(ctx, parseId(client)) };
  }

  @Get(':client/deliveries')
  async deliveries(@Ctx() ctx: RequestContext, @Param('client') client: string, @Query() query: Record<string, unknown>) {
    const { status, after, limit } = fields(query, ['status', 'after', 'limit']);
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.has(status))) {
      throw new DomainError(ErrorCode.BAD_REQUEST, `status must be one of ${[...STATUSES].join(', ')}`);
    }
    const max = this.config.limits.bulkItems;
    const count = position(limit, 'limit', Math.min(100, max));
    if (count < 1 || count > max) throw new DomainError(ErrorCode.INVALID_PAGINATION, `limit must be between 1 and ${max}`);
    const items = await this.admin.deliveries(ctx, parseId(client), { status: status as DeliveryStatus | undefined, after: position(after, 'after', 0), limit: count });
    return { items };
  }

  @Get(':client/deliveries/:event')
  async delivery(@Ctx() ctx: RequestContext, @Param('client') client: string, @Param('event') event: string) {
    return { data: await this.admin.delivery(ctx, parseId(client), parseId(event)) };
  }

  @Post(':client/deliveries/:event/redeliver')
  @HttpCode(200)
  async redeliver(@Ctx() ctx: RequestContext, @Param('client') client: string, @Param('event') event: string, @Body() body: unknown) {
    fields(body, []);
    return { data: await this.admin.redeliver(ctx, parseId(client), parseId(event)) };
  }

  /** `{from, to?}`: queues the endpoint's events in that position range again. */
  @Post(':client/replay')
  @HttpCode(200)
  async replay(@Ctx() ctx: RequestContext, @Param('client') client: string, @Body() body: unknown) {
    const raw = fields(body, ['from', 'to']);
    const from = position(raw.from, 'from');
    const to = raw.to === undefined ? undefined : position(raw.to, 'to');
    if (to !== undefined && to < from) throw new DomainError(ErrorCode.BAD_REQUEST, 'to must not be before from');
    return { data: { queued: await this.admin.replay(ctx, parseId(client), { from, to }) } };
  }
}
