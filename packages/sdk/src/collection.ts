import type { Core, DataEnvelope, Filter, ItemsEnvelope, TotalEnvelope } from '@stratum/contracts';
import { PlatformError } from './errors.js';
import { readSearch, type CountParams, type FindByIdParams, type FindParams } from './query.js';
import { bodyChunks, parseSse } from './sse.js';
import { ifMatchHeader, type RequestOptions, type Transport } from './transport.js';
import type { Document, Input, Patch } from './types.js';

/** Options of writes to one document: `ifMatch` is the version (or ETag) the write expects. */
export interface WriteOptions extends RequestOptions {
  /** A version number (`3`) or an ETag (`"3"`); a stale one fails with 412 PRECONDITION_FAILED. */
  ifMatch?: number | string;
}

/** Options of creates: with `idempotencyKey`, a retry replays the first answer instead of writing twice. */
export interface CreateOptions extends RequestOptions {
  idempotencyKey?: string;
}

export interface WithEtag<T> {
  data: T;
  /** The `ETag` header, e.g. `"3"` (the document's version, quoted). */
  etag: string | undefined;
}

export interface CreateResult<T> extends WithEtag<T> {
  /** True when the server replayed the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** The 11 operations of one collection (DESIGN 5.1), with the envelopes unwrapped. */
export class CollectionClient<T extends Core = Document, I = Input<T>> {
  /** `/service/collection` */
  readonly path: string;

  constructor(
    private readonly transport: Transport,
    readonly service: string,
    readonly name: string,
  ) {
    this.path = `/${encodeURIComponent(service)}/${encodeURIComponent(name)}`;
  }

  private idPath(id: string, suffix = ''): string {
    return `${this.path}/${encodeURIComponent(id)}${suffix}`;
  }

  /** GET /count → `total`. */
  async count(params: CountParams = {}, options?: RequestOptions): Promise<number> {
    const res = await this.transport.json<TotalEnvelope>('GET', `${this.path}/count`, { search: readSearch(params), options });
    return res.body.total;
  }

  /** POST / → the created document (201). */
  async create(body: I, options?: CreateOptions): Promise<T> {
    return (await this.createWithMeta(body, options)).data;
  }

  /** Like `create`, with the ETag and whether an Idempotency-Key replay answered. */
  async createWithMeta(body: I, options: CreateOptions = {}): Promise<CreateResult<T>> {
    const res = await this.transport.json<DataEnvelope<T>>('POST', this.path, {
      body, options, headers: { 'idempotency-key': options.idempotencyKey },
    });
    return { data: res.body.data, etag: res.headers.get('etag') ?? undefined, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** POST /bulk `{items}` → the created documents, in order. */
  async createBulk(items: I[], options: CreateOptions = {}): Promise<T[]> {
    const res = await this.transport.json<ItemsEnvelope<T>>('POST', `${this.path}/bulk`, {
      body: { items }, options, headers: { 'idempotency-key': options.idempotencyKey },
    });
    return res.body.items;
  }

  /** GET / → one page of matching documents. */
  async find(params: FindParams = {}, options?: RequestOptions): Promise<T[]> {
    const res = await this.transport.json<ItemsEnvelope<T>>('GET', this.path, { search: readSearch(params), options });
    return res.body.items;
  }

  /**
   * GET /cursor → every matching document, streamed (no page limit). The request is sent when
   * iteration starts; breaking out of the loop or aborting `options.signal` closes it. A bad
   * filter rejects the first step with a PlatformError; an `event: error` mid-stream throws one;
   * a stream cut before `event: end` throws `STREAM_TRUNCATED`.
   */
  async *cursor(params: FindParams = {}, options?: RequestOptions): AsyncGenerator<T, void, undefined> {
    const response = await this.transport.send('GET', `${this.path}/cursor`, {
      search: readSearch(params), options, headers: { accept: 'text/event-stream' },
    });
    const requestId = response.headers.get('x-request-id') ?? undefined;
    const fail = (code: string, message: string) => new PlatformError({ statusCode: response.status, code, message, request_id: requestId });
    if (!response.body) throw fail('INVALID_RESPONSE', 'the cursor answered without a body');
    for await (const event of parseSse(bodyChunks(response.body))) {
      if (event.event === 'end') return;
      if (event.event === 'error') throw PlatformError.fromBody(parseData(event.data), 500, requestId);
      if (event.event === 'message') yield JSON.parse(event.data) as T;
    }
    throw fail('STREAM_TRUNCATED', 'the cursor stream ended before its end event');
  }

  /** GET /:id → the document; `ref` must match as well, else 404. */
  async findById(id: string, params?: FindByIdParams, options?: RequestOptions): Promise<T> {
    return (await this.findByIdWithEtag(id, params, options)).data;
  }

  /** GET /:id → the document and its ETag, for a later `ifMatch`. */
  async findByIdWithEtag(id: string, params: FindByIdParams = {}, options?: RequestOptions): Promise<WithEtag<T>> {
    const res = await this.transport.json<DataEnvelope<T>>('GET', this.idPath(id), { search: readSearch(params), options });
    return { data: res.body.data, etag: res.headers.get('etag') ?? undefined };
  }

  /** PATCH /:id → the updated document (version + 1). */
  async updateById(id: string, body: Patch<I>, options?: WriteOptions): Promise<T> {
    return (await this.updateByIdWithEtag(id, body, options)).data;
  }

  async updateByIdWithEtag(id: string, body: Patch<I>, options: WriteOptions = {}): Promise<WithEtag<T>> {
    const res = await this.transport.json<DataEnvelope<T>>('PATCH', this.idPath(id), {
      body, options, headers: { 'if-match': ifMatchHeader(options.ifMatch) },
    });
    return { data: res.body.data, etag: res.headers.get('etag') ?? undefined };
  }

  /** PATCH /bulk?query=… → how many documents were updated. */
  async updateBulk(query: Filter, body: Patch<I>, options?: RequestOptions): Promise<number> {
    const res = await this.transport.json<TotalEnvelope>('PATCH', `${this.path}/bulk`, { search: readSearch({ query }), body, options });
    return res.body.total;
  }

  /** DELETE /:id → the soft-deleted document (hidden from reads until restored). */
  async deleteById(id: string, options: WriteOptions = {}): Promise<T> {
    return this.write('DELETE', this.idPath(id), options);
  }

  /** PUT /:id/restore → the restored document; a live document is a 409. */
  async restoreById(id: string, options: WriteOptions = {}): Promise<T> {
    return this.write('PUT', this.idPath(id, '/restore'), options);
  }

  /** DELETE /:id/destroy → the document as it was, now gone for good. */
  async destroyById(id: string, options: WriteOptions = {}): Promise<T> {
    return this.write('DELETE', this.idPath(id, '/destroy'), options);
  }

  private async write(method: string, path: string, options: WriteOptions): Promise<T> {
    const res = await this.transport.json<DataEnvelope<T>>(method, path, { options, headers: { 'if-match': ifMatchHeader(options.ifMatch) } });
    return res.body.data;
  }
}

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
