import type { Filter } from '@stratum/contracts';
import { testContext } from '../testing/stores.js';
import { FAMILIES } from './testing-families.js';
import { Pools, type Gen } from './testing-filters.js';
import { checkFilters, checkLenient, describeError, readOptions, type Doc, type Fixture } from './testing-harness.js';
import { HOSTILE_SORTS, hostileKeyFilters, hostileValueFilters, unstorableValueFilters } from './testing-hostile.js';
import { MONGO_CASES, MONGO_DOCS } from './testing-mongo-cases.js';
import { createRng } from './testing-random.js';
import { fuzzRegex, REGEX_OPTIONS } from './testing-regex.js';
import { AT_THE_LIMITS, REFUSALS } from './testing-refusals.js';
import { checkHostileSorts, checkKeyset, checkSorts, coreFilters, typedFilters } from './testing-suites.js';

/** What one differential test needs: the fixture, the documents as created, and sizes. */
export interface Data {
  fx: Fixture;
  docs: Doc[];
  typedDocs: Doc[];
  perFamily: number;
}

export interface Outcome {
  failures: string[];
  total: number;
}

export type Check = (data: Data) => Promise<Outcome>;

/** A stream of its own per check, so that adding a check does not change the others' cases. */
export function gen(seed: number, name: string, docs: readonly Doc[]): Gen {
  let h = seed;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return { r: createRng(h), pools: new Pools(docs) };
}

/** The filter for a message: JSON.stringify itself overflows the stack on the deepest ones. */
function show(filter: Filter): string {
  try {
    return JSON.stringify(filter).slice(0, 300);
  } catch {
    return '(a filter too deep to print)';
  }
}

async function outcome(filters: Filter[], run: (filters: Filter[]) => Promise<string[]>): Promise<Outcome> {
  return { failures: await run(filters), total: filters.length };
}

export const familyCheck = (name: string): Check => ({ fx, docs, perFamily }) => {
  const g = gen(fx.seed, name, docs);
  const filters = Array.from({ length: perFamily }, () => FAMILIES[name](g));
  return outcome(filters, (f) => checkFilters(fx, fx.free, docs, f));
};

export const coreCheck: Check = ({ fx, docs }) => outcome(coreFilters(gen(fx.seed, 'core', docs), docs), (f) => checkFilters(fx, fx.free, docs, f));

export const typedCheck: Check = ({ fx, typedDocs }) =>
  outcome(typedFilters(gen(fx.seed, 'typed', typedDocs)), (f) => checkFilters(fx, fx.typed, typedDocs, f));

/** The fixed MongoDB cases, on their own documents in a tenant of their own. */
export const mongoCheck: Check = async ({ fx }) => {
  const ctx = testContext();
  const created = await fx.engine.createBulk(ctx, fx.free, MONGO_DOCS);
  const failures: string[] = [];
  try {
    for (const { filter, matches } of MONGO_CASES) {
      const found = await fx.engine.find(ctx, fx.free, readOptions(filter));
      const indexes = found.map((d) => created.findIndex((c) => c.id === d.id)).sort((a, b) => a - b);
      if (indexes.join() !== matches.join()) failures.push(`shape=${fx.shape} filter=${show(filter)}: MongoDB matches [${matches}], the engine [${indexes}]`);
    }
  } finally {
    await fx.store.query(`DELETE FROM "${fx.free.table}" WHERE tenant_id = $1`, [ctx.tenant]);
  }
  return { failures, total: MONGO_CASES.length };
};

async function refusedAs(fx: Fixture, filter: Filter, code: string, mentions?: string): Promise<string | undefined> {
  const where = `shape=${fx.shape} filter=${show(filter)}`;
  for (const run of [() => fx.engine.find(fx.ctx, fx.free, readOptions(filter)), () => fx.engine.count(fx.ctx, fx.free, { filter })]) {
    const error = await run().then(() => undefined, (e: unknown) => e);
    if (!error) return `${where}: expected ${code}, got a result`;
    const { text } = describeError(error);
    const got = error as { code?: string; status?: number };
    if (got.code !== code || got.status !== 400) return `${where}: expected ${code} (400), got ${text}`;
    if (mentions && !text.includes(mentions)) return `${where}: the message should name ${mentions}: ${text}`;
  }
  return undefined;
}

/** Every refusal is a 400 with its code; filters right at the limits still work. */
export const refusalCheck: Check = async ({ fx, docs }) => {
  const failures: string[] = [];
  for (const { filter, code, mentions } of REFUSALS) {
    const failure = await refusedAs(fx, filter, code, mentions);
    if (failure) failures.push(failure);
  }
  failures.push(...await checkFilters(fx, fx.free, docs, AT_THE_LIMITS));
  return { failures, total: REFUSALS.length + AT_THE_LIMITS.length };
};

export const fuzzCheck: Check = async ({ fx, docs }) => {
  const { r } = gen(fx.seed, 'fuzz', docs);
  const filters = Array.from({ length: 250 }, (): Filter => {
    const options = r.pick(REGEX_OPTIONS);
    return { [r.pick(['name', 'vals', 'items.k'])]: options ? { $regex: fuzzRegex(r), $options: options } : { $regex: fuzzRegex(r) } };
  });
  return { failures: (await checkLenient(fx, fx.free, docs, filters)).failures, total: filters.length };
};

/** Injection attempts: mingo's answer or a 4xx, and afterwards both tables hold every row. */
export const hostileCheck: Check = async ({ fx, docs, typedDocs }) => {
  const failures: string[] = [];
  const legal = [...hostileKeyFilters(), ...hostileValueFilters('h')];
  const typed = hostileValueFilters('name');
  failures.push(...await checkFilters(fx, fx.free, docs, legal));
  failures.push(...await checkFilters(fx, fx.typed, typedDocs, typed));
  failures.push(...(await checkLenient(fx, fx.free, docs, unstorableValueFilters('h'))).failures);
  failures.push(...(await checkLenient(fx, fx.typed, typedDocs, unstorableValueFilters('name'))).failures);
  await checkHostileSorts(fx, docs, failures);
  for (const [reg, rows] of [[fx.free, docs.length], [fx.typed, typedDocs.length]] as const) {
    const exists = await fx.store.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [reg.table]);
    const count = exists.rows[0].t === reg.table ? await fx.engine.count(fx.ctx, reg, { filter: {} }) : -1;
    if (count !== rows) failures.push(`shape=${fx.shape}: ${reg.table} should still hold ${rows} rows of the tenant, found ${count}`);
  }
  return { failures, total: legal.length + typed.length + HOSTILE_SORTS.length };
};

export const sortCheck: Check = ({ fx, docs, typedDocs }) => checkSorts(fx, docs, typedDocs, gen(fx.seed, 'sort', docs));

export const keysetCheck: Check = ({ fx, docs }) => checkKeyset(fx, docs, gen(fx.seed, 'keyset', docs));
