import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '../errors.js';

/**
 * Fixed-window counters in memory: enough for one node; the scaled shape moves them to Redis
 * with the rate limits of the access-control issue.
 */
export class Throttle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt under every key; throws a 429 with Retry-After when any is over. */
  hit(keys: string[], now = Date.now()): void {
    let retryAfter = 0;
    for (const key of keys) {
      let window = this.windows.get(key);
      if (!window || window.resetAt <= now) {
        window = { count: 0, resetAt: now + this.windowMs };
        this.windows.set(key, window);
      }
      window.count++;
      if (window.count > this.limit) retryAfter = Math.max(retryAfter, Math.ceil((window.resetAt - now) / 1000));
    }
    if (this.windows.size > 100_000) this.sweep(now);
    if (retryAfter > 0) {
      throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many sign-in attempts; try again later', undefined, { 'retry-after': String(retryAfter) });
    }
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
