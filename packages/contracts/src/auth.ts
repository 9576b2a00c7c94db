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

/** A grant of `auth/grants` (DESIGN 6.2): who (a role) may do what to which objects, and within which limits. */
export interface GrantFields {
  /** A role: `editor`, or `editor@<domain>`. */
  subject: string;
  /** `create|read|update|delete|any`, optionally `:own|:share|:group|:client|:any`. */
  action: string;
  /** `service:collection`, `service:all` or `all`. */
  object: string;
  /** Fields a write may set. */
  field?: string[];
  /** Fields a read returns. */
  filter?: string[];
  /** IP addresses or CIDR ranges the request must come from. */
  location?: string[];
  /** Five-field UTC cron windows. */
  time?: string[];
}
