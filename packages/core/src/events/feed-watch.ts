import type { Bus } from '../bus/bus.js';
import type { TenantId } from '../context.js';
import type { Store } from '../store/types.js';
import { readFeed, type FeedItem, type FeedQuery } from './feed.js';

/**
 * Where dispatchers announce how far tenants' events are published: one subject for all tenants,
 * so a round is one message whatever the number of tenants, and PostgreSQL channel names (63
 * bytes) never meet a long domain. Outside the `stratum.` event subjects on purpose: a listener
 * here must not make the publisher read every event's payload (`Bus.wantsEvents`).
 */
export const FEED_POSITIONS_SUBJECT = 'stratum-internal.feed.positions';

/** Stays under NOTIFY's 8000 bytes, the smallest message any bus carries. */
const MAX_MESSAGE_BYTES = 7000;

/** `[tenant, position]`: the tenant's events up to `position` are sequenced and committed. */
export type FeedPosition = [tenant: string, position: number];

/**
 * Tells the live feeds of every node that these tenants' events advanced. Best effort: a notice
 * lost on the way is made up for by the feeds' safety poll, and the events are stored already.
 */
export async function announcePositions(bus: Bus, positions: FeedPosition[]): Promise<void> {
  let chunk: FeedPosition[] = [];
  let bytes = 0;
  const send = () => bus.publish(FEED_POSITIONS_SUBJECT, { positions: chunk }).catch(() => undefined);
  for (const entry of positions) {
    const size = entry[0].length + 24;
    if (chunk.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      await send();
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += size;
  }
  if (chunk.length > 0) await send();
}

function positionsOf(data: unknown): FeedPosition[] {
  const list = (data as { positions?: unknown } | null)?.positions;
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is FeedPosition => Array.isArray(e) && typeof e[0] === 'string' && Number.isSafeInteger(e[1]));
}

/** The streams of one tenant on this node: the newest position announced, and who waits past which mark. */
class TenantFeed {
  latest = 0;
  streams = 0;
  private readonly waiters = new Map<() => void, number>();

  heard(position: number): void {
    if (position <= this.latest) return;
    this.latest = position;
    for (const [wake, mark] of [...this.waiters]) if (position > mark) wake();
  }

  /** Resolves once a position beyond `mark` is announced, after `safetyMs`, or when `stop` aborts. */
  wait(mark: number, safetyMs: number, stop: AbortSignal): Promise<void> {
    if (this.latest > mark || stop.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        stop.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, safetyMs);
      this.waiters.set(wake, mark);
      stop.addEventListener('abort', wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.waiters.keys()]) wake();
  }
}

/**
 * Live change feeds without polling: a stream reads, and when it has caught up waits until a
 * dispatcher announces that its tenant's events advanced (`announcePositions`, over the bus, so
 * API nodes without a dispatcher hear it too), then reads again. One bus subscription serves all
 * streams of the node and is dropped with the last of them. A slow safety poll reads anyway, so
 * a lost notice, or a deployment with no dispatcher running, delays a stream but never stalls it.
 */
export class FeedWatch {
  private readonly tenants = new Map<string, TenantFeed>();
  private unsubscribe?: () => void;
  private closed = false;

  constructor(private readonly bus: Bus, private readonly safetyMs: number) {}

  /**
   * Everything readable after `query.after`, then new events as they are sequenced, until `stop`
   * aborts or the watch closes. Only the first batch may be empty: the response starts with it.
   */
  async *follow(store: Store, tenant: TenantId, query: FeedQuery, stop: AbortSignal): AsyncGenerator<FeedItem[]> {
    if (this.closed) return;
    const feed = this.acquire(tenant);
    try {
      let after = query.after;
      let first = true;
      while (!stop.aborted && !this.closed) {
        // Taken before the read: whatever was announced by now is committed, so the read sees it.
        const heard = feed.latest;
        const batch = await readFeed(store, tenant, { ...query, after });
        if (batch.length > 0) after = batch[batch.length - 1].position;
        if (batch.length > 0 || first) yield batch;
        first = false;
        // A full page may have more behind it; a short one read everything up to `heard`.
        if (batch.length === query.limit) continue;
        await feed.wait(Math.max(heard, after), this.safetyMs, stop);
      }
    } finally {
      this.release(tenant, feed);
    }
  }

  /** Tenants with a live stream on this node (each holds no subscription of its own). */
  watchedTenants(): number {
    return this.tenants.size;
  }

  /** Whether this node listens for position notices: while at least one stream is open. */
  get subscribed(): boolean {
    return this.unsubscribe !== undefined;
  }

  /** Ends every stream's wait and drops the subscription (shutdown); streams then finish. */
  close(): void {
    this.closed = true;
    for (const feed of this.tenants.values()) feed.wakeAll();
    this.tenants.clear();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private acquire(tenant: string): TenantFeed {
    this.unsubscribe ??= this.bus.subscribe(FEED_POSITIONS_SUBJECT, (data) => {
      for (const [t, position] of positionsOf(data)) this.tenants.get(t)?.heard(position);
    });
    let feed = this.tenants.get(tenant);
    if (!feed) {
      feed = new TenantFeed();
      this.tenants.set(tenant, feed);
    }
    feed.streams++;
    return feed;
  }

  private release(tenant: string, feed: TenantFeed): void {
    feed.streams--;
    if (feed.streams > 0 || this.tenants.get(tenant) !== feed) return;
    this.tenants.delete(tenant);
    if (this.tenants.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
