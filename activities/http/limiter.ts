import { sleep } from './retry';

/**
 * Caps in-flight requests (NetSuite: under the account's concurrency governance limit).
 * FIFO so that a long SuiteQL scan cannot starve a journal upsert.
 *
 * The cap can be lowered at run time when the server says (in its own way) that we are over its
 * limit — NetSuite sometimes answers that with 401 "Invalid login attempt" instead of 429
 * (reference §6.3, §12) — and climbs back one step per `RECOVER_AFTER` successes.
 */
const RECOVER_AFTER = 20;

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private successesSinceThrottle = 0;
  /** Current cap: `limit` unless lowered by throttle(). */
  private current: number;
  peak = 0;
  /** Requests admitted so far: lets a caller tell whether others ran while it waited for an answer. */
  admitted = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    this.current = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  get inFlight(): number {
    return this.active;
  }

  /** The cap in force now (≤ limit). */
  get cap(): number {
    return this.current;
  }

  /** The server refused us for concurrency: one fewer request in flight than we had, never below 1. */
  throttle(): void {
    this.current = Math.max(1, Math.min(this.current, this.active) - 1);
    this.successesSinceThrottle = 0;
  }

  /** A request succeeded: after enough of them a lowered cap climbs back one step. */
  succeeded(): void {
    if (this.current >= this.limit) return;
    if (++this.successesSinceThrottle >= RECOVER_AFTER) {
      this.current++;
      this.successesSinceThrottle = 0;
      this.drain();
    }
  }

  private admit(): void {
    this.active++;
    this.admitted++;
    this.peak = Math.max(this.peak, this.active);
  }

  private acquire(): Promise<void> {
    if (this.active < this.current && this.waiters.length === 0) {
      this.admit();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiters.push(() => {
        this.admit();
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.drain();
  }

  private drain(): void {
    while (this.active < this.current && this.waiters.length > 0) this.waiters.shift()!();
  }
}

/**
 * Sliding-window request budget (Anaplan: 600 requests per minute per tenant, see
 * ../shared/reference/anaplan.md). `take()` resolves when one more request fits in the window.
 */
export class WindowRateLimiter {
  private readonly stamps: number[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }

  take(signal?: AbortSignal): Promise<void> {
    // Serialize takers so the window accounting is exact under concurrency.
    const next = this.chain.then(() => this.waitForSlot(signal));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.stamps.length > 0 && this.stamps[0]! <= t - this.windowMs) this.stamps.shift();
      if (this.stamps.length < this.limit) {
        this.stamps.push(t);
        return;
      }
      await sleep(this.stamps[0]! + this.windowMs - t + 1, signal);
    }
  }
}
