/** Signals long-lived responses (SSE cursors) that the server is shutting down. */
export class Lifecycle {
  private readonly controller = new AbortController();

  get shutdown(): AbortSignal {
    return this.controller.signal;
  }

  beginShutdown(): void {
    this.controller.abort();
  }
}
