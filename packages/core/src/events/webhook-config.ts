import { randomBytes } from 'node:crypto';
import { ErrorCode, type ErrorDetail } from '@stratum/contracts';
import type { RequestContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { CollectionHooks } from '../collections/hooks.js';
import type { Doc } from '../collections/documents.js';
import type { CollectionRegistry } from '../collections/registry.js';
import type { SqlExecutor } from '../store/types.js';

/** The config key of seed 000 under which a client registers its webhook. */
export const CQRS_KEY = 'CQRS';

const OPS = new Set(['c', 'u', 'd', 'r']);
const FIELDS = new Set(['webhook', 'authorization', 'collections', 'ops']);

/** What a CQRS config asks for: where to post, with which Authorization, and which events. */
export interface WebhookTarget {
  url: string;
  authorization: string | null;
  /** `service/collection` paths, or null for every collection. */
  collections: string[] | null;
  ops: string[] | null;
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function fail(details: ErrorDetail[]): never {
  throw new DomainError(ErrorCode.VALIDATION_FAILED, 'invalid CQRS config', details);
}

function stringList(value: unknown, path: string, allowed: (item: string) => boolean, what: string): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) fail([{ path, message: 'must be a non-empty array of at most 100 items' }]);
  const bad = value.findIndex((item) => typeof item !== 'string' || !allowed(item));
  if (bad >= 0) fail([{ path: `${path}.${bad}`, message: `must be ${what}` }]);
  return [...new Set(value as string[])];
}

/** Validates the `value` of a CQRS config (seed 000's `{webhook, authorization}` plus event filters). */
export function parseWebhookTarget(value: unknown, registry: CollectionRegistry): WebhookTarget {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail([{ path: 'value', message: 'must be an object with a webhook URL' }]);
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) fail(unknown.map((key) => ({ path: `value.${key}`, message: 'is not a CQRS setting' })));
  let url: URL | undefined;
  try {
    url = typeof raw.webhook === 'string' && raw.webhook.length <= 2048 ? new URL(raw.webhook) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    fail([{ path: 'value.webhook', message: 'must be an http(s) URL without credentials (use authorization)' }]);
  }
  const authorization = raw.authorization ?? null;
  if (authorization !== null && (typeof authorization !== 'string' || !/^[\x20-\x7e]{1,4096}$/.test(authorization))) {
    fail([{ path: 'value.authorization', message: 'must be a header value of printable ASCII' }]);
  }
  return {
    url: url.toString(),
    authorization,
    collections: stringList(raw.collections, 'value.collections', (path) => registry.byPath(path) !== undefined, 'a collection path such as identity/users'),
    ops: stringList(raw.ops, 'value.ops', (op) => OPS.has(op), 'one of c, u, d, r'),
  };
}

async function assertClientOfTenant(db: SqlExecutor, ctx: RequestContext, clientId: unknown): Promise<string> {
  if (typeof clientId !== 'string') fail([{ path: 'eid', message: 'a CQRS config names its client in eid' }]);
  const found = await db.query('SELECT 1 FROM c_domain_clients WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL', [ctx.tenant, clientId]);
  if (found.rows.length === 0) fail([{ path: 'eid', message: 'is not a client of this tenant' }]);
  return clientId;
}

/**
 * Copies a live CQRS config into its endpoint row, in the config write's transaction. A new
 * endpoint starts at the tenant's current position: it receives changes from now on (replay
 * sends older ones on request) and gets its signing secret.
 */
async function syncEndpoint(ctx: RequestContext, registry: CollectionRegistry, doc: Doc, configured: boolean): Promise<void> {
  if (doc.key !== CQRS_KEY) return;
  const db = ctx.tx!;
  if (!configured) {
    await db.query('UPDATE stratum_webhook_endpoints SET configured = false WHERE tenant_id = $1 AND client_id = $2', [ctx.tenant, doc.eid]);
    return;
  }
  const target = parseWebhookTarget(doc.value, registry);
  const client = await assertClientOfTenant(db, ctx, doc.eid);
  await db.query(
    `INSERT INTO stratum_webhook_endpoints (tenant_id, client_id, url, authorization_header, collections, ops, secret, cursor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE((SELECT position FROM stratum_outbox_positions WHERE tenant_id = $1), 0))
     ON CONFLICT (tenant_id, client_id) DO UPDATE SET url = EXCLUDED.url, authorization_header = EXCLUDED.authorization_header,
       collections = EXCLUDED.collections, ops = EXCLUDED.ops, configured = true`,
    [ctx.tenant, client, target.url, target.authorization, target.collections, target.ops, newWebhookSecret()],
  );
}

/** Hooks on `context/configs` that keep webhook endpoints in step with CQRS configs. */
export function cqrsConfigHooks(registry: CollectionRegistry): CollectionHooks {
  return {
    afterCreate: async (ctx, doc) => syncEndpoint(ctx, registry, doc, true),
    afterUpdate: async (ctx, docs) => {
      for (const doc of docs) await syncEndpoint(ctx, registry, doc, doc.deleted_at == null);
    },
    afterDelete: async (ctx, doc) => syncEndpoint(ctx, registry, doc, false),
    beforeRestore: async (ctx, doc) => syncEndpoint(ctx, registry, doc, true),
  };
}
