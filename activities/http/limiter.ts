import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Caps in-flight requests (NetSuite: under the account's concurrency governance limit).
 * FIFO among requests of one priority, so that a long SuiteQL scan cannot starve a journal upsert.
 * A caller may run its requests at a higher priority (`withRequestPriority`): waiting requests of
 * a higher priority go first — e.g. the extraction of a cycle with more steps after it than another
 * cycle sharing the account — and a waiter passed over `PASSES_PER_STEP` times rises one step, so
 * no request waits forever behind a stream of higher ones. A caller's next request usually comes a
 * few milliseconds after its last answer (it reads the page first), too late to find its slot
 * free: so a slot freed by a request of priority above 0 is held for that priority for up to
 * `HOLD_MS` before a lower waiter gets it (anticipation; requests at the default priority 0 hold
 * nothing, so a limiter without priorities works exactly as a FIFO one).
 *
 * The cap can be lowered at run time when the server says (in its own way) that we are over its
 * limit — NetSuite sometimes answers that with 401 "Invalid login attempt" instead of 429
 * (docs/netsuite.md §6.3, §12) — and climbs back one step per `RECOVER_AFTER` successes.
 */
const RECOVER_AFTER = 20;
/** A waiter passed over this many times by higher-priority admissions rises one priority step. */
export const PASSES_PER_STEP = 10;
/** How long a slot freed by a prioritised request waits for that priority's next request. */
export const HOLD_MS = 100;

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

const rank = (w: Waiter) => w.priority + Math.floor(w.passed / PASSES_PER_STEP);

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  /** Free slots held for a priority (and any higher) until their timer gives them back. */
  private readonly holds: Array<{ priority: number; timer: NodeJS.Timeout }> = [];
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
    const priority = priorityStore.getStore() ?? 0;
    await this.acquire(priority);
    try {
      return await fn();
    } finally {
      this.release(priority);
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

  private acquire(priority: number): Promise<void> {
    // A slot held for this priority (or a lower one) is this request's at once.
    const held = this.holds.findIndex((h) => h.priority <= priority);
    if (held >= 0) {
      clearTimeout(this.holds.splice(held, 1)[0]!.timer);
      this.admit();
      return Promise.resolve();
    }
    if (this.free() > 0 && this.waiters.length === 0) {
      this.admit();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiters.push({
        priority,
        passed: 0,
        go: () => {
          this.admit();
          resolve();
        },
      }),
    );
  }

  /** Slots neither in flight nor held. */
  private free(): number {
    return this.current - this.active - this.holds.length;
  }

  private release(priority: number): void {
    this.active--;
    // Held for the next request of this priority unless a waiter of at least it is already here.
    if (
      priority > 0 &&
      this.active + this.holds.length < this.current &&
      !this.waiters.some((w) => rank(w) >= priority)
    ) {
      const hold = {
        priority,
        timer: setTimeout(() => {
          const i = this.holds.indexOf(hold);
          if (i >= 0) this.holds.splice(i, 1);
          this.drain();
        }, HOLD_MS),
      };
      this.holds.push(hold);
      return;
    }
    this.drain();
  }

  private drain(): void {
    // A held slot goes to a waiter of its priority or above (aged ones included), the best first.
    for (let h = 0; h < this.holds.length; ) {
      const best = this.best();
      if (best < 0 || rank(this.waiters[best]!) < this.holds[h]!.priority) {
        h++;
        continue;
      }
      clearTimeout(this.holds.splice(h, 1)[0]!.timer);
      this.admitWaiter(best);
    }
    while (this.free() > 0 && this.waiters.length > 0) this.admitWaiter(this.best());
  }

  /** The highest (aged) priority; the earliest among equals; -1 when nobody waits. */
  private best(): number {
    if (this.waiters.length === 0) return -1;
    let best = 0;
    for (let i = 1; i < this.waiters.length; i++) if (rank(this.waiters[i]!) > rank(this.waiters[best]!)) best = i;
    return best;
  }

  private admitWaiter(i: number): void {
    // Those ahead of the admitted one are passed over.
    for (let j = 0; j < i; j++) this.waiters[j]!.passed++;
    this.waiters.splice(i, 1)[0]!.go();
  }
}
