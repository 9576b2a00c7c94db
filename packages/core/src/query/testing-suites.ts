import type { Sort } from '@stratum/contracts';
import { randomNumber, randomString } from './testing-documents.js';
import { rangeCondition, regexCondition, valueFor, type Filter, type Gen } from './testing-filters.js';
import { describeError, mingoSorted, readOptions, type Doc, type Fixture } from './testing-harness.js';
import { HOSTILE_SORTS } from './testing-hostile.js';
import type { RegisteredCollection } from '../collections/registry.js';

const strings = (docs: readonly Doc[], field: string) => docs.map((d) => d[field]).filter((v): v is string => typeof v === 'string');

/** Filters on the core fields: real columns (`id`, `owner`, `ref`, `version`) and stamped ones. */
export function coreFilters(g: Gen, docs: readonly Doc[]): Filter[] {
  const { r } = g;
  const ids = strings(docs, 'id');
  const refs = strings(docs, 'ref');
  const created = strings(docs, 'created_at');
  const owner = docs[0].owner;
  const cid = (docs[0].clients as string[])[0];
  const fixed: Filter[] = [
    { version: 1 }, { version: 1.5 }, { version: '1' }, { version: { $gt: 0.5 } }, { version: { $gte: 1 } }, { version: { $lt: 1.5 } },
    { version: { $lte: 0.99 } }, { version: { $in: [1, 2] } }, { version: { $in: [1.25, 'x'] } }, { version: { $in: [0.5, 1.5] } },
    { version: { $ne: 1 } }, { version: { $nin: [2] } }, { version: { $type: 'number' } }, { version: { $mod: [2, 1] } },
    { owner }, { owner: { $ne: owner } }, { owner: { $gt: 'a' } }, { owner: null }, { owner: { $exists: true } }, { owner: { $in: [owner, 5] } },
    { clients: cid }, { clients: { $size: 1 } }, { shares: { $size: 0 } }, { shares: [] }, { groups: { $exists: true } },
    { id: { $gt: 'F' } }, { id: { $lt: 'G' } }, { id: 5 }, { id: null }, { id: { $type: 'string' } }, { ref: null }, { ref: { $ne: null } },
    { ref: 5 }, { ref: { $in: ['R1', 5, null] } }, { ref: { $type: 'string' } }, { ref: { $exists: false } }, { ref: { $lt: 'R5' } },
    { ref: { $regex: '^r1', $options: 'i' } }, { timestamp: { $type: 'number' } },
    {}, { $and: [{}] }, { $or: [{}, { n: 1 }] }, { $nor: [{}] }, { $nor: [{ nope: null }] }, { $and: [{ n: 1 }, { n: { $ne: 1 } }] },
  ];
  const sampled = Array.from({ length: 40 }, (): Filter => {
    const roll = r.next();
    if (roll < 0.15) return { id: r.pick(ids) };
    if (roll < 0.3) return { id: { [r.pick(['$in', '$nin'])]: r.sample(ids, 5) } };
    if (roll < 0.45) return { id: { [r.pick(['$gt', '$gte', '$lt', '$lte'])]: r.pick(ids) } };
    if (roll < 0.55) return { id: { $regex: `^${r.pick(ids).slice(0, r.int(8, 20))}` } };
    if (roll < 0.65) return { ref: r.chance(0.5) ? r.pick(refs) : { $in: r.sample(refs, 4) } };
    if (roll < 0.75) return { ref: { [r.pick(['$gt', '$gte', '$lt', '$lte'])]: r.pick(refs) } };
    if (roll < 0.85) return { created_at: { [r.pick(['$gt', '$gte', '$lt', '$lte', '$eq'])]: r.pick(created) } };
    return { timestamp: { [r.pick(['$gt', '$lte'])]: r.pick(docs).timestamp } };
  });
  return [...fixed, ...sampled];
}

/** Filters on the schema-typed collection: `name` (string) and `score` (number) take fast paths. */
export function typedFilters(g: Gen): Filter[] {
  const { r } = g;
  const value = (field: string): unknown => {
    const roll = r.next();
    if (roll < 0.6) return valueFor(g, field, true);
    if (roll < 0.8) return field === 'name' ? randomString(r) : randomNumber(r);
    return field === 'name' ? randomNumber(r) : randomString(r);
  };
  const one = (): Filter => {
    const field = r.pick(['name', 'score', 'name', 'score', 'other', 'ref']);
    const roll = r.next();
    if (roll < 0.2) return r.chance(0.5) ? { [field]: value(field) } : { [field]: { $eq: value(field) } };
    if (roll < 0.3) return { [field]: { $ne: value(field) } };
    if (roll < 0.45) return { [field]: { [r.pick(['$in', '$nin'])]: Array.from({ length: r.int(0, 5) }, () => value(field)) } };
    if (roll < 0.65) return { [field]: rangeCondition(g, field) };
    if (roll < 0.72) return { [field]: { $exists: r.chance(0.5) } };
    if (roll < 0.82) return { [field]: regexCondition(g) };
    if (roll < 0.9) return { [field]: { $type: r.pick(['string', 'number', 'null', 'bool']) } };
    return { [field]: { $not: rangeCondition(g, field) } };
  };
  return Array.from({ length: 300 }, () => (r.chance(0.2) ? { [r.pick(['$or', '$and', '$nor'])]: [one(), one()] } : one()));
}

async function compareOrder(fx: Fixture, reg: RegisteredCollection, docs: readonly Doc[], filter: Filter, sort: Sort): Promise<string | undefined> {
  const where = `shape=${fx.shape} seed=${fx.seed} collection=${reg.path} filter=${JSON.stringify(filter)} sort=${JSON.stringify(sort)}`;
  try {
    const got = (await fx.engine.find(fx.ctx, reg, readOptions(filter, sort))).map((d) => d.id as string);
    const want = mingoSorted(docs, filter, sort);
    const at = want.findIndex((id, i) => got[i] !== id);
    if (at === -1 && got.length === want.length) return undefined;
    const show = (id: string | undefined) => JSON.stringify(docs.find((d) => d.id === id)?.[Object.keys(sort)[0]]) ?? 'none';
    return `${where}: first difference at position ${at}: mingo has ${want[at]} (${show(want[at])}), the engine ${got[at]} (${show(got[at])})`;
  } catch (error) {
    return `${where}: the engine threw ${describeError(error).text}`;
  }
}

const FREE_SORTS = ['name', 'kind', 'n', 'f', 'flag', 'props.c', 'props.a.c', 'props.e.f.g', 'ref', 'version', 'created_at', 'owner', 'id', 'nope', 'h'];

export async function checkSorts(fx: Fixture, docs: readonly Doc[], typedDocs: readonly Doc[], g: Gen): Promise<{ failures: string[]; total: number }> {
  const failures: string[] = [];
  const filters: Filter[] = [{}, { kind: 'a' }, { n: { $gt: 0 } }, { name: { $type: 'string' } }];
  const runs: [RegisteredCollection, readonly Doc[], Sort, Filter][] = [];
  for (const field of FREE_SORTS) for (const dir of [1, -1] as const) runs.push([fx.free, docs, { [field]: dir }, g.r.pick(filters)]);
  for (const field of ['name', 'score', 'other', 'ref']) for (const dir of [1, -1] as const) runs.push([fx.typed, typedDocs, { [field]: dir }, {}]);
  for (let i = 0; i < 6; i++) runs.push([fx.free, docs, { [g.r.pick(FREE_SORTS)]: g.r.pick([1, -1]), [g.r.pick(FREE_SORTS)]: g.r.pick([1, -1]) } as Sort, {}]);
  runs.push([fx.typed, typedDocs, { score: -1, name: 1 }, {}]);
  for (const [reg, set, sort, filter] of runs) {
    const failure = await compareOrder(fx, reg, set, filter, sort);
    if (failure) failures.push(failure);
  }
  return { failures, total: runs.length };
}

export async function checkHostileSorts(fx: Fixture, docs: readonly Doc[], failures: string[]): Promise<void> {
  for (const sort of HOSTILE_SORTS) {
    // The documents holding the field, and a few without it (missing sorts first ascending).
    const filter = { $or: [{ [Object.keys(sort)[0]]: { $exists: true } }, { count: { $gt: 45 } }] };
    const failure = await compareOrder(fx, fx.free, docs, filter, sort as Sort);
    if (failure) failures.push(failure);
  }
  for (const field of ['$where', '', 'a..b', 'x\u0000y', '$natural', 'a.$b']) {
    const error = await fx.engine.find(fx.ctx, fx.free, readOptions({}, { [field]: 1 })).then(() => undefined, (e: unknown) => e);
    if (!error || !describeError(error).clientError) failures.push(`shape=${fx.shape} sort=${JSON.stringify(field)}: expected a 4xx, got ${error ? describeError(error).text : 'a result'}`);
  }
}

export async function checkKeyset(fx: Fixture, docs: readonly Doc[], g: Gen): Promise<{ failures: string[]; total: number }> {
  const failures: string[] = [];
  const sorts: Sort[] = [{ created_at: -1 }, { created_at: 1 }, { id: 1 }, { id: -1 }, { version: 1 }];
  for (const sort of sorts) {
    for (const filter of [{}, { kind: 'a' }, { n: { $gt: 0 } }] as Filter[]) {
      const where = `shape=${fx.shape} seed=${fx.seed} sort=${JSON.stringify(sort)} filter=${JSON.stringify(filter)}`;
      const all = (await fx.engine.find(fx.ctx, fx.free, readOptions(filter, sort))).map((d) => d.id as string);
      const want = mingoSorted(docs, filter, sort);
      if (all.join() !== want.join()) failures.push(`${where}: one big page differs from mingo's order`);
      const size = g.r.pick([1, 7, 37, 100, 250]);
      const walked: string[] = [];
      for (let after: string | undefined, pages = 0; pages < 5000; pages++) {
        const page = (await fx.engine.find(fx.ctx, fx.free, readOptions(filter, sort, size, after))).map((d) => d.id as string);
        walked.push(...page);
        if (page.length < size) break;
        after = page[page.length - 1];
        if (size === 1 && walked.length >= 60) break;
      }
      const prefix = all.slice(0, walked.length);
      if (walked.join() !== prefix.join() || (size > 1 && walked.length !== all.length)) {
        failures.push(`${where} page=${size}: pages walked with after give ${walked.length} ids, differing from one big page of ${all.length}`);
      }
    }
  }
  return { failures, total: sorts.length * 3 };
}
