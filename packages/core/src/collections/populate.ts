import { ErrorCode, type PopulateSpec } from '@stratum/contracts';
import type { RequestContext } from '../context.js';
import { DomainError } from '../errors.js';
import { isId } from '../ids.js';
import type { SqlExecutor } from '../store/types.js';
import { quoteIdent } from './ddl.js';
import { present, type Doc } from './documents.js';
import type { CollectionRegistry, RegisteredCollection } from './registry.js';
import { andRows, limitReadable, UNRESTRICTED, type AccessScope } from '../access/access-scope.js';
import { SqlParams } from '../query/params.js';

/** Replaces reference ids by the referenced documents of the same tenant, one query per path. */
export async function populate(
  db: SqlExecutor,
  registry: CollectionRegistry,
  ctx: RequestContext,
  reg: RegisteredCollection,
  docs: Record<string, unknown>[],
  specs: PopulateSpec[],
): Promise<Record<string, unknown>[]> {
  for (const spec of specs) {
    const targetPath = reg.def.references?.[spec.path];
    const target = targetPath ? registry.byPath(targetPath) : undefined;
    if (!target) {
      throw new DomainError(ErrorCode.INVALID_QUERY, `cannot populate ${spec.path}: it is not a reference of ${reg.path}`);
    }
    const ids = new Set<string>();
    for (const doc of docs) {
      const value = doc[spec.path];
      for (const id of Array.isArray(value) ? value : [value]) if (isId(id)) ids.add(id);
    }
    if (ids.size === 0) continue;
    // A populated document is read like any other: within the caller's grants, or dropped.
    const access = await populateAccess(ctx, target, db);
    const params = new SqlParams();
    params.add(ctx.tenant);
    params.add([...ids]);
    const restriction = andRows(access?.rows, params);
    const rows = access === null ? { rows: [] } : await db.query<{ doc: Doc }>(
      `SELECT doc FROM ${quoteIdent(target.table)} WHERE tenant_id = $1 AND id = ANY($2::text[]) AND deleted_at IS NULL${restriction}`,
      params.values,
    );
    const projection = spec.select ? Object.fromEntries(spec.select.map((f) => [f, 1 as const])) : undefined;
    const byId = new Map(rows.rows.map((r) => [r.doc.id, limitReadable(access ?? UNRESTRICTED, r.doc, present(target, r.doc, projection))]));
    for (const doc of docs) {
      // A reference the caller may not read on this document (a field rule cut it) stays absent.
      if (!(spec.path in doc)) continue;
      const value = doc[spec.path];
      doc[spec.path] = Array.isArray(value)
        ? value.map((id) => byId.get(id as string)).filter((d) => d !== undefined)
        : (byId.get(value as string) ?? null);
    }
  }
  return docs;
}

/** The caller's read access to a populated collection; null when no grant allows reading it. */
async function populateAccess(ctx: RequestContext, target: RegisteredCollection, db: SqlExecutor): Promise<AccessScope | null> {
  if (!ctx.access) return UNRESTRICTED;
  try {
    return await ctx.access.resolve(target.def.service, target.def.name, 'read', db);
  } catch (error) {
    if (error instanceof DomainError && error.code === ErrorCode.FORBIDDEN) return null;
    throw error;
  }
}
