/**
 * Client-side request budget for one Anaplan tenant (600/min per third parties, docs/anaplan.md §9).
 *
 * Why not a plain sliding window that stamps a request when it is sent: the server counts it when it
 * arrives. With bursts and uneven latency, a request sent just inside one window can
 * arrive late and share the server's window with the next burst, so the server sees more than the
 * limit (the rate-limit test reproduces this). Here a request holds its slot while in flight and is
 * stamped when its response arrives; since the server received it before answering, every request the
 * server can count in a window ending at a new arrival is either still in flight or completed inside
 * the window — both counted here — so the server-side window never exceeds `limit`.
 */
import { sleep } from '../http';

export class TenantRequestBudget {
  private inFlight = 0;
  private completed: number[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  /** Highest number of slots (in flight + completed in window) ever in use: ≤ limit by construction. */
  peak = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`request budget must be a positive integer, got ${limit}`);
  }

  /** Waits for a slot; call the returned function once the response (status line) has arrived or the request failed. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const next = this.chain.then(() => this.waitForSlot(signal));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      const t = this.now();
      while (this.completed.length > 0 && this.completed[0]! <= t - this.windowMs) this.completed.shift();
      if (this.inFlight + this.completed.length < this.limit) {
        this.inFlight++;
        this.peak = Math.max(this.peak, this.inFlight + this.completed.length);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.inFlight--;
          this.completed.push(this.now());
        };
      }
      // Wait for the oldest completion to leave the window, or poll briefly while all slots are in flight.
      const wait = this.completed.length > 0 ? this.completed[0]! + this.windowMs - t + 1 : 10;
      await sleep(Math.max(1, Math.min(wait, 50)), signal);
    }
  }
}
