import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode } from '@stratum/contracts';
import { AccessControl, actorOf, closest, DomainError, parseZones, scopeAllows, TenantDirectory, UsageService, type AccessResolver, type Config, type LimitState, type RateLimiter, type TenantId, TenantResolver, type Zone } from '@stratum/core';
import type { FastifyReply } from 'fastify';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from './public.decorator.js';
import { SCOPE_LEVEL, type ScopeRequirement } from './scope.decorator.js';
import { credentialsOf, type Authenticated, type Authenticator } from './authenticator.js';
import { AUTHENTICATOR, CONFIG, RATE_LIMITER } from '../tokens.js';
import { OUTSIDE_QUOTA } from '../usage/outside-quota.decorator.js';

export type AuthenticatedRequest = FastifyRequest & {
  auth?: Authenticated;
  access?: AccessResolver;
  /** The tenant found before authentication (TENANT_RESOLUTION_MODE other than token). */
  resolvedTenant?: TenantId;
};

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
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(CONFIG) private readonly config: Config,
    private readonly resolver: TenantResolver,
    private readonly usage: UsageService,
  ) {}

  /**
   * Per principal and collection, a fixed window of one second (DESIGN 6.5). Over the limit it
   * is a 429 with Retry-After; else the caller's standing goes into the RateLimit-* headers.
   */
  private async rateLimit(request: AuthenticatedRequest, reply: FastifyReply, service: string, collection: string): Promise<LimitState | undefined> {
    const limit = this.config.limits.collectionRatePerSecond;
    if (limit === 0 || !request.auth) return undefined;
    const key = `${request.auth.tenant}:${actorOf(request.auth.principal)}:${service}/${collection}`;
    const result = await this.limiter.hit(key, limit, 1000);
    if (!result.allowed) {
      const reset = String(Math.max(1, Math.ceil(result.resetMs / 1000)));
      reply.header('ratelimit-limit', String(limit)).header('ratelimit-remaining', '0').header('ratelimit-reset', reset);
      throw new DomainError(ErrorCode.RATE_LIMITED, `more than ${limit} requests per second on ${service}/${collection}`, undefined, { 'retry-after': reset });
    }
    return { limit: result.limit, remaining: result.remaining, resetMs: result.resetMs };
  }

  /**
   * The tenant's plan (DESIGN 6.5): every authenticated request is metered, and refused over the
   * plan's rate or month unless the route is @OutsideQuota(). The RateLimit-* headers describe
   * the limit closest to refusing.
   */
  private async applyLimits(context: ExecutionContext, request: AuthenticatedRequest, params: { service?: string; collection?: string }): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const collection = params.service && params.collection ? await this.rateLimit(request, reply, params.service, params.collection) : undefined;
    const outside = this.reflector.getAllAndOverride<boolean>(OUTSIDE_QUOTA, [context.getHandler(), context.getClass()]) === true;
    const state = closest([collection, await this.usage.admitRequest(request.auth!.tenant, !outside)]);
    if (!state) return;
    const reset = String(Math.max(1, Math.ceil(state.resetMs / 1000)));
    reply.header('ratelimit-limit', String(state.limit)).header('ratelimit-remaining', String(state.remaining)).header('ratelimit-reset', reset);
  }

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
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const domainHeader = typeof request.headers['x-domain'] === 'string' && request.headers['x-domain'] !== '' ? request.headers['x-domain'] : undefined;
    // Public routes resolve too: signing in needs the deployment's tenant, not the caller's choice.
    if (isPublic && this.resolver.mode === 'token') return true;
    request.resolvedTenant = await this.resolver.resolve({ host: request.headers.host, domainHeader });
    if (isPublic) return true;
    const credentials = credentialsOf(request.headers, request.ip);
    const auth = await this.authenticator.authenticate(request.resolvedTenant ? { ...credentials, domain: request.resolvedTenant } : credentials);
    if (!auth) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Unauthorized');
    if (request.resolvedTenant && auth.tenant !== request.resolvedTenant) {
      throw new DomainError(ErrorCode.TENANT_MISMATCH, 'these credentials belong to another tenant than this request\'s');
    }
    request.auth = await this.applyHeaders(request, auth);
    request.access = this.accessControl.resolverFor({ tenant: auth.tenant, principal: request.auth.principal, ip: request.ip }, this.zonesOf(request));
    const params = request.params as { service?: string; collection?: string };
    await this.applyLimits(context, request, params);
    const required = this.reflector.getAllAndOverride<ScopeRequirement | undefined>(SCOPE_LEVEL, [context.getHandler(), context.getClass()]);
    if (required) {
      const service = required.service ?? params.service ?? '';
      const collection = required.collection ?? params.collection ?? '';
      if (!scopeAllows(request.auth.principal.scope, required.level, service, collection)) {
        throw new DomainError(ErrorCode.SCOPE_MISSING, `This token lacks the scope ${required.level}:${service}:${collection}`);
      }
      // A route outside the collection engine names its collection: a user needs a grant on it too
      // (both gates, DESIGN 6.2); collection routes are gated per operation by the engine.
      if (required.service && request.access) await request.access.resolve(service, collection, required.level === 'read' ? 'read' : 'update');
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
