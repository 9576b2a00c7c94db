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

test('a subject is listened on while it has subscribers: one leaving keeps the others, a later one listens again', { timeout: 30_000, skip: !process.env.DATABASE_URL && 'DATABASE_URL is not set' }, async () => {
  const a = await PgNotifyBus.open(process.env.DATABASE_URL!);
  const b = await PgNotifyBus.open(process.env.DATABASE_URL!);
  // LISTEN runs in the background: publish until the message is heard (the test's timeout bounds it).
  const until = async (heard: () => boolean) => {
    for (let n = 0; !heard(); n++) {
      await a.publish(subject, n);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const subject = `stratum-test.${Math.random().toString(16).slice(2)}`;
  try {
    const seen = { one: 0, two: 0, three: 0 };
    const one = b.subscribe(subject, () => seen.one++);
    const two = b.subscribe(subject, () => seen.two++);
    await until(() => seen.one > 0 && seen.two > 0);
    one();
    const before = seen.two;
    await until(() => seen.two > before);
    two();
    const three = b.subscribe(subject, () => seen.three++);
    await until(() => seen.three > 0);
    three();
  } finally {
    await a.close();
    await b.close();
  }
});
