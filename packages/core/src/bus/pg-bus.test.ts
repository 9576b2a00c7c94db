import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgNotifyBus } from './pg-bus.js';

test('over PostgreSQL LISTEN/NOTIFY a notification published on one node reaches another', { skip: !process.env.DATABASE_URL && 'DATABASE_URL is not set' }, async () => {
  const a = await PgNotifyBus.open(process.env.DATABASE_URL!);
  const b = await PgNotifyBus.open(process.env.DATABASE_URL!);
  try {
    const subject = `stratum-test.${Math.random().toString(16).slice(2)}`;
    const received = new Promise((resolve) => b.subscribe(subject, resolve));
    await new Promise((r) => setTimeout(r, 100));
    await a.publish(subject, { keys: ['t:1'] });
    assert.deepEqual(await received, { keys: ['t:1'] });
    await assert.rejects(a.publish(subject, { big: 'x'.repeat(9000) }), /larger than NOTIFY allows/);
  } finally {
    await a.close();
    await b.close();
  }
});
