/** A JSON Schema fragment; only what the engine needs to read is typed. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  [keyword: string]: unknown;
}

export interface IndexDefinition {
  /** Field → direction. Fields are core columns or top-level fields declared in the schema. */
  fields: Record<string, 1 | -1>;
  unique?: boolean;
  /** A unique key where a missing field counts as one value (one tenant-wide config per key). */
  nullsEqual?: boolean;
}

/** A collection is data: the engine serves every collection from this description alone. */
export interface CollectionDefinition {
  service: string;
  name: string;
  description: string;
  /** JSON Schema of the collection's own fields (the core fields are added by the engine). */
  schema: { type: 'object'; properties: Record<string, JsonSchema>; required?: string[]; additionalProperties?: boolean };
  indexes?: IndexDefinition[];
  /** Accepted on write, never returned, never in events. */
  writeOnly?: string[];
  /** Fields only the platform writes (token hashes, refresh state): refused in bodies, never returned. */
  internal?: string[];
  /** Write-only fields stored as a one-way hash, never as the value sent. */
  hashed?: string[];
  /** Field → `service/collection` it references, for `populate`. */
  references?: Record<string, string>;
}

const NAME = /^[a-z][a-z0-9_]{0,29}$/;

export function validateDefinition(def: CollectionDefinition): void {
  if (!NAME.test(def.service)) throw new Error(`invalid service name ${JSON.stringify(def.service)}`);
  if (!NAME.test(def.name)) throw new Error(`invalid collection name ${JSON.stringify(def.name)}`);
  for (const index of def.indexes ?? []) {
    for (const field of Object.keys(index.fields)) {
      if (!(field in def.schema.properties) && !INDEXABLE_CORE.has(field)) {
        throw new Error(`${def.service}/${def.name}: index field ${field} is not declared`);
      }
    }
  }
}

/** Core fields stored as real columns (DESIGN 4.3). */
export const COLUMN_FIELDS = new Set(['id', 'ref', 'owner', 'shares', 'groups', 'clients', 'created_at', 'deleted_at', 'version']);
const INDEXABLE_CORE = new Set(['id', 'ref', 'owner', 'created_at', 'version']);

export function pathOf(def: Pick<CollectionDefinition, 'service' | 'name'>): string {
  return `${def.service}/${def.name}`;
}

export function tableOf(def: Pick<CollectionDefinition, 'service' | 'name'>): string {
  return `c_${def.service}_${def.name}`;
}
