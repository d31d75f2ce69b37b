/**
 * Caps in-flight requests (NetSuite: under the account's concurrency governance limit).
 * FIFO so that a long SuiteQL scan cannot starve a journal upsert.
 *
 * The cap can be lowered at run time when the server says (in its own way) that we are over its
 * limit — NetSuite sometimes answers that with 401 "Invalid login attempt" instead of 429
 * (docs/netsuite.md §6.3, §12) — and climbs back one step per `RECOVER_AFTER` successes.
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
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
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
