import type { Filter, Sort } from '@stratum/contracts';
import { Query } from 'mingo';
import { CollectionEngine } from '../collections/engine.js';
import { CollectionRegistry, type RegisteredCollection } from '../collections/registry.js';
import type { RequestContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/types.js';
import { testContext, testLimits, type StoreShape } from '../testing/stores.js';
import type { ReadOptions } from './read-options.js';

export type Doc = Record<string, unknown>;

/** One store with the two collections of the differential tests, filled for one tenant. */
export interface Fixture {
  shape: string;
  seed: number;
  store: Store;
  engine: CollectionEngine;
  ctx: RequestContext;
  free: RegisteredCollection;
  typed: RegisteredCollection;
}

export async function openFixture(shape: StoreShape, seed: number): Promise<Fixture> {
  const store = await shape.open();
  const registry = new CollectionRegistry();
  const free = await registry.registerAndCreate(store, {
    service: 'test', name: 'things', description: 'Free-form documents of the differential query tests',
    schema: { type: 'object', properties: {}, additionalProperties: true },
  });
  const typed = await registry.registerAndCreate(store, {
    service: 'test', name: 'typed_things', description: 'Schema-typed documents of the differential query tests',
    schema: { type: 'object', properties: { name: { type: 'string' }, score: { type: 'number' } }, additionalProperties: true },
    indexes: [{ fields: { name: 1 } }, { fields: { score: -1 } }],
  });
  const engine = new CollectionEngine(store, registry, testLimits());
  return { shape: shape.name, seed, store, engine, ctx: testContext(), free, typed };
}

/** Inserts through the engine, 500 per bulk call; returns the documents as the engine made them. */
export async function insertAll(fx: Fixture, reg: RegisteredCollection, bodies: Doc[]): Promise<Doc[]> {
  const out: Doc[] = [];
  for (let i = 0; i < bodies.length; i += 500) out.push(...await fx.engine.createBulk(fx.ctx, reg, bodies.slice(i, i + 500)));
  return out;
}

export async function removeTenantRows(fx: Fixture): Promise<void> {
  for (const reg of [fx.free, fx.typed]) await fx.store.query(`DELETE FROM "${reg.table}" WHERE tenant_id = $1`, [fx.ctx.tenant]);
}

export function readOptions(filter: Filter, sort: Sort = {}, limit = 100_000, after?: string): ReadOptions {
  return { filter, sort, limit, skip: 0, populate: [], after };
}

export function mingoIds(docs: readonly Doc[], filter: Filter): string[] {
  const query = new Query(filter as Record<string, unknown>, { idKey: 'id' });
  return docs.filter((d) => query.test(d)).map((d) => d.id as string).sort();
}

/** mingo's order for a sort, with the engine's tiebreak (`id` ascending) appended. */
export function mingoSorted(docs: readonly Doc[], filter: Filter, sort: Sort): string[] {
  const spec = 'id' in sort ? sort : { ...sort, id: 1 };
  return new Query(filter as Record<string, unknown>, { idKey: 'id' }).find<Doc>(docs as Doc[]).sort(spec).all().map((d) => d.id as string);
}

/** What a request would have produced: a client error (4xx DomainError) or anything else. */
export function describeError(error: unknown): { clientError: boolean; text: string } {
  if (error instanceof DomainError) return { clientError: error.status >= 400 && error.status < 500, text: `${error.code} (${error.status}): ${error.message}` };
  const e = error as { code?: string; message?: string };
  return { clientError: false, text: `raw ${e?.constructor?.name ?? typeof error}${e?.code ? ` ${e.code}` : ''}: ${e?.message ?? String(error)}` };
}

/** Runs `task` over `items` with at most `width` in flight (the PostgreSQL pool has 5 connections). */
export async function eachLimited<T>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

function diff(expected: string[], actual: string[]): { missing: string[]; extra: string[] } {
  const want = new Set(expected);
  const got = new Set(actual);
  return { missing: expected.filter((id) => !got.has(id)), extra: actual.filter((id) => !want.has(id)) };
}

function showDocs(docs: readonly Doc[], ids: string[]): string {
  const byId = new Map(docs.map((d) => [d.id as string, d]));
  return ids.slice(0, 2).map((id) => {
    const { owner, shares, groups, clients, created_at, created_by, created_in, timestamp, version, ...rest } = byId.get(id) ?? {};
    return JSON.stringify(rest);
  }).join(' ');
}

/**
 * The engine's answer for one filter against mingo's, as a failure message or undefined: the
 * id sets of `find` and `count` must both equal mingo's exactly.
 */
export async function checkFilter(fx: Fixture, reg: RegisteredCollection, docs: readonly Doc[], filter: Filter): Promise<string | undefined> {
  const where = `shape=${fx.shape} seed=${fx.seed} collection=${reg.path} filter=${JSON.stringify(filter)}`;
  let expected: string[];
  try {
    expected = mingoIds(docs, filter);
  } catch (error) {
    return `${where}: mingo refused the filter (${(error as Error).message}); it does not belong in the differential cases`;
  }
  let found: string[];
  let total: number;
  try {
    found = (await fx.engine.find(fx.ctx, reg, readOptions(filter))).map((d) => d.id as string).sort();
    total = await fx.engine.count(fx.ctx, reg, { filter });
  } catch (error) {
    return `${where}: the engine threw ${describeError(error).text}`;
  }
  if (total !== found.length) return `${where}: count ${total} but find returned ${found.length}`;
  const { missing, extra } = diff(expected, found);
  if (missing.length === 0 && extra.length === 0) return undefined;
  return `${where}: mingo selects ${expected.length}, the engine ${found.length}; `
    + `missing ${missing.length} e.g. ${showDocs(docs, missing)}; extra ${extra.length} e.g. ${showDocs(docs, extra)}`;
}

/** Checks every filter and returns the failure messages. */
export async function checkFilters(fx: Fixture, reg: RegisteredCollection, docs: readonly Doc[], filters: readonly Filter[]): Promise<string[]> {
  const failures: string[] = [];
  await eachLimited(filters, fx.shape === 'postgres' ? 4 : 1, async (filter) => {
    const failure = await checkFilter(fx, reg, docs, filter);
    if (failure) failures.push(failure);
  });
  return failures;
}

export function report(failures: string[], total: number): string {
  return `${failures.length} of ${total} cases disagree (replay with STRATUM_TEST_SEED):\n${failures.slice(0, 8).join('\n')}`;
}

/**
 * For inputs where a refusal is acceptable: either mingo's answer or a 4xx DomainError; a
 * database error, or any other exception, is a failure.
 */
export async function checkLenient(fx: Fixture, reg: RegisteredCollection, docs: readonly Doc[], filters: readonly Filter[]): Promise<{ failures: string[]; refused: number }> {
  const failures: string[] = [];
  let refused = 0;
  for (const filter of filters) {
    const where = `shape=${fx.shape} seed=${fx.seed} collection=${reg.path} filter=${JSON.stringify(filter)}`;
    try {
      const found = (await fx.engine.find(fx.ctx, reg, readOptions(filter))).map((d) => d.id as string).sort();
      const expected = mingoIds(docs, filter);
      if (found.join() !== expected.join()) failures.push(`${where}: mingo selects ${expected.length}, the engine ${found.length}`);
    } catch (error) {
      const { clientError, text } = describeError(error);
      if (clientError) refused++;
      else failures.push(`${where}: ${text}`);
    }
  }
  return { failures, refused };
}
