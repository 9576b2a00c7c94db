import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ErrorCode } from '@stratum/contracts';
import { CollectionEngine, CollectionRegistry, DomainError, type Identity, type RequestContext } from '@stratum/core';
import { Ctx } from '../http/request-context.decorator.js';
import { IDENTITY } from '../tokens.js';
import type { AuthenticatedRequest } from './auth.guard.js';

/**
 * `GET /me` (seed 004): the caller's local user. For an external OIDC identity it is found or
 * created in the request's tenant, and its `last_seen_at` and profile fields are refreshed.
 */
@Controller('me')
export class MeController {
  constructor(
    @Inject(IDENTITY) private readonly identity: Identity,
    private readonly engine: CollectionEngine,
    private readonly registry: CollectionRegistry,
  ) {}

  @Get()
  async me(@Ctx() request: RequestContext, @Req() req: AuthenticatedRequest) {
    // Every signed-in user may see (and, for external users, keep up to date) their own record: no grant needed.
    const ctx: RequestContext = { ...request, access: undefined };
    const external = req.auth?.kind === 'oidc' ? req.auth.external : undefined;
    if (external) return { data: { user: await this.identity.externalUsers.sync(ctx, external) } };
    if (!ctx.principal.uid) throw new DomainError(ErrorCode.NOT_FOUND, 'These credentials do not belong to a user');
    try {
      return { data: { user: await this.engine.findById(ctx, this.registry.get('identity', 'users'), ctx.principal.uid) } };
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.NOT_FOUND) {
        throw new DomainError(ErrorCode.NOT_FOUND, 'The user of these credentials does not exist');
      }
      throw error;
    }
  }
}
