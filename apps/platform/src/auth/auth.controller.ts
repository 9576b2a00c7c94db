import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ErrorCode } from '@stratum/contracts';
import { assertPlainObject, DomainError, verifyTotp, type Identity, type RequestContext } from '@stratum/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Ctx } from '../http/request-context.decorator.js';
import { AUTHENTICATOR, IDENTITY } from '../tokens.js';
import type { AuthenticatedRequest } from './auth.guard.js';
import type { Authenticator } from './authenticator.js';
import { basicCredentials } from './basic.js';
import { Public } from './public.decorator.js';
import { OutsideQuota } from '../usage/outside-quota.decorator.js';

function body(value: unknown): Record<string, unknown> {
  assertPlainObject(value ?? {}, 'The body');
  return (value ?? {}) as Record<string, unknown>;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new DomainError(ErrorCode.BAD_REQUEST, `${name} is required`);
  return value;
}

/** The auth endpoints of seed 003, plus RFC 7009 revocation and RFC 7662 introspection. */
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(IDENTITY) private readonly identity: Identity,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  async token(@Body() raw: unknown, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('x-no-api-response') bare?: string, @Headers('x-domain') domain?: string) {
    const input = body(raw);
    const tenant = req.resolvedTenant;
    if (tenant && typeof input.domain === 'string' && input.domain !== tenant) {
      throw new DomainError(ErrorCode.TENANT_MISMATCH, 'domain names another tenant than this deployment resolves');
    }
    const response = await this.identity.grants.grant({
      body: input, basic: basicCredentials(req.headers.authorization), domain: tenant ?? (domain || undefined), ip: req.ip,
      agent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
    });
    reply.header('cache-control', 'no-store');
    return bare === 'true' ? response : { data: response };
  }

  @Get('verify')
  verify(@Req() req: AuthenticatedRequest) {
    const auth = req.auth!;
    if (auth.claims) return { data: auth.claims };
    const p = auth.principal;
    return {
      data: {
        sub: p.uid ?? p.aid ?? p.cid, client_id: p.cid, cid: p.cid, uid: p.uid, coworkers: p.coworkers, scope: p.scope.join(' '),
        domain: auth.tenant, session: p.session, subject: p.subjects.join(' ') || undefined, kind: auth.kind,
      },
    };
  }

  @OutsideQuota()
  @Get('logout')
  logoutGet(@Ctx() ctx: RequestContext) {
    return this.logout(ctx);
  }

  @OutsideQuota()
  @Post('logout')
  @HttpCode(200)
  async logout(@Ctx() ctx: RequestContext) {
    if (!ctx.principal.session) throw new DomainError(ErrorCode.BAD_REQUEST, 'These credentials have no session to end');
    await this.identity.sessions.revoke(ctx.tenant, [ctx.principal.session]);
    return { result: true };
  }

  /** "Sign out everywhere": every session of the calling user. */
  @OutsideQuota()
  @Post('logout/all')
  @HttpCode(200)
  async logoutAll(@Ctx() ctx: RequestContext) {
    if (!ctx.principal.uid) throw new DomainError(ErrorCode.BAD_REQUEST, 'Only a user can sign out everywhere');
    const total = await this.identity.sessions.revokeUser(ctx.tenant, ctx.principal.uid);
    return { result: true, total };
  }

  /** `{token}`: is it valid, unexpired and unrevoked? `{token, secret}`: is the TOTP code right? */
  @Post('check')
  @HttpCode(200)
  async check(@Body() raw: unknown, @Req() req: FastifyRequest) {
    const input = body(raw);
    const token = text(input.token, 'token');
    if (input.secret !== undefined) return { result: verifyTotp(token, text(input.secret, 'secret')) };
    try {
      // The deployment's own authenticator: under AUTH_PROVIDER=oidc, only the provider's tokens are valid here.
      const auth = await this.authenticator.authenticate({ authorization: `Bearer ${token}`, ip: req.ip });
      return { result: auth !== null };
    } catch {
      return { result: false };
    }
  }

  /** Issues a one-time authorization code to the signed-in user (PKCE S256). */
  @Post('authorize')
  @HttpCode(200)
  async authorize(@Ctx() ctx: RequestContext, @Body() raw: unknown) {
    if (!ctx.principal.uid) throw new DomainError(ErrorCode.FORBIDDEN, 'Only a signed-in user can authorize a client');
    return { data: await this.identity.grants.issueCode(ctx.tenant, ctx.principal.uid, body(raw), ctx.principal.scope) };
  }

  @Public()
  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() raw: unknown, @Req() req: FastifyRequest, @Headers('x-domain') domain?: string) {
    const input = body(raw);
    const { tenant, client } = await this.callingClient(input, req, domain);
    await this.identity.clients.revoke(tenant, client, text(input.token, 'token'));
    return {};
  }

  @Public()
  @Post('introspect')
  @HttpCode(200)
  async introspect(@Body() raw: unknown, @Req() req: FastifyRequest, @Headers('x-domain') domain?: string) {
    const input = body(raw);
    const { tenant } = await this.callingClient(input, req, domain);
    const claims = await this.identity.clients.inspect(tenant, text(input.token, 'token'));
    return claims ? { active: true, ...claims, token_type: claims.type === 'access' ? 'Bearer' : 'refresh_token' } : { active: false };
  }

  /** RFC 7009/7662 callers authenticate as a client: Basic, or client_id/client_secret in the body. */
  private callingClient(input: Record<string, unknown>, req: FastifyRequest, domain?: string) {
    const basic = basicCredentials(req.headers.authorization);
    return this.identity.clients.authenticateClient(
      basic?.id ?? (input.client_id as string), basic?.secret ?? (input.client_secret as string), domain || undefined);
  }
}
