import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from '../http/error-body.js';

/**
 * Writes batches as server-sent events. The next batch is pulled only after the socket accepted
 * the previous one ('drain'), so a slow reader holds at most one batch in memory.
 */
export async function streamEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  batches: AsyncIterable<Record<string, unknown>[]>,
  shutdown: AbortSignal,
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
  let closed = false;
  raw.on('close', () => {
    closed = true;
  });
  const closedOrShutdown = () => closed || shutdown.aborted;
  try {
    while (!next.done && !closedOrShutdown()) {
      const chunk = next.value.map((doc) => `id: ${doc.id}\ndata: ${JSON.stringify(doc)}\n\n`).join('');
      if (!raw.write(chunk)) await Promise.race([once(raw, 'drain'), once(raw, 'close'), once(shutdown, 'abort')]);
      if (closedOrShutdown()) break;
      next = await iterator.next();
    }
    if (shutdown.aborted && !closed) raw.write(`event: error\ndata: ${JSON.stringify({ message: 'server is shutting down' })}\n\n`);
    else if (!closed) raw.write('event: end\ndata: {}\n\n');
  } catch (error) {
    const mapped = mapError(error, String(request.id));
    request.log.error({ err: error }, 'cursor failed');
    if (!closed) raw.write(`event: error\ndata: ${JSON.stringify(mapped.body)}\n\n`);
  } finally {
    await iterator.return?.();
    raw.end();
  }
}
