import { COMPUTED_FIELDS, ErrorCode } from '@stratum/contracts';
import type { ValidateFunction } from 'ajv';
import type { Bus } from '../bus/bus.js';
import type { TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { SqlExecutor } from '../store/types.js';
import type { CollectionHooks } from './hooks.js';
import type { CollectionRegistry } from './registry.js';
import { TenantCache } from './tenant-cache.js';
import { createAjv, errorDetails } from './validation.js';

const SCHEMAS_CHANGED = 'stratum-internal.schemas.changed';
// What the platform adds to every document: a tenant's schema describes the fields it writes.
const PLATFORM_FIELDS = new Set<string>([...COMPUTED_FIELDS, 'owner', 'shares', 'groups', 'clients']);

/** The fields of a document a tenant's schema speaks about. */
function ownFields(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => !PLATFORM_FIELDS.has(key)));
}

/**
 * Per-tenant JSON Schema validation (DESIGN 6.4, Wenex's AJV configs): a `context/configs`
 * document whose key is a collection path (`career/businesses`) holds a schema that every
 * document written to that collection in the tenant must satisfy, on top of the collection's
 * own. Schemas are compiled once and kept until a config of the tenant changes (on every node,
 * over the bus). Failures are 422 with the failing paths.
 */
export class TenantSchemas {
  private readonly cache: TenantCache<ValidateFunction | null>;

  constructor(db: SqlExecutor, private readonly registry: CollectionRegistry, bus: Bus, cached: boolean) {
    this.cache = new TenantCache(db, bus, SCHEMAS_CHANGED, cached);
  }

  private validator(tenant: TenantId, path: string, db: SqlExecutor): Promise<ValidateFunction | null> {
    return this.cache.get(tenant, path, async (conn) => {
      const found = await conn.query<{ value: unknown }>(
        `SELECT doc->'value' AS value FROM c_context_configs WHERE tenant_id = $1 AND deleted_at IS NULL AND doc->>'key' = $2 AND NOT (doc ? 'eid')`,
        [tenant, path]);
      const schema = found.rows[0]?.value;
      return schema === undefined ? null : this.compile(schema);
    }, db);
  }

  /** A fresh Ajv each time: compiles are rare (a config change), and Ajv keeps every schema it compiled. */
  private compile(schema: unknown): ValidateFunction {
    try {
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error('a schema is a JSON object');
      const { $id: _ignored, ...rest } = schema as Record<string, unknown>;
      return createAjv().compile(rest);
    } catch (error) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `the schema is not valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, [{ path: 'value', message: 'invalid schema' }]);
    }
  }

  /** Checks documents as they will be stored against the tenant's schema for the collection, if any. */
  async check(db: SqlExecutor, tenant: TenantId, path: string, docs: Record<string, unknown>[]): Promise<void> {
    const validate = await this.validator(tenant, path, db);
    if (!validate) return;
    for (const doc of docs) {
      if (!validate(ownFields(doc))) {
        throw new DomainError(ErrorCode.VALIDATION_FAILED, `the document does not match this tenant's schema for ${path}`, errorDetails(validate.errors));
      }
    }
  }

  /** On `context/configs`: a schema config must compile; any config change drops the tenant's schemas. */
  hooks(): CollectionHooks {
    return this.cache.hooks((doc) => {
      if (typeof doc.key === 'string' && this.registry.byPath(doc.key) && doc.eid === undefined && doc.deleted_at == null) this.compile(doc.value);
    });
  }
}
