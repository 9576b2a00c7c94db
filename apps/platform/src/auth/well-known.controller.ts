import { Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import { type Config, type Identity, type RequestContext } from '@stratum/core';
import type { FastifyReply } from 'fastify';
import { Ctx } from '../http/request-context.decorator.js';
import { parseId } from '../collections/request-options.js';
import { CONFIG, IDENTITY } from '../tokens.js';
import { Public } from './public.decorator.js';
import { RequiresScope } from './scope.decorator.js';

/** Discovery documents for verifiers, and the client api-key rotation. */
@Controller()
export class WellKnownController {
  constructor(
    @Inject(IDENTITY) private readonly identity: Identity,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Get('.well-known/jwks.json')
  async jwks(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'public, max-age=300');
    return this.identity.keys.jwks();
  }

  @Public()
  @Get('.well-known/openid-configuration')
  openid() {
    const issuer = this.config.auth.issuer;
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/auth/token`,
      authorization_endpoint: `${issuer}/auth/authorize`,
      revocation_endpoint: `${issuer}/auth/revoke`,
      introspection_endpoint: `${issuer}/auth/introspect`,
      userinfo_endpoint: `${issuer}/auth/verify`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials', 'authorization_code'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['EdDSA'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      subject_types_supported: ['public'],
    };
  }

  /** A new api key for a client, shown once; the previous one stops working at once. */
  @Post('domain/clients/:id/api-key')
  @RequiresScope('manage', 'domain', 'clients')
  async rotateApiKey(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return { data: { id, api_key: await this.identity.clients.rotateApiKey(ctx, parseId(id)) } };
  }
}
