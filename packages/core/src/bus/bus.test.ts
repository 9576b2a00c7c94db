import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessBus } from './bus.js';
import { NatsBus } from './nats-bus.js';

test('the in-process bus delivers to every subscriber until it unsubscribes', async () => {
  const bus = new InProcessBus();
  const seen: unknown[] = [];
  const off = bus.subscribe('s', (d) => seen.push(d));
  bus.subscribe('s', () => {
    throw new Error('a failing listener does not stop the others');
  });
  await bus.publish('s', 1);
  off();
  await bus.publish('s', 2);
  assert.deepEqual(seen, [1]);
});

test('over NATS a notification published on one node reaches another', { skip: !process.env.NATS_URL && 'NATS_URL is not set' }, async () => {
  const a = await NatsBus.open(process.env.NATS_URL!);
  const b = await NatsBus.open(process.env.NATS_URL!);
  try {
    const subject = `stratum-test.${Date.now()}.${Math.random().toString(16).slice(2)}`;
    const received = new Promise((resolve) => b.subscribe(subject, resolve));
    await new Promise((r) => setTimeout(r, 50));
    await a.publish(subject, { keys: ['t:1'] });
    assert.deepEqual(await received, { keys: ['t:1'] });
  } finally {
    await a.close();
    await b.close();
  }
});
