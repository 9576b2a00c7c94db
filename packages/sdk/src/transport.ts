import { PlatformError } from './errors.js';

/** A token, or a function asked before every request (to refresh one). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface ClientOptions {
  /** The platform's base URL, e.g. `http://localhost:3010` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: TokenSource;
  /** Headers sent with every request (e.g. `x-domain`, `x-client-id`). */
  headers?: Record<string, string>;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
}

/** Options every call takes. */
export interface RequestOptions {
  /** Extra headers for this call; they win over the client's. */
  headers?: Record<string, string>;
  /** Sends `x-exclude-soft-delete-query: true`: soft-deleted documents are visible. */
  includeDeleted?: boolean;
  /** Sends `x-request-id`, which the server echoes and logs. */
  requestId?: string;
  signal?: AbortSignal;
}

/** A raw answer: status, headers and parsed JSON body. */
export interface PlatformResponse<B> {
  status: number;
  headers: Headers;
  body: B;
}

export interface SendInit {
  search?: URLSearchParams;
  body?: unknown;
  options?: RequestOptions;
  /** Headers the operation itself sets (If-Match, Idempotency-Key, Accept). */
  headers?: Record<string, string | undefined>;
}

/** Builds URLs and headers, sends, and turns any non-2xx answer into a PlatformError. */
export class Transport {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    if (!/^https?:\/\//i.test(options.baseUrl)) throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    this.base = options.baseUrl.replace(/\/+$/, '');
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') throw new TypeError('no fetch available; pass options.fetch');
    this.fetchFn = fetchFn;
  }

  url(path: string, search?: URLSearchParams): string {
    const query = search?.toString();
    return `${this.base}${path}${query ? `?${query}` : ''}`;
  }

  private async headers(init: SendInit): Promise<Headers> {
    const headers = new Headers({ accept: 'application/json' });
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(this.options.headers ?? {})) headers.set(name, value);
    for (const [name, value] of Object.entries(init.headers ?? {})) if (value !== undefined) headers.set(name, value);
    const options = init.options ?? {};
    if (options.includeDeleted) headers.set('x-exclude-soft-delete-query', 'true');
    if (options.requestId !== undefined) headers.set('x-request-id', options.requestId);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    if (init.body !== undefined) headers.set('content-type', 'application/json');
    return headers;
  }

  /** Sends the request; resolves with the response only when it is a success. */
  async send(method: string, path: string, init: SendInit = {}): Promise<Response> {
    const response = await this.fetchFn(this.url(path, init.search), {
      method,
      headers: await this.headers(init),
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.options?.signal,
    });
    if (!response.ok) throw await PlatformError.fromResponse(response);
    return response;
  }

  async json<B>(method: string, path: string, init: SendInit = {}): Promise<PlatformResponse<B>> {
    const response = await this.send(method, path, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      const message = 'the server answered with a body that is not JSON';
      throw new PlatformError({ statusCode: response.status, code: 'INVALID_RESPONSE', message, body: text });
    }
    return { status: response.status, headers: response.headers, body: body as B };
  }
}

/** `If-Match` from a version number (`3` → `"3"`) or an ETag as received. */
export function ifMatchHeader(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? `"${value}"` : value;
}
