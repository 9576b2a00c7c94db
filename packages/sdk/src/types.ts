import type { ClientFields, COMPUTED_FIELDS, Core, GrantFields } from '@stratum/contracts';

/** Any document: the core fields plus the collection's own. */
export type Document = Core & Record<string, unknown>;

/** Fields the platform computes; a body carrying one is a 400. */
export type ComputedField = (typeof COMPUTED_FIELDS)[number] | 'owner';

/** What a create body may hold: every non-computed field of the document. */
export type Input<T> = { [K in Exclude<keyof T, ComputedField>]?: T[K] };

/** An update body: the fields to set; `null` removes a field. */
export type Patch<I> = { [K in keyof I]?: I[K] | null };

export interface User extends Core {
  username?: string;
  email?: string;
  phone?: string;
  name?: string;
  subjects?: string[];
  status?: 'active' | 'inactive' | 'suspended' | 'pending';
}
/** `password` and `totp_secret` are write-only: sent, never returned. */
export type UserInput = Input<User> & { password?: string; totp_secret?: string };

export interface Profile extends Core {
  user?: string;
  first_name?: string;
  last_name?: string;
  nickname?: string;
  avatar?: string;
  birthdate?: string;
  gender?: string;
  locale?: string;
}

export interface Session extends Core {
  user?: string;
  client?: string;
  app?: string;
  agent?: string;
  ip?: string;
  expires_at?: string;
  revoked_at?: string;
}

export interface Grant extends Core, GrantFields {}
export type GrantInput = Input<Grant> & Pick<Grant, 'subject' | 'action' | 'object'>;

export interface Apt extends Core {
  name: string;
  scope?: string;
  subjects?: string[];
  strict?: boolean;
  expires_at?: string;
  last_used_at?: string;
}
export type AptInput = Input<Apt> & Pick<Apt, 'name'>;

export interface Client extends Core, ClientFields {}
/** `secret` is write-only and stored hashed; api keys are minted by `POST /domain/clients/:id/api-key`. */
export type ClientInput = Input<Client> & Pick<Client, 'name'> & { secret?: string };

export interface App extends Core {
  client: string;
  name: string;
  scopes?: string[];
  access_token_ttl?: number;
  refresh_token_ttl?: number;
}
export type AppInput = Input<App> & Pick<App, 'client' | 'name'>;

export interface KeyValue extends Core {
  key: string;
  value?: unknown;
}
export type KeyValueInput = Input<KeyValue> & Pick<KeyValue, 'key'>;

export interface Saga extends Core {
  ttl?: number;
  status?: 'started' | 'committed' | 'aborted' | 'expired';
  expires_at?: string;
}

export interface FileMeta extends Core {
  name: string;
  mime?: string;
  size?: number;
  hash?: string;
  storage?: string;
  path?: string;
}
export type FileMetaInput = Input<FileMeta> & Pick<FileMeta, 'name'>;

export interface Stat extends Core {
  key: string;
  value?: number;
  period?: string;
}
export type StatInput = Input<Stat> & Pick<Stat, 'key'>;
