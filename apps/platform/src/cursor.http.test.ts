import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { get, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { storeShapes } from '@stratum/core/testing';
import { PlatformError, type KeyValue } from '@stratum/sdk';
import { Lifecycle } from './lifecycle.js';
import { expectErrorResponse, unique, usePlatform, type Running } from './testing/http-harness.js';

const BIG = 2000;
const MB = 1024 * 1024;

/** Frames of an event stream as `{event, id, data}`; the text must hold whole frames only. */
function frames(text: string): { event: string; id?: string; data: string }[] {
  return text.split('\n\n').filter(Boolean).map((frame) => {
    const fields = Object.fromEntries(frame.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
    return { event: fields.event ?? 'message', id: fields.id, data: fields.data };
  });
}

/** Opens a raw GET and resolves with the response left paused: nothing is read until asked. */
function openRaw(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(url, resolve).on('error', reject));
}

/** Reads a response to its end, `pauseMs` after every chunk, while `sample` runs every 10 ms. */
async function readSlowly(res: IncomingMessage, pauseMs: number, sample: () => void): Promise<string> {
  const timer = setInterval(sample, 10);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res) {
      chunks.push(chunk as Buffer);
      await sleep(pauseMs);
    }
  } finally {
    clearInterval(timer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function waitIdle(h: Running): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const stats = h.store.poolStats();
    if (stats.idle === stats.total && stats.waiting === 0) return;
    await sleep(10);
  }
  assert.fail(`the database pool did not go idle: ${JSON.stringify(h.store.poolStats())}`);
}

for (const shape of storeShapes()) {
  describe(`SSE cursor over HTTP on ${shape.name}`, () => {
    // Documents of ~5 KB: the 10 MB stream is larger than what the kernel buffers on loopback.
    const h = usePlatform(shape, { closing: {} }, { BODY_LIMIT: String(4 * MB) });
    const tag = unique('sse');
    const bigTag = unique('big');
    let small: KeyValue[] = [];
    const big: string[] = [];
    // 10 MB a run would pile up in a PostgreSQL that every run shares.
    h.beforeClose(() => h.store.query('DELETE FROM c_context_settings WHERE jsonb_exists(doc -> \'tags\', $1)', [bigTag]));

    before(async () => {
      small = await h.sdk.context.settings.createBulk(Array.from({ length: 25 }, (_, i) => ({ key: `${tag}-${String(i).padStart(2, '0')}`, tags: [tag], props: { i } })));
      const padding = 'x'.repeat(5000);
      for (let from = 0; from < BIG; from += 500) {
        const items = Array.from({ length: 500 }, (_, i) => ({ key: `${bigTag}-${from + i}`, tags: [bigTag], description: padding }));
        big.push(...(await h.sdk.context.settings.createBulk(items)).map((d) => d.id));
      }
    });

    it('streams every matching document in order, then event: end', async () => {
      const streamed: KeyValue[] = [];
      for await (const doc of h.sdk.context.settings.cursor({ query: { tags: tag } })) streamed.push(doc);
      assert.deepEqual(streamed.map((d) => d.id), small.map((d) => d.id));
      assert.deepEqual(streamed[3], small[3]);
      const sorted: number[] = [];
      for await (const doc of h.sdk.context.settings.cursor({ query: { tags: tag, 'props.i': { $lt: 5 } }, pagination: { sort: { key: -1 } } })) sorted.push(doc.props?.i as number);
      assert.deepEqual(sorted, [4, 3, 2, 1, 0]);
    });

    it('speaks the documented framing: id and data per document, event: end last', async () => {
      const res = await h.fetch(`/context/settings/cursor?query[tags]=${tag}&limit=3`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const all = frames(await res.text());
      assert.equal(all.length, 26, 'limit does not cut a cursor');
      all.slice(0, 25).forEach((frame, i) => {
        assert.equal(frame.event, 'message');
        assert.equal(frame.id, small[i].id);
        assert.equal((JSON.parse(frame.data) as KeyValue).id, small[i].id);
      });
      assert.deepEqual(all[25], { event: 'end', id: undefined, data: '{}' });
      const empty = frames(await (await h.fetch(`/context/settings/cursor?query[tags]=${unique('none')}`)).text());
      assert.deepEqual(empty.map((f) => f.event), ['end']);
    });

    it('a bad filter gets a plain 400 JSON error, not a stream', async () => {
      const res = await h.fetch('/context/settings/cursor?query={"$where":"1"}', { headers: { accept: 'text/event-stream' } });
      await expectErrorResponse(res, 400, 'QUERY_OPERATOR_NOT_ALLOWED');
      await expectErrorResponse(await h.fetch('/context/settings/cursor?query={"$bad'), 400, 'INVALID_JSON');
      await expectErrorResponse(await h.fetch('/context/settings/cursor?after=0123456789abcdef01234567&sort=key'), 400, 'INVALID_PAGINATION');
      const iterator = h.sdk.context.settings.cursor({ query: { key: { $foo: 1 } } })[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), (error: unknown) => error instanceof PlatformError && error.statusCode === 400 && error.code === 'QUERY_OPERATOR_NOT_ALLOWED');
    });

    it('a slow reader gets all 2000 documents while the server holds little memory', async () => {
      const shutdown = h.platform.app.get(Lifecycle).shutdown;
      const listeners = getEventListeners(shutdown, 'abort').length;
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sample = () => {
        peak = Math.max(peak, process.memoryUsage().rss);
      };
      const res = await openRaw(`${h.url}/context/settings/cursor?query[tags]=${bigTag}`);
      assert.equal(res.statusCode, 200);
      // Nothing is read for a while: the server must wait on the socket, not buffer the result.
      for (let i = 0; i < 30; i++) {
        sample();
        await sleep(10);
      }
      const stalled = process.memoryUsage().rss;
      const text = await readSlowly(res, 3, sample);
      const all = frames(text);
      assert.equal(all.at(-1)?.event, 'end');
      assert.deepEqual(all.slice(0, -1).map((f) => f.id), big);
      assert.ok(peak - baseline < 100 * MB, `rss grew by ${Math.round((peak - baseline) / MB)} MB (stalled at +${Math.round((stalled - baseline) / MB)} MB)`);
      assert.equal(getEventListeners(shutdown, 'abort').length, listeners, 'waiting for the reader leaves no listener on the shared shutdown signal');
    });

    it('a reader that goes away releases the server: no stuck connection, later requests answer', async () => {
      const res = await openRaw(`${h.url}/context/settings/cursor?query[tags]=${bigTag}`);
      const first = await new Promise<Buffer>((resolve) => res.once('data', resolve));
      assert.match(first.toString('utf8'), /^id: [0-9a-f]{24}\n/);
      res.destroy();
      await waitIdle(h);
      const counts = await Promise.all(Array.from({ length: 6 }, () => h.sdk.context.settings.count({ query: { tags: bigTag } })));
      assert.deepEqual(counts, Array(6).fill(BIG));
    });

    it('shutting down ends an open cursor with event: error in the one error shape', async () => {
      const closing = h.others.closing;
      const res = await openRaw(`${closing.url}/context/settings/cursor?query[tags]=${bigTag}`);
      assert.equal(res.statusCode, 200);
      await sleep(50);
      const closed = closing.platform.close();
      const all = frames(await readSlowly(res, 0, () => undefined));
      await closed;
      const last = all.at(-1)!;
      assert.equal(last.event, 'error');
      const body = JSON.parse(last.data) as Record<string, unknown>;
      assert.equal(body.statusCode, 503);
      assert.equal(body.code, 'UNAVAILABLE');
      assert.equal(body.request_id, res.headers['x-request-id']);
      assert.ok(all.length - 1 < BIG, `the stream stopped early (${all.length - 1} documents)`);
    });
  });
}
