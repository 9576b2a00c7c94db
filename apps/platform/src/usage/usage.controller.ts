import { Body, Controller, Get, Inject, Param, Patch } from '@nestjs/common';
import { UsageService, type RequestContext } from '@stratum/core';
import { RequiresScope } from '../auth/scope.decorator.js';
import { Ctx } from '../http/request-context.decorator.js';
import { OutsideQuota } from './outside-quota.decorator.js';

/**
 * `GET /usage` (DESIGN 6.5): the caller's tenant this month, requests and live documents next to
 * its plan's limits. For the tenant's admins: the scope `read:domain:usage` (or wider) and, for
 * a user, a read grant on `domain:usage` without a possession (admins hold one).
 */
@Controller('usage')
export class UsageController {
  constructor(@Inject(UsageService) private readonly usage: UsageService) {}

  @Get()
  @RequiresScope('read', 'domain', 'usage')
  @OutsideQuota()
  async get(@Ctx() ctx: RequestContext) {
    return { data: await this.usage.report(ctx) };
  }
}

/**
 * Plans are the operator's (DESIGN 6.5): only the root tenant's admins read and change them,
 * and read any tenant's usage. `:domain` is a tenant's domain, alias or slug.
 */
@Controller('tenants')
export class TenantPlansController {
  constructor(@Inject(UsageService) private readonly usage: UsageService) {}

  @Get(':domain/plan')
  @RequiresScope('read', 'domain', 'tenants')
  @OutsideQuota()
  async plan(@Ctx() ctx: RequestContext, @Param('domain') domain: string) {
    return { data: await this.usage.plan(ctx, domain) };
  }

  /** `{requests_per_month?, documents?, rate_per_second?}`: positive integers, `null` for unlimited; the others stay. */
  @Patch(':domain/plan')
  @RequiresScope('manage', 'domain', 'tenants')
  @OutsideQuota()
  async setPlan(@Ctx() ctx: RequestContext, @Param('domain') domain: string, @Body() body: unknown) {
    return { data: await this.usage.setPlan(ctx, domain, body) };
  }

  @Get(':domain/usage')
  @RequiresScope('read', 'domain', 'tenants')
  @OutsideQuota()
  async tenantUsage(@Ctx() ctx: RequestContext, @Param('domain') domain: string) {
    return { data: await this.usage.tenantUsage(ctx, domain) };
  }
}
