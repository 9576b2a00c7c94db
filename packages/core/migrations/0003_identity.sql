-- Tenants are the isolation boundary itself, so they live outside the tenant-keyed collections.
CREATE TABLE IF NOT EXISTS stratum_tenants (
  id text PRIMARY KEY,
  aliases text[] NOT NULL DEFAULT '{}',
  slug text UNIQUE,
  name text,
  status text NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stratum_tenants_aliases ON stratum_tenants USING gin (aliases);

-- Token signing keys. Private keys never leave the database; verifiers use the JWKS.
CREATE TABLE IF NOT EXISTS stratum_signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

-- Opaque credentials (APTs, client api keys) found by the hash of the secret alone, before the
-- tenant is known; each row names the tenant and the document it belongs to.
CREATE TABLE IF NOT EXISTS stratum_credentials (
  hash text PRIMARY KEY,
  kind text NOT NULL,
  tenant_id text NOT NULL,
  subject_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stratum_credentials_subject ON stratum_credentials (tenant_id, subject_id);

-- One-time authorization codes (authorization_code grant with PKCE).
CREATE TABLE IF NOT EXISTS stratum_auth_codes (
  hash text PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  client_id text NOT NULL,
  redirect_uri text NOT NULL,
  scope text NOT NULL,
  code_challenge text NOT NULL,
  code_challenge_method text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

-- Routes a token request that names only its client to the client's tenant.
CREATE INDEX IF NOT EXISTS c_domain_clients_id ON c_domain_clients (id);
