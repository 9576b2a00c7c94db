import { connect, JSONCodec, type NatsConnection } from 'nats';
import type { Bus, BusHandler } from './bus.js';

const codec = JSONCodec();

/** The bus over NATS core subjects: a notification reaches every connected node. */
export class NatsBus implements Bus {
  readonly kind = 'nats' as const;

  private constructor(private readonly nc: NatsConnection) {}

  static async open(url: string): Promise<NatsBus> {
    return new NatsBus(await connect({ servers: url, name: 'stratum', maxReconnectAttempts: -1 }));
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

export async function openBus(natsUrl: string | undefined): Promise<Bus> {
  if (!natsUrl) {
    const { InProcessBus } = await import('./bus.js');
    return new InProcessBus();
  }
  return NatsBus.open(natsUrl);
}
