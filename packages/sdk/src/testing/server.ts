import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the test server received it. */
export interface Seen {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Resolves when the client closed or finished the connection of this request. */
  closed: Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void | Promise<void>;

export interface TestServer {
  url: string;
  seen: Seen[];
  /** The handler for the next requests. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** A tiny real HTTP server on a random port: the SDK's tests speak to it over sockets. */
export async function startTestServer(): Promise<TestServer> {
  const seen: Seen[] = [];
  let handler: Handler = (_req, res) => json(res, 200, {});
  const server = createServer((req, res) => {
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), closed };
      seen.push(entry);
      Promise.resolve(handler(req, res, entry)).catch((error: unknown) => {
        if (!res.headersSent) json(res, 599, { message: String(error) });
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    handle(next) {
      handler = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The query string of a seen request as a plain object. */
export function searchOf(seen: Seen): Record<string, string> {
  return Object.fromEntries(new URL(seen.url, 'http://x').searchParams);
}

export function pathOf(seen: Seen): string {
  return new URL(seen.url, 'http://x').pathname;
}
