export type BusHandler = (data: unknown) => void;

/**
 * Fan-out of small notifications between nodes (session revocations, cache invalidations).
 * In-process in the embedded shape; NATS when NATS_URL is set, so every API node hears them.
 */
export interface Bus {
  readonly kind: 'in-process' | 'nats';
  publish(subject: string, data: unknown): Promise<void>;
  subscribe(subject: string, handler: BusHandler): () => void;
  close(): Promise<void>;
}

export class InProcessBus implements Bus {
  readonly kind = 'in-process' as const;
  private readonly handlers = new Map<string, Set<BusHandler>>();

  async publish(subject: string, data: unknown): Promise<void> {
    for (const handler of this.handlers.get(subject) ?? []) {
      try {
        handler(data);
      } catch {
        // One failing listener must not stop the others.
      }
    }
  }

  subscribe(subject: string, handler: BusHandler): () => void {
    const set = this.handlers.get(subject) ?? new Set();
    set.add(handler);
    this.handlers.set(subject, set);
    return () => set.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
