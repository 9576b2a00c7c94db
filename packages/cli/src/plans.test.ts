import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cliFails, cliJson, cliShapes, runCli } from './testing.js';

interface PlanOut {
  tenant: string;
  requests_per_month: number | null;
  documents: number | null;
  rate_per_second: number | null;
  updated_at: string | null;
  updated_by: string | null;
}

describe('stratum tenant plan', { concurrency: true }, () => {
  for (const shape of cliShapes()) {
    describe(`stratum tenant plan on ${shape.name}`, { concurrency: false }, () => {
      const env = shape.env;
      const slug = shape.unique('planned');
      const domain = `${slug}.test`;
      after(() => shape.dispose());

      test('a tenant has no plan until the operator sets one; a change keeps the limits it does not name', async () => {
        await cliJson(['tenant', 'create', domain, '--slug', slug], env);
        const none = await cliJson<PlanOut>(['tenant', 'plan', domain], env);
        assert.deepEqual(none, { tenant: domain, requests_per_month: null, documents: null, rate_per_second: null, updated_at: null, updated_by: null });
        const result = await runCli(['tenant', 'plan', slug, '--requests-per-month', '100000', '--documents', '500'], env);
        assert.equal(result.code, 0, result.stderr);
        const set = JSON.parse(result.stdout) as PlanOut;
        assert.deepEqual([set.tenant, set.requests_per_month, set.documents, set.rate_per_second, set.updated_by], [domain, 100000, 500, null, 'stratum-cli']);
        assert.match(result.stderr, /running nodes apply the new plan within USAGE_SYNC_SECONDS/);
        const changed = await cliJson<PlanOut>(['tenant', 'plan', domain, '--documents', 'unlimited', '--rate', '20'], env);
        assert.deepEqual([changed.requests_per_month, changed.documents, changed.rate_per_second], [100000, null, 20]);
        assert.deepEqual(await cliJson<PlanOut>(['tenant', 'plan', domain], env), changed);
      });

      test('an unknown tenant fails with exit code 1', async () => {
        await cliFails(['tenant', 'plan', `${shape.unique('nobody')}.test`, '--documents', '5'], env, 1, /there is no tenant/);
      });
    });
  }
});
