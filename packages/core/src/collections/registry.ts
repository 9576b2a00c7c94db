import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '../errors.js';
import { collectionDdl } from './ddl.js';
import { pathOf, tableOf, validateDefinition, type CollectionDefinition } from './definition.js';
import { createAjv, createBodyValidator, type BodyValidator } from './validation.js';
import type { SqlExecutor } from '../store/types.js';

export type ScalarType = 'string' | 'number';

/** A definition with everything the engine derives from it, computed once. */
export interface RegisteredCollection {
  readonly def: CollectionDefinition;
  readonly path: string;
  readonly table: string;
  readonly body: BodyValidator;
  readonly writeOnly: ReadonlySet<string>;
  readonly hashed: ReadonlySet<string>;
  /** Top-level fields the schema guarantees to be scalars of one type: the compiler may use `doc->>`. */
  readonly scalarFields: ReadonlyMap<string, ScalarType>;
}

/** Reserved first path segments: they are platform routes, never services. */
const RESERVED_SERVICES = new Set(['api', 'status', 'metrics', 'discover', 'monitoring', 'events', 'me', 'config', 'well-known', 'usage', 'tenants']);

export class CollectionRegistry {
  private readonly collections = new Map<string, RegisteredCollection>();
  private readonly ajv = createAjv();

  constructor(definitions: CollectionDefinition[] = []) {
    for (const def of definitions) this.register(def);
  }

  register(def: CollectionDefinition): RegisteredCollection {
    validateDefinition(def);
    if (RESERVED_SERVICES.has(def.service)) throw new Error(`service name ${def.service} is reserved`);
    const path = pathOf(def);
    if (this.collections.has(path)) throw new Error(`collection ${path} is already registered`);
    const scalarFields = new Map<string, ScalarType>();
    for (const [field, schema] of Object.entries(def.schema.properties)) {
      if (schema.type === 'string') scalarFields.set(field, 'string');
      if (schema.type === 'number' || schema.type === 'integer') scalarFields.set(field, 'number');
    }
    const registered: RegisteredCollection = {
      def,
      path,
      table: tableOf(def),
      body: createBodyValidator(this.ajv, def),
      writeOnly: new Set([...(def.writeOnly ?? []), ...(def.internal ?? [])]),
      hashed: new Set(def.hashed ?? []),
      scalarFields,
    };
    this.collections.set(path, registered);
    return registered;
  }

  /** Registers a collection and creates its table if missing (runtime-declared collections, tests). */
  async registerAndCreate(db: SqlExecutor, def: CollectionDefinition): Promise<RegisteredCollection> {
    const registered = this.register(def);
    await db.exec(collectionDdl(def));
    return registered;
  }

  find(service: string, name: string): RegisteredCollection | undefined {
    return this.collections.get(`${service}/${name}`);
  }

  get(service: string, name: string): RegisteredCollection {
    const found = this.find(service, name);
    if (!found) throw new DomainError(ErrorCode.ROUTE_NOT_FOUND, `There is no collection ${service}/${name}`);
    return found;
  }

  byPath(path: string): RegisteredCollection | undefined {
    return this.collections.get(path);
  }

  list(): RegisteredCollection[] {
    return [...this.collections.values()];
  }
}
