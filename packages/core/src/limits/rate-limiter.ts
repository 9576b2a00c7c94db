import { Redis } from 'ioredis';

/** The answer for one request against one limit: what the RateLimit-* headers say. */
export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/**
 * Fixed-window counters (DESIGN 6.5): in memory in the embedded shape, in Redis when REDIS_URL is
 * set, so every API node counts against the same window.
 */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  close(): Promise<void>;
}

const result = (count: number, limit: number, resetMs: number): RateLimitResult =>
  ({ allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, resetMs) });

export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private sweptAt = Date.now();

  async hit(key: string, limit: number, windowMs: number, now = Date.now()): Promise<RateLimitResult> {
    this.sweep(now, windowMs);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return result(window.count, limit, window.endsAt - now);
  }

  /** Drops ended windows now and then, so idle keys do not pile up. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.sweptAt < Math.max(windowMs, 10_000)) return;
    this.sweptAt = now;
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}

/** A Redis connection for counters: fails fast rather than queueing while Redis is away. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
  await redis.connect();
  return redis;
}

// One round trip: count the hit, start the window on the first one, report what is left of it.
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;

  private constructor(private readonly redis: Redis) {}

  static async open(url: string): Promise<RedisRateLimiter> {
    return new RedisRateLimiter(await connectRedis(url));
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, `stratum:rl:${key}`, windowMs)) as [number, number];
    return result(count, limit, ttl < 0 ? windowMs : ttl);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export function openRateLimiter(redisUrl: string | undefined): Promise<RateLimiter> {
  return redisUrl ? RedisRateLimiter.open(redisUrl) : Promise.resolve(new MemoryRateLimiter());
}
