/**
 * Differential tests of the Mongo filter → SQL compiler (DESIGN 4.3): generated documents and
 * filters, the engine's answer against mingo's, on every store shape. The seed is printed in
 * every failure; `STRATUM_TEST_SEED=<n>` replays a run. What is not generated, and why, is in
 * testing-filters.ts; those cases are checked against MongoDB's answers (testing-mongo-cases.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storeShapes } from '../testing/stores.js';
import {
  coreCheck, familyCheck, fuzzCheck, hostileCheck, keysetCheck, mongoCheck, refusalCheck, sortCheck, typedCheck,
  type Check, type Data,
} from './testing-checks.js';
import { makeDocument, makeTypedDocument } from './testing-documents.js';
import { FAMILIES } from './testing-families.js';
import { insertAll, openFixture, removeTenantRows, report } from './testing-harness.js';
import { hostileDocuments } from './testing-hostile.js';
import { createRng, testSeed } from './testing-random.js';

const SEED = testSeed();
const DOCUMENTS = 1000;
const TYPED_DOCUMENTS = 400;
const PER_FAMILY = 100;

const CHECKS: [string, Check][] = [
  ...Object.keys(FAMILIES).map((name): [string, Check] => [`${name}: the engine selects exactly what mingo selects`, familyCheck(name)]),
  ['core fields (columns and stamped fields) agree with mingo', coreCheck],
  ['schema-typed fields (fast paths) agree with mingo', typedCheck],
  ['where mingo deviates from MongoDB, the engine answers as MongoDB does', mongoCheck],
  ['refused constructs are a 400 with the expected code, never a database error', refusalCheck],
  ['random regex syntax: mingo\'s answer or a 400, never a database error', fuzzCheck],
  ['hostile field names, values and sort paths: mingo\'s answer or a 4xx, and the tables survive', hostileCheck],
  ['sorts on scalar fields give mingo\'s order (ties by id ascending)', sortCheck],
  ['keyset pages (after) walk the same sequence as one big page', keysetCheck],
];

for (const shape of storeShapes()) {
  describe(`filter compiler vs mingo on ${shape.name} (seed ${SEED})`, () => {
    let data: Data | undefined;

    before(async () => {
      const fx = await openFixture(shape, SEED);
      const r = createRng(SEED);
      const bodies = [...Array.from({ length: DOCUMENTS }, (_, i) => makeDocument(r, i)), ...hostileDocuments()];
      const docs = await insertAll(fx, fx.free, bodies);
      const typedDocs = await insertAll(fx, fx.typed, Array.from({ length: TYPED_DOCUMENTS }, (_, i) => makeTypedDocument(r, i)));
      data = { fx, docs, typedDocs, perFamily: PER_FAMILY };
    });

    after(async () => {
      if (!data) return;
      await removeTenantRows(data.fx);
      await data.fx.store.close();
    });

    for (const [name, check] of CHECKS) {
      test(name, async () => {
        assert.ok(data, 'the fixture did not open');
        const { failures, total } = await check(data);
        assert.equal(failures.length, 0, report(failures, total));
      });
    }
  });
}
