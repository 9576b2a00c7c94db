-- External identities (AUTH_PROVIDER=oidc): one live user per tenant and external_id
-- (`<provider>:<sha256 of the subject>`), so concurrent first sign-ins create one user.
-- 0002 creates this index on new databases; this file adds it to databases that applied 0002 before.
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_users_u_external_id" ON "c_identity_users" (tenant_id, ((doc->>'external_id') COLLATE "C")) WHERE deleted_at IS NULL;
