import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { DEV_CLIENT_ID } from '../auth/authenticator.js';
import { json, unique, usePlatform } from '../testing/http-harness.js';
import { WEBHOOK_TEST_ENV } from '../testing/webhook-env.js';
import { WebhookReceiver } from '../testing/webhook-receiver.js';

for (const shape of storeShapes()) {
  // A root domain of the suite's own: on a shared PostgreSQL the developer's client is per tenant.
  const env = { ...WEBHOOK_TEST_ENV, STRATUM_ROOT_DOMAIN: `${unique('dev')}.test` };
  describe(`the local developer's webhook (AUTH_PROVIDER=none) on ${shape.name}`, () => {
    // The second node starts on the same database after the first one made the client.
    const h = usePlatform(shape, { second: env }, env);
    const receiver = new WebhookReceiver();
    before(() => receiver.start());
    after(() => receiver.stop());

    test('the developer\'s client is a real client of the root tenant, made once', async () => {
      const client = await h.fetch(`/domain/clients/${DEV_CLIENT_ID}`);
      const body = await client.json() as { data: Record<string, unknown> };
      assert.equal(client.status, 200, JSON.stringify(body));
      assert.equal(body.data.name, 'local developer');
      assert.equal(body.data.status, 'active');
      const listed = await h.fetch(`/domain/clients?query[name]=${encodeURIComponent('local developer')}`);
      const items = (await listed.json() as { items: { id: string }[] }).items;
      assert.deepEqual(items.map((c) => c.id), [DEV_CLIENT_ID], 'two starts, one client');
    });

    test('a CQRS config naming the developer\'s client registers a webhook that gets the developer\'s writes', async () => {
      const config = await h.fetch('/context/configs', json({
        eid: DEV_CLIENT_ID, key: 'CQRS', value: { webhook: receiver.url, authorization: 'Bearer local-dev', collections: ['special/stats'] },
      }, { method: 'POST' }));
      assert.equal(config.status, 201, await config.text());
      const secret = await h.fetch(`/events/webhooks/${DEV_CLIENT_ID}/secret`);
      receiver.secrets = [(await secret.json() as { data: { secret: string } }).data.secret];
      const created = await h.fetch('/special/stats', json({ key: 'local-dev', value: 1 }, { method: 'POST' }));
      const id = (await created.json() as { data: { id: string } }).data.id;
      const got = await receiver.until((list) => list.some((r) => r.body.id === id));
      const delivery = got.find((r) => r.body.id === id)!;
      assert.equal(delivery.verified, true);
      assert.equal(delivery.headers.authorization, 'Bearer local-dev');
      assert.equal(delivery.headers['stratum-tenant'], env.STRATUM_ROOT_DOMAIN);
    });
  });
}
