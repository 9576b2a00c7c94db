import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestContext } from '@stratum/core';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';

/** The explicit request context (tenant, principal, request id) every service call takes first. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.auth) throw new Error('Ctx used on a route the guard did not authenticate');
  return { tenant: request.auth.tenant, principal: request.auth.principal, requestId: String(request.id), access: request.access };
});
