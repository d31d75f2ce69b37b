import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Caps in-flight requests (NetSuite: under the account's concurrency governance limit).
 * FIFO among requests of one priority, so that a long SuiteQL scan cannot starve a journal upsert.
 * A caller may run its requests at a higher priority (`withRequestPriority`): waiting requests of
 * a higher priority go first — e.g. the extraction of a cycle with more steps after it than another
 * cycle sharing the account — and a waiter passed over `PASSES_PER_STEP` times rises one step, so
 * no request waits forever behind a stream of higher ones.
 *
 * The cap can be lowered at run time when the server says (in its own way) that we are over its
 * limit — NetSuite sometimes answers that with 401 "Invalid login attempt" instead of 429
 * (docs/netsuite.md §6.3, §12) — and climbs back one step per `RECOVER_AFTER` successes.
 */
const RECOVER_AFTER = 20;
/** A waiter passed over this many times by higher-priority admissions rises one priority step. */
export const PASSES_PER_STEP = 10;

const priorityStore = new AsyncLocalStorage<number>();

/** Runs `fn` with the requests it makes under any `ConcurrencyLimiter` queued at `priority` (default 0). */
export function withRequestPriority<T>(priority: number, fn: () => T): T {
  return priorityStore.run(priority, fn);
}

interface Waiter {
  priority: number;
  passed: number;
  go: () => void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];
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
      this.waiters.push({
        priority: priorityStore.getStore() ?? 0,
        passed: 0,
        go: () => {
          this.admit();
          resolve();
        },
      }),
    );
  }

  private release(): void {
    this.active--;
    this.drain();
  }

  private drain(): void {
    while (this.active < this.current && this.waiters.length > 0) {
      // The highest (aged) priority; the earliest among equals. Those ahead of it are passed over.
      const rank = (w: Waiter) => w.priority + Math.floor(w.passed / PASSES_PER_STEP);
      let best = 0;
      for (let i = 1; i < this.waiters.length; i++) if (rank(this.waiters[i]!) > rank(this.waiters[best]!)) best = i;
      for (let i = 0; i < best; i++) this.waiters[i]!.passed++;
      this.waiters.splice(best, 1)[0]!.go();
    }
  }
}
