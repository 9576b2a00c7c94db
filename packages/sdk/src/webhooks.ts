import type { CqrsPayload } from '@stratum/contracts';

// Receiver side of the platform's change-event webhooks (Standard Webhooks signing). Only
// WebCrypto, TextEncoder and atob/btoa are used, so this runs in Node 20+, browsers, Deno, Bun
// and edge runtimes alike.

export type WebhookVerificationReason =
  | 'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'no_matching_signature' | 'bad_body'
  /** A `stratum-*` header is malformed or contradicts the signed body. */
  | 'bad_header';

/** A request that must be refused (answer 400 or 401); `reason` says why. */
export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/** A `Headers` instance, or a plain object with names in any case (Node, Express, Fastify). */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined>;

export type VerifyWebhookOptions = ({ secret: string } | { secrets: readonly string[] }) & {
  headers: WebhookHeaders;
  /** The body exactly as received: re-serialised JSON does not verify. */
  body: string | Uint8Array;
  /** How far the timestamp may be from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** The current time (a Date or milliseconds since the epoch, like `Date.now()`). */
  now?: Date | number;
};

export interface VerifiedWebhook<T = Record<string, unknown>> {
  /** `webhook-id`: the same on retries and replays, so it can be used to deduplicate. */
  id: string;
  /** `webhook-timestamp`: unix seconds of this delivery attempt. */
  timestamp: number;
  /** `stratum-event-position`. Not covered by the signature: informational only. */
  position?: number;
  /** `stratum-document-version`, checked against the versions in the signed body. */
  version?: number;
  payload: CqrsPayload<T>;
}

const SECRET_PREFIX = 'whsec_';
const encoder = new TextEncoder();

// Derived from the global rather than named, so no DOM lib or node:crypto types are needed.
type Subtle = (typeof globalThis.crypto)['subtle'];
type HmacKey = Awaited<ReturnType<Subtle['importKey']>>;

function subtle(): Subtle {
  const found = globalThis.crypto?.subtle;
  if (!found) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available in this runtime');
  return found;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The HMAC key of a secret: base64 after the optional `whsec_` prefix. */
function secretKey(secret: string): Promise<HmacKey> {
  const raw = fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  // A bad secret is a configuration error, not a bad request: it must not look like a 401.
  if (!raw || raw.length === 0) throw new TypeError('webhook secret must be whsec_<base64>');
  return subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

function bodyBytes(body: string | Uint8Array): Uint8Array {
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  // The usual mistake is passing the JSON a body parser made: its bytes are not the signed ones.
  throw new TypeError('webhook body must be the raw body (string or Uint8Array), not parsed JSON');
}

/** `${id}.${timestamp}.` followed by the body's own bytes (not decoded and re-encoded). */
function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

async function hmac(secret: string, content: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign('HMAC', await secretKey(secret), content));
}

/** Compares every byte whatever differs first, so timing does not reveal a matching prefix. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** A new endpoint secret: `whsec_` and the base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** The `webhook-signature` entry (`v1,<base64>`) the platform sends for this delivery. */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string | Uint8Array): Promise<string> {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp must be integer unix seconds');
  return `v1,${toBase64(await hmac(secret, signedContent(id, String(timestamp), bodyBytes(body))))}`;
}

/** Every value of a header; several when a proxy or the client split or repeated it. */
function headerValues(headers: WebhookHeaders, name: string): string[] {
  if (typeof (headers as Headers).get === 'function') {
    const value = (headers as Headers).get(name);
    return value === null ? [] : [value];
  }
  const out: string[] = [];
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    out.push(...(typeof value === 'string' ? [value] : value));
  }
  return out;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  const value = headerValues(headers, name)[0]?.trim();
  return value === '' ? undefined : value;
}

/** The base64 of each `v1` entry; other versions (future schemes) are skipped, not failed. */
function v1Signatures(headers: WebhookHeaders): Uint8Array[] {
  // Entries are space-separated; `Headers` and Node join repeated headers with ", ", so a
  // trailing comma is dropped too (base64 never contains one).
  const entries = headerValues(headers, 'webhook-signature').join(' ').split(/\s+/);
  const out: Uint8Array[] = [];
  for (const entry of entries) {
    const [version, signature] = entry.replace(/,+$/, '').split(',', 2);
    const bytes = version === 'v1' && signature ? fromBase64(signature) : undefined;
    if (bytes) out.push(bytes);
  }
  return out;
}

function parseInteger(text: string | undefined, reason: WebhookVerificationReason, name: string): number | undefined {
  if (text === undefined) return undefined;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new WebhookVerificationError(reason, `${name} must be a non-negative integer`);
  return value;
}

function checkTimestamp(text: string, toleranceSeconds: number, now: Date | number | undefined): number {
  const timestamp = parseInteger(text, 'bad_timestamp', 'webhook-timestamp')!;
  const nowSeconds = Math.floor((now === undefined ? Date.now() : +now) / 1000);
  // NaN would make every comparison below false, i.e. accept any timestamp.
  if (!Number.isFinite(nowSeconds) || !(toleranceSeconds >= 0)) throw new TypeError('now and toleranceSeconds must be valid numbers');
  // Too old is a replay risk; too far ahead would stay "fresh" long enough to be replayed later.
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance', 'webhook-timestamp is outside the tolerance');
  }
  return timestamp;
}

async function checkSignature(secrets: readonly string[], id: string, timestamp: string, body: Uint8Array, candidates: Uint8Array[]): Promise<void> {
  const content = signedContent(id, timestamp, body);
  for (const secret of secrets) {
    const expected = await hmac(secret, content);
    if (candidates.some((candidate) => constantTimeEqual(candidate, expected))) return;
  }
  throw new WebhookVerificationError('no_matching_signature', 'no webhook-signature matches the secret');
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Parses the (already authenticated) body and checks the fields applyChange relies on. */
function parsePayload<T>(body: Uint8Array): CqrsPayload<T> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new WebhookVerificationError('bad_body', 'webhook body is not UTF-8 JSON');
  }
  const ok = isObject(value) && typeof value.id === 'string' && typeof value.topic === 'string'
    && ['c', 'u', 'd', 'r'].includes(value.op as string)
    && (value.after === undefined || isObject(value.after)) && (value.before === undefined || isObject(value.before))
    && (value.op === 'd' || value.after !== undefined);
  if (!ok) throw new WebhookVerificationError('bad_body', 'webhook body is not a change event');
  return value as unknown as CqrsPayload<T>;
}

/** The version the signed body implies: after.version, else before.version + 1. */
function bodyVersion(payload: CqrsPayload<unknown>): number | undefined {
  const after = (payload.after as { version?: unknown } | undefined)?.version;
  if (Number.isSafeInteger(after)) return after as number;
  const before = (payload.before as { version?: unknown } | undefined)?.version;
  return Number.isSafeInteger(before) ? (before as number) + 1 : undefined;
}

/**
 * Checks a delivery and returns its event. Order matters: headers and timestamp first (cheap),
 * then the signature, and only then is the body parsed, so unauthenticated bytes never reach
 * JSON.parse. Throws WebhookVerificationError for anything to refuse.
 */
export async function verifyWebhook<T = Record<string, unknown>>(options: VerifyWebhookOptions): Promise<VerifiedWebhook<T>> {
  const secrets = [...('secret' in options ? [options.secret] : []), ...('secrets' in options ? options.secrets : [])];
  if (secrets.length === 0) throw new TypeError('verifyWebhook needs a secret or secrets');
  const body = bodyBytes(options.body);
  const { headers } = options;
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const candidates = v1Signatures(headers);
  if (id === undefined || timestampText === undefined || header(headers, 'webhook-signature') === undefined) {
    throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  const timestamp = checkTimestamp(timestampText, options.toleranceSeconds ?? 300, options.now);
  await checkSignature(secrets, id, timestampText, body, candidates);
  const payload = parsePayload<T>(body);
  // These two headers are not signed: malformed means refused, and a version that contradicts
  // the signed body would let a replayer pin a document at a forged version.
  const position = parseInteger(header(headers, 'stratum-event-position'), 'bad_header', 'stratum-event-position');
  const version = parseInteger(header(headers, 'stratum-document-version'), 'bad_header', 'stratum-document-version');
  const implied = bodyVersion(payload as CqrsPayload<unknown>);
  if (version !== undefined && implied !== undefined && version !== implied) {
    throw new WebhookVerificationError('bad_header', 'stratum-document-version contradicts the signed body');
  }
  return { id, timestamp, payload, ...(position !== undefined ? { position } : {}), ...(version !== undefined ? { version } : {}) };
}

/**
 * Local storage that change events are applied to. Implementations should keep the version of
 * a removed document (a tombstone), so a late, older update cannot bring it back. `upsert` and
 * `remove` may return false when a conditional write found a newer version already stored
 * (e.g. `UPDATE ... WHERE version < $v`), which closes the race between two concurrent deliveries.
 */
export interface ChangeTarget<T = Record<string, unknown>> {
  version(topic: string, id: string): Promise<number | undefined>;
  upsert(topic: string, id: string, doc: T, version: number): Promise<void | boolean>;
  remove(topic: string, id: string, version: number): Promise<void | boolean>;
}

/** The version an event produced: the header, else after.version, else before.version + 1. */
export function changeVersion(verified: VerifiedWebhook<unknown>): number | undefined {
  return verified.version ?? bodyVersion(verified.payload);
}

/**
 * Applies an event only if it is newer than what the target holds: duplicates, replays and
 * out-of-order redeliveries come back 'stale' and change nothing.
 */
export async function applyChange<T>(target: ChangeTarget<T>, verified: VerifiedWebhook<T>): Promise<'applied' | 'stale'> {
  const { payload } = verified;
  const version = changeVersion(verified as VerifiedWebhook<unknown>);
  if (version === undefined) throw new TypeError(`change event ${verified.id} carries no document version`);
  const stored = await target.version(payload.topic, payload.id);
  if (stored !== undefined && stored >= version) return 'stale';
  const written = payload.op === 'd'
    ? await target.remove(payload.topic, payload.id, version)
    : await target.upsert(payload.topic, payload.id, payload.after as T, version);
  return written === false ? 'stale' : 'applied';
}

export interface MemoryChangeTarget<T = Record<string, unknown>> extends ChangeTarget<T> {
  /** The live document, or undefined when unknown or removed. */
  get(topic: string, id: string): T | undefined;
  /** The live documents of a topic. */
  list(topic: string): T[];
}

/**
 * An in-memory ChangeTarget for tests and small apps. A removed document stays as a tombstone
 * (its version, no document) so an older update delivered late stays stale. Tombstones are
 * never pruned here; a durable target may drop those older than its redelivery window.
 */
export function memoryChangeTarget<T = Record<string, unknown>>(): MemoryChangeTarget<T> {
  const topics = new Map<string, Map<string, { version: number; doc?: T }>>();
  const entries = (topic: string) => topics.get(topic) ?? topics.set(topic, new Map()).get(topic)!;
  // Checked again at write time: two deliveries may interleave between version() and the write.
  const write = (topic: string, id: string, version: number, doc?: T): boolean => {
    const current = entries(topic).get(id);
    if (current && current.version >= version) return false;
    entries(topic).set(id, doc === undefined ? { version } : { version, doc });
    return true;
  };
  return {
    version: async (topic, id) => topics.get(topic)?.get(id)?.version,
    upsert: async (topic, id, doc, version) => write(topic, id, version, doc),
    remove: async (topic, id, version) => write(topic, id, version),
    get: (topic, id) => topics.get(topic)?.get(id)?.doc,
    list: (topic) => [...(topics.get(topic)?.values() ?? [])].flatMap((e) => (e.doc === undefined ? [] : [e.doc])),
  };
}
