import { Body, Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { AccessControl, assertPlainObject, DomainError, type RequestContext } from '@stratum/core';
import { ErrorCode } from '@stratum/contracts';
import type { FastifyRequest } from 'fastify';
import { Ctx } from '../http/request-context.decorator.js';

const FIELDS = new Set(['action', 'resource', 'object']);

/**
 * `POST /auth/can` (seed 003, DESIGN 12): may the caller do `action` on `resource`? Answers
 * `{data: {can, reason}}`, the reason naming the grants that matched or why none did; with
 * `x-can-with-policies: true` also the matching policies.
 */
@Controller('auth')
export class CanController {
  constructor(@Inject(AccessControl) private readonly access: AccessControl) {}

  @Post('can')
  @HttpCode(200)
  async can(@Ctx() ctx: RequestContext, @Body() raw: unknown, @Headers('x-can-with-policies') withPolicies: string | undefined, @Req() req: FastifyRequest) {
    assertPlainObject(raw, 'The body');
    const unknown = Object.keys(raw).find((key) => !FIELDS.has(key));
    if (unknown) throw new DomainError(ErrorCode.UNKNOWN_FIELD, `unknown field ${unknown}`, [{ path: unknown, message: 'is not accepted here' }]);
    return { data: await this.access.can({ tenant: ctx.tenant, principal: ctx.principal, ip: req.ip }, raw, withPolicies === 'true') };
  }
}
