import type { Redis } from 'ioredis';
import { connectRedis } from './rate-limiter.js';

/** What an `add` decided, and the counter's value after it. */
export interface CounterResult {
  allowed: boolean;
  total: number;
}

export interface AddOptions {
  /** Refuse (and leave the counter as it is) when the total would pass this. */
  limit?: number;
  /** The value a missing counter starts from (what the database already knows). */
  seed: number;
  /** How long the counter lives after this write. */
  ttlMs: number;
}

/**
 * Usage counters (DESIGN 6.5): in this process in the embedded shape, in Redis with REDIS_URL
 * so every node counts against the same total. Check and add are one atomic step, so two nodes
 * can never both take the last unit of a quota.
 */
export interface Counters {
  readonly kind: 'memory' | 'redis';
  add(key: string, n: number, options: AddOptions): Promise<CounterResult>;
  /** The counter's value; `undefined` when it does not exist (never written, expired, or Redis lost it). */
  get(key: string): Promise<number | undefined>;
  /** Raises the counter to at least `value` (what the database knows after other nodes added theirs). */
  raise(key: string, value: number, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCounters implements Counters {
  readonly kind = 'memory' as const;
  private readonly values = new Map<string, { value: number; expiresAt: number }>();
  private sweptAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.sweptAt = now();
  }

  private live(key: string): { value: number; expiresAt: number } | undefined {
    const entry = this.values.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }

  async add(key: string, n: number, options: AddOptions): Promise<CounterResult> {
    this.sweep();
    const entry = this.live(key) ?? { value: options.seed, expiresAt: 0 };
    entry.expiresAt = this.now() + options.ttlMs;
    this.values.set(key, entry);
    if (options.limit !== undefined && entry.value + n > options.limit) return { allowed: false, total: entry.value };
    entry.value += n;
    return { allowed: true, total: entry.value };
  }

  async get(key: string): Promise<number | undefined> {
    return this.live(key)?.value;
  }

  async raise(key: string, value: number, ttlMs: number): Promise<void> {
    const entry = this.live(key);
    if (!entry || entry.value < value) this.values.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  /** Drops expired counters now and then, so past months and idle tenants do not pile up. */
  private sweep(): void {
    const now = this.now();
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, entry] of this.values) if (entry.expiresAt <= now) this.values.delete(key);
  }

  async close(): Promise<void> {
    this.values.clear();
  }
}

// One round trip: start a missing counter at the seed, refuse past the limit, else add.
const ADD = `local v = redis.call('GET', KEYS[1])
if v then v = tonumber(v) else v = tonumber(ARGV[3]) end
local n = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
if limit >= 0 and v + n > limit then return {0, v} end
return {1, redis.call('INCRBY', KEYS[1], n)}`;

const RAISE = `local v = redis.call('GET', KEYS[1])
if (not v) or tonumber(v) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

export class RedisCounters implements Counters {
  readonly kind = 'redis' as const;

  private constructor(private readonly redis: Redis) {}

  static async open(url: string): Promise<RedisCounters> {
    return new RedisCounters(await connectRedis(url));
  }

  async add(key: string, n: number, options: AddOptions): Promise<CounterResult> {
    const [allowed, total] = (await this.redis.eval(ADD, 1, `stratum:usage:${key}`, n, options.limit ?? -1, options.seed, Math.max(1, Math.ceil(options.ttlMs)))) as [number, number];
    return { allowed: allowed === 1, total: Number(total) };
  }

  async get(key: string): Promise<number | undefined> {
    const value = await this.redis.get(`stratum:usage:${key}`);
    return value === null ? undefined : Number(value);
  }

  async raise(key: string, value: number, ttlMs: number): Promise<void> {
    await this.redis.eval(RAISE, 1, `stratum:usage:${key}`, value, Math.max(1, Math.ceil(ttlMs)));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export function openCounters(redisUrl: string | undefined): Promise<Counters> {
  return redisUrl ? RedisCounters.open(redisUrl) : Promise.resolve(new MemoryCounters());
}
