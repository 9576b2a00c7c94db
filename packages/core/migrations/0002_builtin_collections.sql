-- Generated from the collection registry by `npm run gen:migrations`; do not edit by hand.

-- auth/grants: Access policies: who may do what to which objects.
CREATE TABLE IF NOT EXISTS "c_auth_grants" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_auth_grants_ref" ON "c_auth_grants" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_auth_grants_owner" ON "c_auth_grants" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_auth_grants_created_at" ON "c_auth_grants" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_auth_grants_shares" ON "c_auth_grants" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_auth_grants_groups" ON "c_auth_grants" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_auth_grants_clients" ON "c_auth_grants" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_auth_grants_doc" ON "c_auth_grants" USING gin (doc jsonb_path_ops);

-- auth/apts: Auth personal tokens: long-lived, scoped, revocable.
CREATE TABLE IF NOT EXISTS "c_auth_apts" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_auth_apts_ref" ON "c_auth_apts" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_auth_apts_owner" ON "c_auth_apts" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_auth_apts_created_at" ON "c_auth_apts" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_auth_apts_shares" ON "c_auth_apts" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_auth_apts_groups" ON "c_auth_apts" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_auth_apts_clients" ON "c_auth_apts" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_auth_apts_doc" ON "c_auth_apts" USING gin (doc jsonb_path_ops);

-- domain/clients: OAuth clients of the tenant.
CREATE TABLE IF NOT EXISTS "c_domain_clients" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_domain_clients_ref" ON "c_domain_clients" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_domain_clients_owner" ON "c_domain_clients" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_domain_clients_created_at" ON "c_domain_clients" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_domain_clients_shares" ON "c_domain_clients" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_domain_clients_groups" ON "c_domain_clients" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_domain_clients_clients" ON "c_domain_clients" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_domain_clients_doc" ON "c_domain_clients" USING gin (doc jsonb_path_ops);
CREATE INDEX IF NOT EXISTS "c_domain_clients_i_name" ON "c_domain_clients" (tenant_id, ((doc->>'name') COLLATE "C"));

-- domain/apps: Surfaces of a client with their own scopes and TTLs.
CREATE TABLE IF NOT EXISTS "c_domain_apps" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_domain_apps_ref" ON "c_domain_apps" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_domain_apps_owner" ON "c_domain_apps" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_domain_apps_created_at" ON "c_domain_apps" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_domain_apps_shares" ON "c_domain_apps" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_domain_apps_groups" ON "c_domain_apps" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_domain_apps_clients" ON "c_domain_apps" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_domain_apps_doc" ON "c_domain_apps" USING gin (doc jsonb_path_ops);

-- identity/users: People who sign in.
CREATE TABLE IF NOT EXISTS "c_identity_users" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_users_ref" ON "c_identity_users" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_identity_users_owner" ON "c_identity_users" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_identity_users_created_at" ON "c_identity_users" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_identity_users_shares" ON "c_identity_users" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_identity_users_groups" ON "c_identity_users" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_identity_users_clients" ON "c_identity_users" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_identity_users_doc" ON "c_identity_users" USING gin (doc jsonb_path_ops);
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_users_u_username" ON "c_identity_users" (tenant_id, ((doc->>'username') COLLATE "C")) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_users_u_email" ON "c_identity_users" (tenant_id, ((doc->>'email') COLLATE "C")) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_users_u_phone" ON "c_identity_users" (tenant_id, ((doc->>'phone') COLLATE "C")) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_users_u_external_id" ON "c_identity_users" (tenant_id, ((doc->>'external_id') COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS "c_identity_users_i_status_created_at" ON "c_identity_users" (tenant_id, ((doc->>'status') COLLATE "C"), "created_at" DESC);

-- identity/profiles: Profile data of users.
CREATE TABLE IF NOT EXISTS "c_identity_profiles" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_profiles_ref" ON "c_identity_profiles" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_identity_profiles_owner" ON "c_identity_profiles" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_identity_profiles_created_at" ON "c_identity_profiles" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_identity_profiles_shares" ON "c_identity_profiles" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_identity_profiles_groups" ON "c_identity_profiles" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_identity_profiles_clients" ON "c_identity_profiles" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_identity_profiles_doc" ON "c_identity_profiles" USING gin (doc jsonb_path_ops);
CREATE INDEX IF NOT EXISTS "c_identity_profiles_i_user" ON "c_identity_profiles" (tenant_id, ((doc->>'user') COLLATE "C"));

-- identity/sessions: Sign-in sessions; revoking one revokes its tokens.
CREATE TABLE IF NOT EXISTS "c_identity_sessions" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_identity_sessions_ref" ON "c_identity_sessions" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_identity_sessions_owner" ON "c_identity_sessions" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_identity_sessions_created_at" ON "c_identity_sessions" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_identity_sessions_shares" ON "c_identity_sessions" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_identity_sessions_groups" ON "c_identity_sessions" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_identity_sessions_clients" ON "c_identity_sessions" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_identity_sessions_doc" ON "c_identity_sessions" USING gin (doc jsonb_path_ops);
CREATE INDEX IF NOT EXISTS "c_identity_sessions_i_user" ON "c_identity_sessions" (tenant_id, ((doc->>'user') COLLATE "C"));

-- context/configs: Per-tenant configuration documents by key (RBAC, CQRS, schemas).
CREATE TABLE IF NOT EXISTS "c_context_configs" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_context_configs_ref" ON "c_context_configs" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_context_configs_owner" ON "c_context_configs" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_context_configs_created_at" ON "c_context_configs" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_context_configs_shares" ON "c_context_configs" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_context_configs_groups" ON "c_context_configs" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_context_configs_clients" ON "c_context_configs" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_context_configs_doc" ON "c_context_configs" USING gin (doc jsonb_path_ops);
CREATE UNIQUE INDEX IF NOT EXISTS "c_context_configs_u_eid_key" ON "c_context_configs" (tenant_id, ((doc->>'eid') COLLATE "C"), ((doc->>'key') COLLATE "C")) NULLS NOT DISTINCT WHERE deleted_at IS NULL;

-- context/settings: Per-tenant settings by key.
CREATE TABLE IF NOT EXISTS "c_context_settings" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_context_settings_ref" ON "c_context_settings" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_context_settings_owner" ON "c_context_settings" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_context_settings_created_at" ON "c_context_settings" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_context_settings_shares" ON "c_context_settings" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_context_settings_groups" ON "c_context_settings" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_context_settings_clients" ON "c_context_settings" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_context_settings_doc" ON "c_context_settings" USING gin (doc jsonb_path_ops);
CREATE INDEX IF NOT EXISTS "c_context_settings_i_key" ON "c_context_settings" (tenant_id, ((doc->>'key') COLLATE "C"));

-- essential/sagas: Multi-collection transactions with compensation.
CREATE TABLE IF NOT EXISTS "c_essential_sagas" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_essential_sagas_ref" ON "c_essential_sagas" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_essential_sagas_owner" ON "c_essential_sagas" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_essential_sagas_created_at" ON "c_essential_sagas" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_essential_sagas_shares" ON "c_essential_sagas" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_essential_sagas_groups" ON "c_essential_sagas" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_essential_sagas_clients" ON "c_essential_sagas" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_essential_sagas_doc" ON "c_essential_sagas" USING gin (doc jsonb_path_ops);

-- special/files: File metadata.
CREATE TABLE IF NOT EXISTS "c_special_files" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_special_files_ref" ON "c_special_files" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_special_files_owner" ON "c_special_files" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_special_files_created_at" ON "c_special_files" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_special_files_shares" ON "c_special_files" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_special_files_groups" ON "c_special_files" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_special_files_clients" ON "c_special_files" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_special_files_doc" ON "c_special_files" USING gin (doc jsonb_path_ops);

-- special/stats: Counters and usage figures.
CREATE TABLE IF NOT EXISTS "c_special_stats" (
  tenant_id text NOT NULL,
  id text NOT NULL,
  ref text,
  owner text,
  shares text[] NOT NULL DEFAULT '{}',
  groups text[] NOT NULL DEFAULT '{}',
  clients text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  deleted_at timestamptz,
  version integer NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS "c_special_stats_ref" ON "c_special_stats" (tenant_id, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS "c_special_stats_owner" ON "c_special_stats" (tenant_id, owner);
CREATE INDEX IF NOT EXISTS "c_special_stats_created_at" ON "c_special_stats" (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS "c_special_stats_shares" ON "c_special_stats" USING gin (shares);
CREATE INDEX IF NOT EXISTS "c_special_stats_groups" ON "c_special_stats" USING gin (groups);
CREATE INDEX IF NOT EXISTS "c_special_stats_clients" ON "c_special_stats" USING gin (clients);
CREATE INDEX IF NOT EXISTS "c_special_stats_doc" ON "c_special_stats" USING gin (doc jsonb_path_ops);
CREATE INDEX IF NOT EXISTS "c_special_stats_i_key" ON "c_special_stats" (tenant_id, ((doc->>'key') COLLATE "C"));
