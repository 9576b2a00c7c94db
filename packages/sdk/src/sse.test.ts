import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPlatformClient, parseSse, PlatformError, type PlatformClient, type SseEvent } from './index.js';
import { json, pathOf, searchOf, startTestServer, type TestServer } from './testing/server.js';

const bytes = (...parts: (string | number[])[]) => parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)));

async function collect(chunks: Uint8Array[]): Promise<SseEvent[]> {
  async function* source() {
    yield* chunks;
  }
  const out: SseEvent[] = [];
  for await (const event of parseSse(source())) out.push(event);
  return out;
}

describe('parseSse', () => {
  it('joins lines split across chunks, including a multi-byte character', async () => {
    const euro = [...new TextEncoder().encode('€')];
    const events = await collect(bytes('id: 1\nda', 'ta: {"a":"', euro.slice(0, 1), euro.slice(1), '"}\n', '\n'));
    assert.deepEqual(events, [{ event: 'message', id: '1', data: '{"a":"€"}' }]);
  });

  it('accepts CRLF, CR and LF line ends, even a CRLF split between chunks', async () => {
    const events = await collect(bytes('data: a\r', '\n\r\ndata: b\r\rdata: c\n\n'));
    assert.deepEqual(events.map((e) => e.data), ['a', 'b', 'c']);
  });

  it('joins multi-line data, skips comments and unknown fields, names events', async () => {
    const events = await collect(bytes('\uFEFF: keep-alive\n\ndata: x\ndata:y\nretry: 5\nfoo: bar\n\nevent: end\ndata: {}\n\n'));
    assert.deepEqual(events, [{ event: 'message', data: 'x\ny' }, { event: 'end', data: '{}' }]);
  });

  it('drops an event left unfinished when the bytes end', async () => {
    const events = await collect(bytes('data: 1\n\ndata: 2\n'));
    assert.deepEqual(events.map((e) => e.data), ['1']);
  });
});

const ID = (n: number) => n.toString(16).padStart(24, '0');
const frame = (n: number) => `id: ${ID(n)}\ndata: ${JSON.stringify({ id: ID(n), n })}\n\n`;

async function within(promise: Promise<void>, what: string, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'sse-1' });
}

describe('cursor over a real event stream', () => {
  let server: TestServer;
  let platform: PlatformClient;

  before(async () => {
    server = await startTestServer();
    platform = createPlatformClient({ baseUrl: server.url });
  });
  after(() => server.close());
  beforeEach(() => {
    server.seen.length = 0;
  });

  it('yields documents in order and stops at event: end even if the socket stays open', async () => {
    server.handle(async (_req, res) => {
      startStream(res);
      res.write(frame(1) + frame(2).slice(0, 10));
      await sleep(20);
      res.write(frame(2).slice(10) + frame(3));
      await sleep(20);
      res.write('event: end\ndata: {}\n\n');
      // Left open on purpose: the client must end on the event, not on the socket.
    });
    const docs: { n: number }[] = [];
    for await (const doc of platform.collection<{ id: string; n: number; version: number; created_at: string; timestamp: number }>('a', 'b')
      .cursor({ query: { n: { $gte: 1 } }, pagination: { sort: { id: 1 } } })) docs.push(doc);
    assert.deepEqual(docs.map((d) => d.n), [1, 2, 3]);
    const [seen] = server.seen;
    assert.equal(pathOf(seen), '/a/b/cursor');
    assert.deepEqual(searchOf(seen), { query: '{"n":{"$gte":1}}', sort: '{"id":1}' });
    assert.equal(seen.headers.accept, 'text/event-stream');
    await within(seen.closed, 'the client to close the stream after its end event');
  });

  it('throws the error of event: error after the documents before it', async () => {
    server.handle((_req, res) => {
      startStream(res);
      res.end(`${frame(1)}event: error\ndata: ${JSON.stringify({ statusCode: 500, message: 'db gone', error: 'Internal Server Error', code: 'INTERNAL', request_id: 'sse-1' })}\n\n`);
    });
    const docs: unknown[] = [];
    await assert.rejects(async () => {
      for await (const doc of platform.identity.users.cursor()) docs.push(doc);
    }, (error: unknown) => error instanceof PlatformError && error.code === 'INTERNAL' && error.statusCode === 500
      && error.message === 'db gone' && error.request_id === 'sse-1');
    assert.equal(docs.length, 1);
  });

  it('reports a stream cut before its end event as STREAM_TRUNCATED', async () => {
    server.handle((_req, res) => {
      startStream(res);
      res.end(frame(1) + frame(2));
    });
    const docs: unknown[] = [];
    await assert.rejects(async () => {
      for await (const doc of platform.identity.users.cursor()) docs.push(doc);
    }, (error: unknown) => error instanceof PlatformError && error.code === 'STREAM_TRUNCATED' && error.request_id === 'sse-1');
    assert.equal(docs.length, 2);
  });

  it('rejects with the JSON error when the server refuses the cursor', async () => {
    server.handle((_req, res) => json(res, 400, { statusCode: 400, message: 'query operator $where is not allowed', error: 'Bad Request', code: 'QUERY_OPERATOR_NOT_ALLOWED', request_id: 'r' }));
    const iterator = platform.identity.users.cursor({ query: { $where: '1' } })[Symbol.asyncIterator]();
    await assert.rejects(iterator.next(), (error: unknown) => error instanceof PlatformError && error.statusCode === 400 && error.code === 'QUERY_OPERATOR_NOT_ALLOWED');
  });

  it('stops on an AbortSignal and closes the connection', async () => {
    server.handle((_req, res) => {
      startStream(res);
      res.write(frame(1));
    });
    const controller = new AbortController();
    const docs: unknown[] = [];
    await assert.rejects(async () => {
      for await (const doc of platform.identity.users.cursor({}, { signal: controller.signal })) {
        docs.push(doc);
        controller.abort();
      }
    }, (error: unknown) => (error as Error).name === 'AbortError');
    assert.equal(docs.length, 1);
    await within(server.seen[0].closed, 'the connection to be closed');
  });

  it('closes the connection when the caller stops iterating early', async () => {
    server.handle(async (_req, res) => {
      startStream(res);
      // Never ended by the server: only the client can close this response.
      for (let n = 1; n <= 1000 && !res.destroyed; n++) if (!res.write(frame(n))) await sleep(5);
    });
    let seenDocs = 0;
    for await (const doc of platform.identity.users.cursor()) {
      assert.ok(doc.id);
      if (++seenDocs === 2) break;
    }
    await within(server.seen[0].closed, 'the connection to be closed');
    assert.equal(seenDocs, 2);
  });
});
