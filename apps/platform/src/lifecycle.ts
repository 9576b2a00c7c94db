import type { ServerResponse } from 'node:http';

/** Signals long-lived responses (SSE cursors) that the server is shutting down, and waits for them. */
export class Lifecycle {
  private readonly controller = new AbortController();
  private readonly open = new Set<Promise<void>>();

  get shutdown(): AbortSignal {
    return this.controller.signal;
  }

  /** Registers a long-lived response: shutdown lets it flush its last event before closing sockets. */
  track(response: ServerResponse): void {
    if (response.closed) return;
    const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
    this.open.add(closed);
    void closed.then(() => this.open.delete(closed));
  }

  beginShutdown(): void {
    this.controller.abort();
  }

  /** Resolves when every tracked response has closed, or after `graceMs` for readers that stalled. */
  async drain(graceMs: number): Promise<void> {
    if (this.open.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(this.open), grace]);
    clearTimeout(timer);
  }
}
