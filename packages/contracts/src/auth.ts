/** Claims of Stratum access and refresh tokens: seed 003 names plus the Wenex aliases. */
export interface TokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  client_id: string;
  coworkers: string[];
  scope: string;
  zone?: string;
  exp: number;
  iat: number;
  jti: string;
  session: string;
  /** The tenant (its primary domain). */
  domain: string;
  uid?: string;
  cid: string;
  aid?: string;
  coworker?: string;
  /** Space-separated `role@domain`. */
  subject?: string;
  type: 'access' | 'refresh';
  strict?: boolean;
}

export type GrantType = 'password' | 'refresh_token' | 'client_credentials' | 'authorization_code';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
  session: string;
}
