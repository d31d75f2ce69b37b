/**
 * Per-tenant request budget. 600 requests/minute is the figure third parties publish (docs/anaplan.md §9,
 * UNCONFIRMED by Anaplan); exceeding it answers 429 with Retry-After in seconds, which Anaplan's own
 * client honours (docs/anaplan.md §9). A sliding window, so bursts at a window edge are counted exactly.
 */
export class TenantBudget {
  private stamps: number[] = [];
  /** Requests answered 429 by the budget (not by injected faults). */
  limited = 0;
  admitted = 0;
  /** Largest number of admitted requests seen inside any one window. */
  peak = 0;

  constructor(
    public limit: number,
    public windowMs: number,
  ) {}

  admit(now: number): { ok: true } | { ok: false; retryAfterSec: number } {
    while (this.stamps.length > 0 && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    if (this.stamps.length >= this.limit) {
      this.limited++;
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((this.stamps[0]! + this.windowMs - now) / 1000)) };
    }
    this.stamps.push(now);
    this.admitted++;
    this.peak = Math.max(this.peak, this.stamps.length);
    return { ok: true };
  }

  reset(): void {
    this.stamps = [];
    this.limited = 0;
    this.admitted = 0;
    this.peak = 0;
  }
}
