import type { TokenClaims, TokenResponse } from '@stratum/contracts';
import type { PlatformClient } from './client.js';

export interface PasswordSignIn {
  username: string;
  password: string;
  scope?: string;
  client_id?: string;
  client_secret?: string;
  app_id?: string;
  strict?: boolean;
  domain?: string;
}

export interface ClientSignIn {
  client_id: string;
  client_secret: string;
  scope?: string;
  app_id?: string;
  domain?: string;
}

/** The seed 003 auth endpoints: sign in, refresh, inspect and end sessions. */
export class TokenClient {
  constructor(private readonly platform: PlatformClient) {}

  private async grant(body: Record<string, unknown>): Promise<TokenResponse> {
    const { domain, ...rest } = body;
    const headers = typeof domain === 'string' ? { 'x-domain': domain } : undefined;
    const response = await this.platform.request<{ data: TokenResponse }>('POST', '/auth/token', { body: rest, headers });
    return response.body.data;
  }

  password(input: PasswordSignIn): Promise<TokenResponse> {
    return this.grant({ grant_type: 'password', ...input });
  }

  /** Refresh tokens work once: keep the new one from the answer. */
  refresh(refreshToken: string): Promise<TokenResponse> {
    return this.grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  clientCredentials(input: ClientSignIn): Promise<TokenResponse> {
    return this.grant({ grant_type: 'client_credentials', ...input });
  }

  async verify(): Promise<TokenClaims> {
    return (await this.platform.request<{ data: TokenClaims }>('GET', '/auth/verify')).body.data;
  }

  /** Ends the session of the client's token: its next use is a 401 everywhere. */
  async logout(): Promise<boolean> {
    return (await this.platform.request<{ result: boolean }>('POST', '/auth/logout')).body.result;
  }

  async check(token: string): Promise<boolean> {
    return (await this.platform.request<{ result: boolean }>('POST', '/auth/check', { body: { token } })).body.result;
  }
}
