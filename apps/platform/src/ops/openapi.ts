import { OPERATION_SCOPE, type CollectionOperation } from '@stratum/contracts';
import type { CollectionRegistry, RegisteredCollection } from '@stratum/core';

interface RouteSpec {
  operation: CollectionOperation;
  method: 'get' | 'post' | 'patch' | 'delete' | 'put';
  suffix: string;
  summary: string;
}

/** The 11 routes every collection serves (DESIGN 5.1), the single source for OpenAPI and /discover. */
export const COLLECTION_ROUTES: RouteSpec[] = [
  { operation: 'count', method: 'get', suffix: '/count', summary: 'Count matching documents' },
  { operation: 'create', method: 'post', suffix: '', summary: 'Create a document' },
  { operation: 'createBulk', method: 'post', suffix: '/bulk', summary: 'Create many documents' },
  { operation: 'find', method: 'get', suffix: '', summary: 'Find documents' },
  { operation: 'cursor', method: 'get', suffix: '/cursor', summary: 'Stream matching documents (server-sent events)' },
  { operation: 'findById', method: 'get', suffix: '/{id}', summary: 'Get a document by id' },
  { operation: 'updateById', method: 'patch', suffix: '/{id}', summary: 'Update a document' },
  { operation: 'updateBulk', method: 'patch', suffix: '/bulk', summary: 'Update every matching document' },
  { operation: 'deleteById', method: 'delete', suffix: '/{id}', summary: 'Soft-delete a document' },
  { operation: 'restoreById', method: 'put', suffix: '/{id}/restore', summary: 'Restore a soft-deleted document' },
  { operation: 'destroyById', method: 'delete', suffix: '/{id}/destroy', summary: 'Delete a document for good' },
];

const READ_PARAMS = [
  { name: 'query', in: 'query', description: 'Mongo filter as JSON, or qs brackets: query[status]=A', schema: { type: 'string' } },
  { name: 'projection', in: 'query', schema: { type: 'string' } },
  { name: 'populate', in: 'query', schema: { type: 'string' } },
  { name: 'pagination', in: 'query', description: 'JSON {limit, skip, sort, after}', schema: { type: 'string' } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
  { name: 'skip', in: 'query', schema: { type: 'integer', minimum: 0 } },
  { name: 'sort', in: 'query', description: 'e.g. -created_at,name or {"created_at":-1}', schema: { type: 'string' } },
  { name: 'after', in: 'query', description: 'keyset cursor: id of the last document of the previous page', schema: { type: 'string' } },
  { name: 'ref', in: 'query', schema: { type: 'string' } },
];

function schemaName(reg: RegisteredCollection): string {
  return `${reg.def.service}_${reg.def.name}`;
}

function responseFor(op: CollectionOperation, ref: { $ref: string }) {
  if (op === 'count' || op === 'updateBulk') return { type: 'object', properties: { total: { type: 'integer' } } };
  if (op === 'find' || op === 'createBulk') return { type: 'object', properties: { items: { type: 'array', items: ref } } };
  return { type: 'object', properties: { data: ref } };
}

function operationFor(reg: RegisteredCollection, route: RouteSpec) {
  const ref = { $ref: `#/components/schemas/${schemaName(reg)}` };
  const scope = `${OPERATION_SCOPE[route.operation]}:${reg.def.service}:${reg.def.name}`;
  const op: Record<string, unknown> = {
    operationId: `${reg.def.service}.${reg.def.name}.${route.operation}`,
    summary: route.summary,
    tags: [reg.path],
    description: `Requires scope \`${scope}\`.`,
    parameters: [
      ...(route.suffix.includes('{id}') ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{24}$' } }] : []),
      ...(route.method === 'get' || route.operation === 'updateBulk' ? READ_PARAMS : []),
    ],
    responses: {
      [route.method === 'post' ? '201' : '200']: {
        description: 'OK',
        content: { [route.operation === 'cursor' ? 'text/event-stream' : 'application/json']: { schema: responseFor(route.operation, ref) } },
      },
      default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
  if (route.operation === 'create' || route.operation === 'updateById' || route.operation === 'updateBulk') {
    op.requestBody = { required: true, content: { 'application/json': { schema: ref } } };
  }
  if (route.operation === 'createBulk') {
    op.requestBody = { required: true, content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: ref } } } } } };
  }
  return op;
}

/** OpenAPI 3.1 document generated from the registry: every collection's routes and schema. */
export function buildOpenApi(registry: CollectionRegistry, serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['statusCode', 'message', 'error', 'code', 'request_id'],
      properties: {
        statusCode: { type: 'integer' }, message: { type: 'string' }, error: { type: 'string' }, code: { type: 'string' },
        request_id: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  };
  for (const reg of registry.list()) {
    const own = Object.fromEntries(Object.entries(reg.def.schema.properties)
      .map(([field, schema]) => [field, reg.writeOnly.has(field) ? { ...schema, writeOnly: true } : schema]));
    schemas[schemaName(reg)] = { type: 'object', description: reg.def.description, properties: own, required: reg.def.schema.required };
    for (const route of COLLECTION_ROUTES) {
      const path = `/${reg.path}${route.suffix}`;
      (paths[path] ??= {})[route.method] = operationFor(reg, route);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Stratum platform API', version: '0.1.0' },
    servers: [{ url: serverUrl }],
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
