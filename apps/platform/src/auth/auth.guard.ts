import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '@stratum/contracts';
import { AccessControl, DomainError, parseZones, scopeAllows, TenantDirectory, type AccessResolver, type Zone } from '@stratum/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from './public.decorator.js';
import { SCOPE_LEVEL, type ScopeRequirement } from './scope.decorator.js';
import { credentialsOf, type Authenticated, type Authenticator } from './authenticator.js';
import { AUTHENTICATOR } from '../tokens.js';

export type AuthenticatedRequest = FastifyRequest & { auth?: Authenticated; access?: AccessResolver };

/**
 * Global guard: every route needs a valid principal unless it is marked @Public(). Before any
 * handler it also checks x-domain and x-client-id against the token, and the token's scope.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
    private readonly tenants: TenantDirectory,
    private readonly accessControl: AccessControl,
  ) {}

  /** `?zone=`, then `x-zone`, then the token's `zone`; none: the grants' default. */
  private zonesOf(request: AuthenticatedRequest): Zone[] | undefined {
    const query = (request.query as Record<string, unknown> | undefined)?.zone;
    const header = request.headers['x-zone'];
    const raw = typeof query === 'string' ? query : typeof header === 'string' ? header : request.auth?.principal.zone;
    if (query !== undefined && typeof query !== 'string') throw new DomainError(ErrorCode.BAD_REQUEST, 'zone must be given once');
    return raw === undefined || raw === '' ? undefined : parseZones(raw);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const auth = await this.authenticator.authenticate(credentialsOf(request.headers, request.ip));
    if (!auth) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Unauthorized');
    request.auth = await this.applyHeaders(request, auth);
    request.access = this.accessControl.resolverFor({ tenant: auth.tenant, principal: request.auth.principal, ip: request.ip }, this.zonesOf(request));
    const required = this.reflector.getAllAndOverride<ScopeRequirement | undefined>(SCOPE_LEVEL, [context.getHandler(), context.getClass()]);
    if (required) {
      const params = request.params as { service?: string; collection?: string };
      const service = required.service ?? params.service ?? '';
      const collection = required.collection ?? params.collection ?? '';
      if (!scopeAllows(request.auth.principal.scope, required.level, service, collection)) {
        throw new DomainError(ErrorCode.SCOPE_MISSING, `This token lacks the scope ${required.level}:${service}:${collection}`);
      }
    }
    return true;
  }

  /** x-domain must name the token's tenant; x-client-id must be one of its coworkers. */
  private async applyHeaders(request: FastifyRequest, auth: Authenticated): Promise<Authenticated> {
    const domain = request.headers['x-domain'];
    if (typeof domain === 'string' && domain !== '') {
      const tenant = await this.tenants.resolve(domain);
      if (!tenant || tenant.id !== auth.tenant) throw new DomainError(ErrorCode.TENANT_MISMATCH, 'x-domain does not match the token\'s tenant');
    }
    const clientId = request.headers['x-client-id'];
    if (typeof clientId === 'string' && clientId !== '' && clientId !== auth.principal.cid) {
      if (!auth.principal.coworkers.includes(clientId)) throw new DomainError(ErrorCode.FORBIDDEN, 'x-client-id is not one of the token\'s coworkers');
      return { ...auth, principal: { ...auth.principal, cid: clientId } };
    }
    return auth;
  }
}
