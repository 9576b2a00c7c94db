import type { Core, Usage } from '@stratum/contracts';
import { CollectionClient } from './collection.js';
import { TokenClient } from './tokens.js';
import { Transport, type ClientOptions, type PlatformResponse, type RequestOptions } from './transport.js';
import type {
  App, AppInput, Apt, AptInput, Client, ClientInput, Document, FileMeta, FileMetaInput, Grant, GrantInput, Input,
  KeyValue, KeyValueInput, Profile, Saga, Session, Stat, StatInput, User, UserInput,
} from './types.js';

export interface RawRequest extends RequestOptions {
  search?: URLSearchParams | Record<string, string>;
  body?: unknown;
}

/** A typed client of one Stratum platform. Stateless apart from its options; safe to share. */
export class PlatformClient {
  private readonly transport: Transport;

  readonly identity: {
    users: CollectionClient<User, UserInput>;
    profiles: CollectionClient<Profile>;
    sessions: CollectionClient<Session>;
  };
  readonly auth: { grants: CollectionClient<Grant, GrantInput>; apts: CollectionClient<Apt, AptInput> };
  readonly domain: { clients: CollectionClient<Client, ClientInput>; apps: CollectionClient<App, AppInput> };
  readonly context: { configs: CollectionClient<KeyValue, KeyValueInput>; settings: CollectionClient<KeyValue, KeyValueInput> };
  readonly essential: { sagas: CollectionClient<Saga> };
  readonly special: { files: CollectionClient<FileMeta, FileMetaInput>; stats: CollectionClient<Stat, StatInput> };
  /** Sign-in and sessions: `platform.tokens.password({username, password})`. */
  readonly tokens: TokenClient;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
    this.identity = {
      users: this.collection<User, UserInput>('identity', 'users'),
      profiles: this.collection<Profile>('identity', 'profiles'),
      sessions: this.collection<Session>('identity', 'sessions'),
    };
    this.auth = { grants: this.collection<Grant, GrantInput>('auth', 'grants'), apts: this.collection<Apt, AptInput>('auth', 'apts') };
    this.domain = { clients: this.collection<Client, ClientInput>('domain', 'clients'), apps: this.collection<App, AppInput>('domain', 'apps') };
    this.context = {
      configs: this.collection<KeyValue, KeyValueInput>('context', 'configs'),
      settings: this.collection<KeyValue, KeyValueInput>('context', 'settings'),
    };
    this.essential = { sagas: this.collection<Saga>('essential', 'sagas') };
    this.tokens = new TokenClient(this);
    this.special = { files: this.collection<FileMeta, FileMetaInput>('special', 'files'), stats: this.collection<Stat, StatInput>('special', 'stats') };
  }

  /** Any collection, built-in or declared by the tenant: `collection<Order>('shop', 'orders')`. */
  collection<T extends Core = Document, I = Input<T>>(service: string, name: string): CollectionClient<T, I> {
    return new CollectionClient<T, I>(this.transport, service, name);
  }

  /**
   * `GET /usage`: the tenant's requests this month and its live documents, next to its plan's
   * limits (`null`: unlimited). For the tenant's admins: others get a 403.
   */
  async usage(options: RequestOptions = {}): Promise<Usage> {
    return (await this.request<{ data: Usage }>('GET', '/usage', options)).body.data;
  }

  /**
   * Any other endpoint (`/status`, `/discover`, …): the JSON answer with status and headers.
   * A non-2xx answer throws a PlatformError like every other call.
   */
  async request<B = unknown>(method: string, path: string, init: RawRequest = {}): Promise<PlatformResponse<B>> {
    const { search, body, ...options } = init;
    const params = search instanceof URLSearchParams ? search : new URLSearchParams(search ?? {});
    return this.transport.json<B>(method, path.startsWith('/') ? path : `/${path}`, { search: params, body, options });
  }
}

export function createPlatformClient(options: ClientOptions): PlatformClient {
  return new PlatformClient(options);
}
