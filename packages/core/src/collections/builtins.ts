import type { CollectionDefinition, JsonSchema } from './definition.js';

const str: JsonSchema = { type: 'string', maxLength: 1024 };
const strings: JsonSchema = { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 1000 };
const id: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const date: JsonSchema = { type: 'string', format: 'date-time' };
const int: JsonSchema = { type: 'integer', minimum: 0 };
const bool: JsonSchema = { type: 'boolean' };

type Extra = Partial<Omit<CollectionDefinition, 'schema'>> & { required?: string[] };

function collection(
  service: string,
  name: string,
  description: string,
  properties: Record<string, JsonSchema>,
  extra: Extra = {},
): CollectionDefinition {
  const { required, ...rest } = extra;
  return { service, name, description, schema: { type: 'object', properties, required: required ?? [] }, ...rest };
}

/** The built-in collections of DESIGN 5.1, as data. Later capabilities extend their schemas. */
export const BUILTIN_COLLECTIONS: CollectionDefinition[] = [
  collection('auth', 'grants', 'Access policies: who may do what to which objects.', {
    subject: str, action: str, object: str, field: strings, filter: strings, location: strings, time: strings,
  }, { required: ['subject', 'action', 'object'] }),
  collection('auth', 'apts', 'Auth personal tokens: long-lived, scoped, revocable.', {
    name: str, scope: str, subjects: strings, strict: bool, expires_at: date, last_used_at: date, session: id, token_hash: str,
  }, { required: ['name'], internal: ['token_hash'] }),
  collection('domain', 'clients', 'OAuth clients of the tenant.', {
    name: str, domain: str, secret: str, grant_types: strings, scopes: strings, redirect_uris: strings,
    access_token_ttl: int, refresh_token_ttl: int, whitelist: strings, coworkers: { type: 'array', items: id },
    api_key_hash: str, plan: str, status: { type: 'string', enum: ['active', 'inactive', 'suspended'] },
  }, {
    required: ['name'], writeOnly: ['secret'], hashed: ['secret'], internal: ['api_key_hash'],
    indexes: [{ fields: { name: 1 } }],
  }),
  collection('domain', 'apps', 'Surfaces of a client with their own scopes and TTLs.', {
    client: id, name: str, scopes: strings, access_token_ttl: int, refresh_token_ttl: int,
  }, { required: ['client', 'name'], references: { client: 'domain/clients' } }),
  collection('identity', 'users', 'People who sign in.', {
    username: str, email: { type: 'string', maxLength: 320 }, phone: { type: 'string', maxLength: 32 }, name: str,
    password: { type: 'string', minLength: 8, maxLength: 256 }, subjects: strings,
    status: { type: 'string', enum: ['active', 'inactive', 'suspended', 'pending'] }, totp_secret: str,
    picture: { type: 'string', maxLength: 2048 }, provider: str, last_seen_at: date,
    // `<provider>:<sha256 hex of the provider's subject>`: the key of an external identity (seed 004).
    external_id: str,
  }, {
    writeOnly: ['password', 'totp_secret'], hashed: ['password'], internal: ['external_id'],
    indexes: [
      { fields: { username: 1 }, unique: true },
      { fields: { email: 1 }, unique: true },
      { fields: { phone: 1 }, unique: true },
      { fields: { external_id: 1 }, unique: true },
      { fields: { status: 1, created_at: -1 } },
    ],
  }),
  collection('identity', 'profiles', 'Profile data of users.', {
    user: id, first_name: str, last_name: str, nickname: str, avatar: str, birthdate: str, gender: str, locale: str,
  }, { references: { user: 'identity/users' }, indexes: [{ fields: { user: 1 } }] }),
  collection('identity', 'sessions', 'Sign-in sessions; revoking one revokes its tokens.', {
    user: id, client: id, app: id, kind: { type: 'string', enum: ['login', 'client', 'apt'] }, agent: str, ip: str,
    scope: str, expires_at: date, revoked_at: date, refresh_jti: str,
  }, { internal: ['refresh_jti'], references: { user: 'identity/users', client: 'domain/clients' }, indexes: [{ fields: { user: 1 } }] }),
  // `eid` names the entity a config belongs to (a client for CQRS); absent for tenant-wide keys.
  collection('context', 'configs', 'Per-tenant configuration documents by key (RBAC, CQRS, schemas).', {
    eid: id, key: str, value: {},
  }, { required: ['key'], indexes: [{ fields: { eid: 1, key: 1 }, unique: true, nullsEqual: true }] }),
  collection('context', 'settings', 'Per-tenant settings by key.', {
    key: str, value: {},
  }, { required: ['key'], indexes: [{ fields: { key: 1 } }] }),
  collection('essential', 'sagas', 'Multi-collection transactions with compensation.', {
    ttl: int, status: { type: 'string', enum: ['started', 'committed', 'aborted', 'expired'] }, expires_at: date,
  }, {}),
  collection('special', 'files', 'File metadata.', {
    name: str, mime: str, size: int, hash: str, storage: str, path: str,
  }, { required: ['name'] }),
  collection('special', 'stats', 'Counters and usage figures.', {
    key: str, value: { type: 'number' }, period: str,
  }, { required: ['key'], indexes: [{ fields: { key: 1 } }] }),
];
