import { createHmac } from 'node:crypto';
import type { Bus } from '../bus/bus.js';
import type { EventsConfig } from '../config.js';
import type { Store } from '../store/types.js';
import { claimDue, fanOut, reclaimExpired, recordAttempts, releaseClaims, type AttemptResult, type ClaimedDelivery } from './deliveries.js';
import { sequenceEvents } from './outbox.js';
import { publishEvents } from './publisher.js';
import { pruneEvents } from './retention.js';

const BATCH = 500;
const RESPONSE_LOG_CHARS = 1024;
const RECLAIM_EVERY_MS = 1000;
const PRUNE_EVERY_MS = 60_000;
// Commits wake the dispatcher; rounds at most this often let a burst of commits share one round.
const MIN_ROUND_MS = 20;

/** `webhook-signature` of Standard Webhooks: one `v1,` signature per live secret. */
export function signatureHeader(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`)
    .join(' ');
}

/** Exponential backoff with equal jitter: half the step is fixed, half random, so retries spread out. */
export function backoffMs(config: Pick<EventsConfig, 'backoffBaseMs' | 'backoffMaxMs'>, attempt: number, random = Math.random): number {
  const step = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** A claimed delivery waiting for a free slot, with the moment its lease runs out (local clock). */
interface ReadyDelivery {
  delivery: ClaimedDelivery;
  leaseEndsAt: number;
}

export interface DispatcherStats {
  delivered: number;
  failed: number;
  published: number;
}

/**
 * The worker role of the event plane: sequences committed events, publishes them on the bus,
 * fans them out to webhook endpoints and delivers them. Several dispatchers may run against one
 * database: every step locks what it works on with SKIP LOCKED or leases, and everything it has
 * not recorded is redone after a crash, so `kill -9` loses nothing.
 */
export class EventDispatcher {
  readonly stats: DispatcherStats = { delivered: 0, failed: 0, published: 0 };
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private nudged = false;
  private inFlight = 0;
  /**
   * Claimed ahead, up to one more slot's worth each: a slot that frees is refilled at once. Under
   * load a round waits behind the API's statements, and filling slots only once per round capped
   * delivery at `concurrency` per round however fast the receiver answered.
   */
  private readonly ready: ReadyDelivery[] = [];
  /** Claimed but held past the point where an attempt could still finish within the lease. */
  private stale: ClaimedDelivery[] = [];
  private finished: AttemptResult[] = [];
  private lastReclaim = 0;
  private lastPrune = 0;
  private lastSweep = 0;
  /** The last publish or fan-out moved events: there may be more behind. */
  private backlog = false;
  /** The last claim filled every free slot: more may be due. */
  private claimedFull = false;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly config: EventsConfig,
    private readonly log: (message: string, error?: unknown) => void = () => undefined,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New events were committed: run a round now instead of after the idle wait. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /** Stops claiming, lets attempts in flight finish (each is bounded by its timeout) and records them. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    const unsent = [...this.stale.splice(0), ...this.ready.splice(0).map((r) => r.delivery)];
    await releaseClaims(this.store, unsent).catch((error) => this.log('releasing unsent webhook deliveries failed', error));
    await Promise.all(this.sending);
    await recordAttempts(this.store, this.finished.splice(0)).catch((error) => this.log('recording webhook attempts failed', error));
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      let worked = false;
      try {
        worked = await this.round();
      } catch (error) {
        this.log('event dispatcher round failed', error);
      }
      if (!worked && this.running && !this.nudged) await this.idle();
      this.nudged = false;
      const rest = MIN_ROUND_MS - (Date.now() - started);
      if (rest > 0 && this.running) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.config.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }

  /**
   * One pass over every step; true when any step found work, so the next round follows at once.
   * Steps that can only have work after an earlier one found some are skipped otherwise, except
   * once per poll interval (another worker may have sequenced, a retry may have come due): on
   * PGlite's one connection every idle statement is taken from the writes.
   */
  async round(): Promise<boolean> {
    const sweep = Date.now() - this.lastSweep >= this.config.pollMs;
    if (sweep) this.lastSweep = Date.now();
    // One batch per round: under steady writes a sequencing loop would never yield to delivery.
    const sequenced = await sequenceEvents(this.store, BATCH);
    let moved = 0;
    if (sequenced > 0 || sweep || this.backlog) {
      const published = await publishEvents(this.store, this.bus, BATCH);
      this.stats.published += published;
      moved = published + (await fanOut(this.store, BATCH));
      this.backlog = moved > 0;
    }
    const results = await this.housekeeping();
    if (!this.running) return false;
    let claimed: ClaimedDelivery[] = [];
    const room = 2 * this.config.concurrency - this.inFlight - this.ready.length;
    if (moved > 0 || results > 0 || sweep || this.claimedFull) {
      const leaseMs = this.leaseMs();
      // Counted from before the claim: the database starts the lease during it.
      const leaseEndsAt = Date.now() + leaseMs;
      claimed = await claimDue(this.store, room, leaseMs);
      this.claimedFull = room > 0 && claimed.length === room;
      this.ready.push(...claimed.map((delivery) => ({ delivery, leaseEndsAt })));
      this.fill();
    }
    return sequenced + moved + results + claimed.length > 0;
  }

  /**
   * Long enough to wait for a slot (at most one attempt's timeout, since every slot frees within
   * it) and then to run the attempt: no other worker retries an attempt still running.
   */
  private leaseMs(): number {
    return 3 * this.config.timeoutMs + 1000;
  }

  /** Starts claimed deliveries while slots are free; one whose lease could run out mid-attempt is released instead. */
  private fill(): void {
    while (this.running && this.inFlight < this.config.concurrency && this.ready.length > 0) {
      const { delivery, leaseEndsAt } = this.ready.shift()!;
      if (leaseEndsAt - Date.now() < 1.5 * this.config.timeoutMs + 1000) this.stale.push(delivery);
      else this.send(delivery);
    }
  }

  /** Records finished attempts, reclaims expired leases and prunes, each when due; returns attempts recorded. */
  private async housekeeping(): Promise<number> {
    let reclaimed = 0;
    if (Date.now() - this.lastReclaim > RECLAIM_EVERY_MS) {
      this.lastReclaim = Date.now();
      reclaimed = await reclaimExpired(this.store);
    }
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await pruneEvents(this.store, this.config.retentionMs);
    }
    await releaseClaims(this.store, this.stale.splice(0));
    const results = this.finished.splice(0);
    await recordAttempts(this.store, results);
    for (const dead of results.filter((r) => r.outcome === 'dead')) {
      this.log(`webhook of client ${dead.delivery.client_id} (tenant ${dead.delivery.tenant_id}) paused: event ${dead.delivery.event_id} failed ${dead.delivery.attempts} attempts`, dead.error);
    }
    return results.length + reclaimed;
  }

  private send(delivery: ClaimedDelivery): void {
    this.inFlight++;
    const attempt = this.attempt(delivery).then((result) => {
      this.finished.push(result);
      if (result.outcome === 'delivered') this.stats.delivered++;
      else this.stats.failed++;
    }).finally(() => {
      this.inFlight--;
      this.sending.delete(attempt);
      this.fill();
      this.nudge();
    });
    this.sending.add(attempt);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<AttemptResult> {
    const startedAt = new Date();
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const body = JSON.stringify(delivery.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Stratum-Webhooks/1',
      'webhook-id': delivery.event_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(delivery.secrets, delivery.event_id, timestamp, body),
      'stratum-event-position': String(delivery.position),
      'stratum-document-version': String(delivery.version),
      'stratum-tenant': delivery.tenant_id,
    };
    if (delivery.authorization_header) headers.authorization = delivery.authorization_header;
    let statusCode: number | null = null;
    let error: string | null = null;
    let response: string | null = null;
    try {
      // Redirects are not followed: a webhook URL that moved is a configuration to fix, not to guess.
      const res = await fetch(delivery.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
      statusCode = res.status;
      response = (await res.text()).slice(0, RESPONSE_LOG_CHARS);
      if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
    } catch (cause) {
      error = describe(cause);
    }
    const durationMs = Date.now() - startedAt.getTime();
    const base = { delivery, startedAt, durationMs, statusCode, error, response };
    if (error === null) return { ...base, outcome: 'delivered', nextAttemptAt: null };
    if (delivery.attempts >= this.config.maxAttempts) return { ...base, outcome: 'dead', nextAttemptAt: null };
    return { ...base, outcome: 'retry', nextAttemptAt: new Date(Date.now() + backoffMs(this.config, delivery.attempts)) };
  }
}

function describe(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'timed out';
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
  return `request failed: ${detail}`.slice(0, 500);
}
