import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { COMPUTED_FIELDS, ErrorCode, WRITABLE_CORE_FIELDS, type ErrorDetail } from '@stratum/contracts';
import { DomainError } from '../errors.js';
import { findUnstorableText } from '../storable.js';
import type { CollectionDefinition, JsonSchema } from './definition.js';

const addFormats = formatsModule as unknown as (ajv: Ajv) => Ajv;

const shortString: JsonSchema = { type: 'string', maxLength: 1024 };
const stringList: JsonSchema = { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 1000 };

/** Schemas of the core fields a client may write (DESIGN 4.2). */
const CORE_PROPERTIES: Record<(typeof WRITABLE_CORE_FIELDS)[number], JsonSchema> = {
  ref: { type: 'string', minLength: 1, maxLength: 256 },
  shares: stringList,
  groups: stringList,
  clients: stringList,
  description: { type: 'string', maxLength: 10000 },
  identity: shortString,
  relations: stringList,
  props: { type: 'object' },
  tags: stringList,
};

const COMPUTED = new Set<string>(COMPUTED_FIELDS);

export interface BodyValidator {
  /** Throws a 400 for unknown or computed fields and a 422 for schema failures. */
  create(body: unknown): Record<string, unknown>;
  /** Like create, without required fields; `null` removes a field unless it is required. */
  patch(body: unknown): { set: Record<string, unknown>; unset: string[] };
}

export function errorDetails(errors: ErrorObject[] | null | undefined): ErrorDetail[] {
  return (errors ?? []).map((e) => ({
    path: e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : String(e.params?.missingProperty ?? ''),
    message: e.message ?? 'is invalid',
  }));
}

export function assertPlainObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DomainError(ErrorCode.BAD_REQUEST, `${what} must be a JSON object`);
  }
}

/** PostgreSQL cannot store NUL or lone surrogates in JSON; refuse them up front with the path. */
export function assertNoNul(value: unknown): void {
  const found = findUnstorableText(value);
  if (found) {
    throw new DomainError(ErrorCode.BAD_REQUEST, `${found.path || 'the body'} ${found.reason}`, [{ path: found.path, message: found.reason }]);
  }
}

export function createBodyValidator(ajv: Ajv, def: CollectionDefinition): BodyValidator {
  const properties = { ...CORE_PROPERTIES, ...def.schema.properties };
  const required = def.schema.required ?? [];
  const open = def.schema.additionalProperties === true;
  const createFn: ValidateFunction = ajv.compile({ type: 'object', properties, required });
  const patchFn: ValidateFunction = ajv.compile({ type: 'object', properties });
  const path = `${def.service}/${def.name}`;
  const internal = new Set(def.internal ?? []);

  function checkFields(body: unknown): Record<string, unknown> {
    assertPlainObject(body, 'The body');
    for (const key of Object.keys(body)) {
      if (COMPUTED.has(key) || key === 'owner' || internal.has(key)) {
        throw new DomainError(ErrorCode.COMPUTED_FIELD, `${key} is set by the platform and cannot be written`, [{ path: key, message: 'is computed' }]);
      }
      if (key.startsWith('$') || key === '') {
        throw new DomainError(ErrorCode.UNKNOWN_FIELD, `field name ${JSON.stringify(key)} is not allowed`, [{ path: key, message: 'is not a field name' }]);
      }
      if (!open && !(key in properties)) {
        throw new DomainError(ErrorCode.UNKNOWN_FIELD, `${key} is not a field of ${path}`, [{ path: key, message: 'is not allowed' }]);
      }
    }
    assertNoNul(body);
    return body;
  }

  function validate(fn: ValidateFunction, body: Record<string, unknown>): void {
    if (!fn(body)) throw new DomainError(ErrorCode.VALIDATION_FAILED, `The body does not match the schema of ${path}`, errorDetails(fn.errors));
  }

  return {
    create(body) {
      const checked = checkFields(body);
      validate(createFn, checked);
      return checked;
    },
    patch(body) {
      const checked = checkFields(body);
      const set: Record<string, unknown> = {};
      const unset: string[] = [];
      for (const [key, value] of Object.entries(checked)) {
        if (value === null && !required.includes(key)) unset.push(key);
        else set[key] = value;
      }
      if (Object.keys(set).length === 0 && unset.length === 0) {
        throw new DomainError(ErrorCode.BAD_REQUEST, 'The body must change at least one field');
      }
      validate(patchFn, set);
      return { set, unset };
    },
  };
}

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}
