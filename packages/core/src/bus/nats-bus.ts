import { connect, JSONCodec, type JetStreamClient, type NatsConnection } from 'nats';
import type { Bus, BusEvent, BusHandler } from './bus.js';

/** The JetStream stream that keeps change events: every `stratum.<tenant>.<service>.<collection>`. */
export const EVENTS_STREAM = 'STRATUM_EVENTS';
const EVENT_SUBJECTS = 'stratum.*.*.*';
const WEEK_NS = 7 * 24 * 3600 * 1e9;

const codec = JSONCodec();

/** The bus over NATS core subjects: a notification reaches every connected node. */
export class NatsBus implements Bus {
  readonly kind = 'nats' as const;

  private js?: Promise<JetStreamClient>;

  private readonly reconnectListeners = new Set<() => void>();

  private constructor(private readonly nc: NatsConnection) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'reconnect') for (const listener of this.reconnectListeners) listener();
      }
    })().catch(() => undefined);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.add(listener);
  }

  static async open(url: string): Promise<NatsBus> {
    return new NatsBus(await connect({ servers: url, name: 'stratum', maxReconnectAttempts: -1 }));
  }

  /** Creates the events stream on first use (a week of events, deduplicated by event id). */
  private jetstream(): Promise<JetStreamClient> {
    this.js ??= (async () => {
      const manager = await this.nc.jetstreamManager();
      try {
        await manager.streams.info(EVENTS_STREAM);
      } catch {
        await manager.streams.add({ name: EVENTS_STREAM, subjects: [EVENT_SUBJECTS], max_age: WEEK_NS, duplicate_window: 120e9 });
      }
      return this.nc.jetstream();
    })().catch((error) => {
      this.js = undefined;
      throw error;
    });
    return this.js;
  }

  /** JetStream keeps every event for consumers that come later. */
  wantsEvents(): boolean {
    return true;
  }

  async publishEvents(events: BusEvent[]): Promise<void> {
    const js = await this.jetstream();
    await Promise.all(events.map((event) => js.publish(event.subject, codec.encode(event.data), { msgID: event.id })));
  }

  async publish(subject: string, data: unknown): Promise<void> {
    this.nc.publish(subject, codec.encode(data));
    // Flush so a revocation has left this node before the caller is told it is done.
    await this.nc.flush();
  }

  subscribe(subject: string, handler: BusHandler): () => void {
    const subscription = this.nc.subscribe(subject, {
      callback: (error, message) => {
        if (!error) handler(codec.decode(message.data));
      },
    });
    return () => subscription.unsubscribe();
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}

/** NATS when configured; else LISTEN/NOTIFY on the PostgreSQL database; in-process when embedded. */
export async function openBus(natsUrl: string | undefined, databaseUrl?: string): Promise<Bus> {
  if (natsUrl) return NatsBus.open(natsUrl);
  if (databaseUrl) {
    const { PgNotifyBus } = await import('./pg-bus.js');
    return PgNotifyBus.open(databaseUrl);
  }
  const { InProcessBus } = await import('./bus.js');
  return new InProcessBus();
}
