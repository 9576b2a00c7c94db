import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '@stratum/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from './public.decorator.js';
import type { Authenticated, Authenticator } from './authenticator.js';
import { AUTHENTICATOR } from '../tokens.js';

export type AuthenticatedRequest = FastifyRequest & { auth?: Authenticated };

/** Global guard: every route needs a valid principal unless it is marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const auth = await this.authenticator.authenticate(request.headers);
    if (!auth) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Unauthorized');
    request.auth = auth;
    return true;
  }
}
