import pg from 'pg';
import { InProcessBus, type Bus, type BusEvent, type BusHandler } from './bus.js';

// NOTIFY carries at most 8000 bytes; notifications are small (ids), larger ones are split by the sender.
const MAX_PAYLOAD = 7900;
const RECONNECT_MS = 1000;

/**
 * The bus over PostgreSQL LISTEN/NOTIFY, for the scaled shape without NATS: every API node on
 * one database hears every invalidation (a revoked session, a changed grant), so they may cache.
 * A node that loses its listening connection forgets everything it cached (`onReconnect`) before
 * listening again, since it may have missed news in between. Change events are not kept here:
 * durable event streams need NATS JetStream.
 */
export class PgNotifyBus implements Bus {
  readonly kind = 'postgres' as const;
  /** This node's subscribers; NOTIFY brings other nodes' messages to them. */
  private readonly local = new InProcessBus();
  /** Subjects this node listens on, with how many local subscribers each has. */
  private readonly listening = new Map<string, number>();
  private client?: pg.Client;
  /** LISTEN and UNLISTEN in call order, one at a time: pg no longer queues a busy client's queries. */
  private statements: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly reconnectListeners = new Set<() => void>();

  private constructor(private readonly url: string, private readonly publisher: pg.Pool) {}

  static async open(url: string): Promise<PgNotifyBus> {
    const bus = new PgNotifyBus(url, new pg.Pool({ connectionString: url, max: 2 }));
    await bus.connect();
    return bus;
  }

  /** Called after a lost listening connection is back: drop whatever was cached on the strength of it. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.add(listener);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => this.deliver(message.channel, message.payload));
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    await client.connect();
    for (const subject of this.listening.keys()) await client.query(`LISTEN ${channel(subject)}`);
    this.client = client;
  }

  private reconnect(lost: pg.Client): void {
    if (this.closed || this.client !== lost) return;
    this.client = undefined;
    const retry = () => {
      if (this.closed) return;
      this.connect().then(() => {
        for (const listener of this.reconnectListeners) listener();
      }, () => setTimeout(retry, RECONNECT_MS).unref());
    };
    setTimeout(retry, RECONNECT_MS).unref();
  }

  private deliver(subject: string, payload: string | undefined): void {
    let data: unknown;
    try {
      data = payload === undefined ? undefined : JSON.parse(payload);
    } catch {
      return;
    }
    void this.local.publish(subject, data);
  }

  async publish(subject: string, data: unknown): Promise<void> {
    const payload = JSON.stringify(data);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) throw new Error(`a bus notification on ${subject} is larger than NOTIFY allows`);
    await this.publisher.query('SELECT pg_notify($1, $2)', [subject, payload]);
  }

  /** Events reach this node's subscribers only: keep them durably with NATS JetStream. */
  publishEvents(events: BusEvent[]): Promise<void> {
    return this.local.publishEvents(events);
  }

  wantsEvents(): boolean {
    return this.local.wantsEvents();
  }

  /** LISTENs with the first subscriber of a subject and UNLISTENs after the last one left. */
  subscribe(subject: string, handler: BusHandler): () => void {
    const name = channel(subject);
    const count = this.listening.get(subject) ?? 0;
    this.listening.set(subject, count + 1);
    if (count === 0) this.listenStatement(`LISTEN ${name}`);
    const off = this.local.subscribe(subject, handler);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      off();
      const left = (this.listening.get(subject) ?? 1) - 1;
      if (left > 0) {
        this.listening.set(subject, left);
        return;
      }
      this.listening.delete(subject);
      this.listenStatement(`UNLISTEN ${name}`);
    };
  }

  /** Without a connection there is nothing to do: `connect` LISTENs on every subject still wanted. */
  private listenStatement(statement: string): void {
    const client = this.client;
    if (!client) return;
    this.statements = this.statements.then(() => client.query(statement)).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.publisher.end();
    await this.local.close();
  }
}

/** A subject as a quoted LISTEN channel name (subjects contain dots and dashes). */
function channel(subject: string): string {
  if (!/^[a-zA-Z0-9._-]{1,63}$/.test(subject)) throw new Error(`cannot listen on ${JSON.stringify(subject)}`);
  return `"${subject}"`;
}
