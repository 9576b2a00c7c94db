import { Controller, Get, Inject } from '@nestjs/common';
import type { Config } from '@stratum/core';
import { CONFIG } from '../tokens.js';
import { Public } from './public.decorator.js';

/** What a browser or mobile app needs to sign in here, chosen at run time (seed 004). */
export interface ClientConfig {
  authProvider: Config['authProvider'];
  /** The external provider: public values only, never a secret. */
  oidc: { issuer: string; audience: string; clientId?: string } | null;
  /** Stratum's own token endpoint, when it issues the tokens this deployment accepts. */
  tokenEndpoint?: string;
}

export function clientConfigOf(config: Config): ClientConfig {
  const oidc = config.auth.oidc;
  if (config.authProvider === 'oidc' && oidc) {
    return { authProvider: 'oidc', oidc: { issuer: oidc.issuer, audience: oidc.audience, ...(oidc.clientId ? { clientId: oidc.clientId } : {}) } };
  }
  return { authProvider: config.authProvider, oidc: null, tokenEndpoint: `${config.auth.issuer}/auth/token` };
}

/** `GET /config`: public and tenant-independent. */
@Controller('config')
export class ClientConfigController {
  private readonly body: { data: ClientConfig };

  constructor(@Inject(CONFIG) config: Config) {
    this.body = { data: clientConfigOf(config) };
  }

  @Public()
  @Get()
  get() {
    return this.body;
  }
}
