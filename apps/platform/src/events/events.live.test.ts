import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { FEED_POSITIONS_SUBJECT, type Bus, type Store } from '@stratum/core';
import { storeShapes } from '@stratum/core/testing';
import { createApt, startSecure, type Secure } from '../auth/security-harness.js';
import { Lifecycle } from '../lifecycle.js';
import { ownDatabase, type OwnDatabase } from '../testing/own-database.js';

// The safety poll waits an hour: within a test's time only a wake-up can bring an event.
// Keep-alive comments come often, so every test also shows they never disturb the events.
const LIVE = { STRATUM_ROLE: 'all', EVENTS_FEED_POLL_MS: '3600000', EVENTS_FEED_KEEPALIVE_MS: '100' };
// No assertion is timed; this only ends a test that waits for an event that never comes.
const TIMEOUT = { timeout: 60_000 };

interface Frame {
  event: string;
  id?: string;
  data: any;
}

/** A live `GET /events` stream, read frame by frame as the test asks for more. */
class EventStream {
  readonly frames: Frame[] = [];
  /** SSE comment lines (keep-alives), which carry no event. */
  comments = 0;
  private buffer = '';
  private ended = false;
  private readonly decoder = new TextDecoder();

  private constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>, private readonly abort: AbortController) {}

  static async open(node: Secure, token: string, query = '', headers: Record<string, string> = {}): Promise<EventStream> {
    const abort = new AbortController();
    const response = await fetch(`${node.url}/events${query}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers }, signal: abort.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    return new EventStream(response.body!.getReader(), abort);
  }

  /** Reads until `done` holds; fails if the stream ends first. */
  async until(done: (frames: Frame[]) => boolean): Promise<Frame[]> {
    while (!done(this.frames)) {
      assert.equal(this.ended, false, `the stream ended early after ${JSON.stringify(this.frames)}`);
      const { value, done: ended } = await this.reader.read();
      if (ended) this.ended = true;
      else this.parse(this.decoder.decode(value, { stream: true }));
    }
    return this.frames;
  }

  /** The ids of the documents whose events arrived. */
  ids(): string[] {
    return this.frames.filter((f) => f.event === 'message').map((f) => f.data.id);
  }

  close(): void {
    this.abort.abort();
  }

  private parse(text: string): void {
    this.buffer += text;
    let cut: number;
    while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      if (frame.startsWith(':')) this.comments++;
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(frame)?.[1];
      const data = field('data');
      if (data !== undefined) this.frames.push({ event: field('event') ?? 'message', id: field('id'), data: JSON.parse(data) });
    }
  }
}

async function create(node: Secure, token: string, key: string): Promise<string> {
  const reply = await node.call('/special/stats', { token, body: { key, value: 1 } });
  assert.equal(reply.status, 201, reply.text);
  return reply.body.data.id;
}

/** The tenant's newest position: a stream opened after it shows only what is written later. */
async function lastPosition(node: Secure, token: string): Promise<number> {
  let after = 0;
  for (;;) {
    const items = (await node.call(`/events?after=${after}&limit=500`, { token })).body.items;
    if (items.length === 0) return after;
    after = items.at(-1).position;
  }
}

/** Until the condition holds: there is no time to wait for, only the test's timeout. */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

interface Deployment {
  name: string;
  bus: Bus['kind'];
  /** The bus configuration of every node; set by the first `open`. */
  env: Record<string, string>;
  /** The store of one more node: embedded, the one database of the process; PostgreSQL, a pool of its own. */
  open(): Promise<Store>;
  drop(): Promise<void>;
}

function deployments(): Deployment[] {
  const embedded = storeShapes().find((s) => s.name === 'embedded')!;
  let single: Promise<Store> | undefined;
  const list: Deployment[] = [{ name: 'embedded', bus: 'in-process', env: {}, open: () => (single ??= embedded.open()), drop: async () => undefined }];
  const server = process.env.DATABASE_URL;
  if (!server) return list;
  const buses: [Bus['kind'], Record<string, string>][] = [['postgres', {}]];
  if (process.env.NATS_URL) buses.push(['nats', { NATS_URL: process.env.NATS_URL }]);
  for (const [bus, env] of buses) {
    let db: OwnDatabase | undefined;
    const deployment: Deployment = {
      name: `postgres with the ${bus === 'nats' ? 'NATS' : 'LISTEN/NOTIFY'} bus`,
      bus,
      env,
      async open() {
        db ??= await ownDatabase(server);
        deployment.env = { ...env, DATABASE_URL: db.url };
        return db.open();
      },
      drop: async () => db?.drop(),
    };
    list.push(deployment);
  }
  return list;
}

for (const deployment of deployments()) {
  describe(`live GET /events on ${deployment.name}`, () => {
    const stores = new Set<Store>();
    const nodes: Secure[] = [];
    let main: Secure;
    let admin = '';
    const start = async (env: Record<string, string> = {}) => {
      const store = await deployment.open();
      stores.add(store);
      const node = await startSecure(store, { ...LIVE, ...deployment.env, ...(main ? { STRATUM_ROOT_DOMAIN: main.domain } : {}), ...env });
      nodes.push(node);
      return node;
    };
    before(async () => {
      main = await start();
      assert.equal(main.platform.bus.kind, deployment.bus);
      admin = (await main.login()).access_token;
    });
    after(async () => {
      for (const node of nodes) await node.platform.close();
      for (const store of stores) await store.close();
      await deployment.drop();
    });

    test('replays, then an event written after the stream opened arrives; Last-Event-ID resumes', TIMEOUT, async () => {
      const first = await create(main, admin, 'live-1');
      const since = (await lastPosition(main, admin)) - 1;
      const stream = await EventStream.open(main, admin, `?stream=true&after=${since}`);
      await stream.until(() => stream.ids().includes(first));
      const second = await create(main, admin, 'live-2');
      await stream.until(() => stream.ids().includes(second));
      stream.close();
      assert.deepEqual(stream.ids(), [first, second]);
      assert.equal(stream.frames[0].id, String(stream.frames[0].data.position), 'the SSE id is the position');
      const resumed = await EventStream.open(main, admin, '', { 'last-event-id': stream.frames[0].id! });
      await resumed.until((frames) => frames.length >= 1);
      resumed.close();
      assert.equal(resumed.frames[0].data.id, second);
    });

    test('a stream opened on a quiet feed answers at once and waits for the next event', TIMEOUT, async () => {
      const stream = await EventStream.open(main, admin, `?after=${await lastPosition(main, admin)}`);
      const id = await create(main, admin, 'quiet');
      await stream.until(() => stream.ids().includes(id));
      stream.close();
      assert.deepEqual(stream.ids(), [id]);
    });

    test('a quiet stream sends keep-alive comments every EVENTS_FEED_KEEPALIVE_MS, and events still arrive between them', TIMEOUT, async () => {
      const stream = await EventStream.open(main, admin, `?after=${await lastPosition(main, admin)}`);
      await stream.until(() => stream.comments >= 2);
      assert.deepEqual(stream.frames, [], 'a comment is no event');
      const id = await create(main, admin, 'after-keep-alive');
      await stream.until(() => stream.ids().includes(id));
      await stream.until(() => stream.comments >= 4);
      stream.close();
      assert.deepEqual(stream.ids(), [id]);
    });

    test('a stream shows only the collections its token may read, and waits on past the others', TIMEOUT, async () => {
      const apt = await createApt(main, admin, 'read:special:stats');
      const stream = await EventStream.open(main, apt.token, `?after=${await lastPosition(main, admin)}`);
      const setting = await main.call('/context/settings', { token: admin, body: { key: 'not-readable' } });
      assert.equal(setting.status, 201, setting.text);
      const stat = await create(main, admin, 'readable');
      await stream.until(() => stream.ids().includes(stat));
      stream.close();
      assert.deepEqual(stream.ids(), [stat]);
    });

    test('streams of a tenant share one bus subscription, released when their clients disconnect', TIMEOUT, async () => {
      const { bus, feed } = main.platform;
      await eventually(() => !feed.subscribed);
      const shutdown = main.platform.app.get(Lifecycle).shutdown;
      const listeners = getEventListeners(shutdown, 'abort').length;
      const original = bus.subscribe;
      let subscribed = 0;
      let released = 0;
      bus.subscribe = (subject, handler) => {
        const off = original.call(bus, subject, handler);
        if (subject !== FEED_POSITIONS_SUBJECT) return off;
        subscribed++;
        return () => {
          released++;
          off();
        };
      };
      try {
        const since = await lastPosition(main, admin);
        const streams = [await EventStream.open(main, admin, `?after=${since}`), await EventStream.open(main, admin, `?after=${since}`)];
        const id = await create(main, admin, 'shared');
        for (const stream of streams) await stream.until(() => stream.ids().includes(id));
        assert.equal(subscribed, 1, 'one subscription for both streams');
        assert.equal(feed.watchedTenants(), 1);
        for (const stream of streams) stream.close();
        await eventually(() => !feed.subscribed);
        assert.equal(released, 1, 'the subscription went with the last stream');
        assert.equal(feed.watchedTenants(), 0);
        await eventually(() => getEventListeners(shutdown, 'abort').length === listeners);
      } finally {
        bus.subscribe = original;
      }
    });

    test('a stream on an api-role node hears events another node sequenced', { ...TIMEOUT, skip: deployment.name === 'embedded' && 'the embedded shape is one process' }, async () => {
      const api = await start({ STRATUM_ROLE: 'api' });
      assert.equal(api.platform.dispatcher, undefined, 'no sequencer on the API node');
      assert.equal(api.platform.bus.kind, main.platform.bus.kind);
      assert.notEqual(api.platform.bus, main.platform.bus);
      const stream = await EventStream.open(api, admin, `?after=${await lastPosition(main, admin)}`);
      const written = await create(main, admin, 'other-node');
      await stream.until(() => stream.ids().includes(written));
      // A write through the API node too: the worker sequences it on its next round, and says so.
      const local = await create(api, admin, 'api-node');
      await stream.until(() => stream.ids().includes(local));
      stream.close();
      assert.deepEqual(stream.ids(), [written, local]);
    });

    test('shutdown ends an open stream with an error event and drops its subscription', TIMEOUT, async () => {
      const node = await start();
      const stream = await EventStream.open(node, admin, `?after=${await lastPosition(node, admin)}`);
      await eventually(() => node.platform.feed.subscribed);
      await node.platform.close();
      await stream.until((frames) => frames.some((f) => f.event === 'error'));
      assert.equal(stream.frames.at(-1)!.data.code, 'UNAVAILABLE');
      assert.equal(node.platform.feed.subscribed, false);
    });
  });
}
