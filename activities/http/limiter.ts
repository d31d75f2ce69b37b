import { sleep } from './retry';

/**
 * Caps in-flight requests (NetSuite: under the account's concurrency governance limit).
 * FIFO so that a long SuiteQL scan cannot starve a journal upsert.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
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

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      this.peak = Math.max(this.peak, this.active);
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiters.push(() => {
        this.active++;
        this.peak = Math.max(this.peak, this.active);
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.waiters.shift()?.();
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
