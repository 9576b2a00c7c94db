import type { ServerResponse } from 'node:http';
import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '@stratum/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from '../http/error-body.js';

/**
 * Resolves once the socket drained, closed or failed, or the server began shutting down, and
 * removes every listener it added: one stream waits here many times, on a signal all share.
 */
function writableOrGone(raw: ServerResponse, shutdown: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      raw.off('error', done);
      shutdown.removeEventListener('abort', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
    raw.on('error', done);
    shutdown.addEventListener('abort', done);
    if (shutdown.aborted || raw.destroyed) done();
  });
}

export interface StreamOptions<T> {
  /** The SSE `id` of an item. */
  idOf?: (item: T) => unknown;
  /**
   * A stream that may wait long for its next batch (the live feed) writes an SSE comment this
   * often: proxies and load balancers cut connections idle for 30-60 s, and EventSource ignores it.
   */
  keepAliveMs?: number;
}

/**
 * Writes batches as server-sent events. The next batch is pulled only after the socket accepted
 * the previous one ('drain'), so a slow reader holds at most one batch in memory.
 */
export async function streamEvents<T extends object>(
  request: FastifyRequest,
  reply: FastifyReply,
  batches: AsyncIterable<T[]>,
  shutdown: AbortSignal,
  { idOf = (item) => (item as { id?: unknown }).id, keepAliveMs }: StreamOptions<T> = {},
): Promise<void> {
  const iterator = batches[Symbol.asyncIterator]();
  // The first batch is fetched before any byte is sent, so a bad query still gets a plain 400.
  let next = await iterator.next();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(request.id),
    'x-accel-buffering': 'no',
  });
  // Sent now, not with the first event: a live feed may have nothing to send for a while, and
  // the client's EventSource counts as open only once it has the headers.
  raw.flushHeaders();
  let closed = false;
  raw.on('close', () => {
    closed = true;
  });
  const closedOrShutdown = () => closed || shutdown.aborted;
  // A comment is a write of its own between events: it never splits one.
  const keepAlive = keepAliveMs ? setInterval(() => !closed && raw.write(': keep-alive\n\n'), keepAliveMs) : undefined;
  try {
    while (!next.done && !closedOrShutdown()) {
      const chunk = next.value.map((item) => `id: ${idOf(item)}\ndata: ${JSON.stringify(item)}\n\n`).join('');
      if (chunk && !raw.write(chunk)) await writableOrGone(raw, shutdown);
      if (closedOrShutdown()) break;
      next = await iterator.next();
    }
    if (shutdown.aborted && !closed) {
      // The one error shape (DESIGN 5.3), like any other error event.
      const mapped = mapError(new DomainError(ErrorCode.UNAVAILABLE, 'The server is shutting down'), String(request.id));
      raw.write(`event: error\ndata: ${JSON.stringify(mapped.body)}\n\n`);
    } else if (!closed) raw.write('event: end\ndata: {}\n\n');
  } catch (error) {
    const mapped = mapError(error, String(request.id));
    request.log.error({ err: error }, 'cursor failed');
    if (!closed) raw.write(`event: error\ndata: ${JSON.stringify(mapped.body)}\n\n`);
  } finally {
    clearInterval(keepAlive);
    await iterator.return?.();
    raw.end();
  }
}
