export type BusHandler = (data: unknown) => void;

/** A change event as the bus carries it: on its subject, with its id for deduplication. */
export interface BusEvent {
  subject: string;
  id: string;
  data: unknown;
}

/**
 * The subject of a tenant's change events on one collection. Tenant ids are domains, whose dots
 * would split a NATS subject token, so they become underscores (which domains cannot contain).
 */
export function eventSubject(tenant: string, service: string, collection: string): string {
  return `stratum.${tenant.replace(/\./g, '_')}.${service}.${collection}`;
}

/**
 * Fan-out of small notifications between nodes (session revocations, cache invalidations).
 * In-process in the embedded shape; NATS when NATS_URL is set, else PostgreSQL LISTEN/NOTIFY on
 * DATABASE_URL, so every API node hears them.
 */
export interface Bus {
  readonly kind: 'in-process' | 'nats' | 'postgres';
  publish(subject: string, data: unknown): Promise<void>;
  subscribe(subject: string, handler: BusHandler): () => void;
  /**
   * Publishes change events durably where the bus can (JetStream, deduplicated by id); resolves
   * once they are stored, so the caller may advance its cursor.
   */
  publishEvents(events: BusEvent[]): Promise<void>;
  /**
   * After a lost connection is back, news may have been missed: caches that the bus keeps true
   * register here to forget everything. The in-process bus never disconnects.
   */
  onReconnect?(listener: () => void): void;
  /** False when publishing change events would reach nobody (no local subscriber, no stream). */
  wantsEvents(): boolean;
  close(): Promise<void>;
}

/** Whether a subject is a change event's (`stratum.<tenant>.<service>.<collection>`). */
export const isEventSubject = (subject: string) => subject.startsWith('stratum.');

/** Whether every node hears what any node publishes, so nodes may cache what the bus invalidates. */
export function busReachesEveryNode(bus: Bus, storeKind: 'embedded' | 'postgres'): boolean {
  return storeKind === 'embedded' || bus.kind !== 'in-process';
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

  async publishEvents(events: BusEvent[]): Promise<void> {
    for (const event of events) await this.publish(event.subject, event.data);
  }

  wantsEvents(): boolean {
    for (const [subject, handlers] of this.handlers) if (handlers.size > 0 && isEventSubject(subject)) return true;
    return false;
  }

  subscribe(subject: string, handler: BusHandler): () => void {
    const set = this.handlers.get(subject) ?? new Set();
    set.add(handler);
    this.handlers.set(subject, set);
    return () => {
      set.delete(handler);
      // Subjects come and go with their listeners (a tenant's live feed): keep no empty entries.
      if (set.size === 0 && this.handlers.get(subject) === set) this.handlers.delete(subject);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
