/**
 * One statistics shape for both sandboxes: `{requests: {route: n}, faultsFired: {label: n}}`, where the
 * route is `METHOD /template` (ids replaced) so tests count calls per endpoint, not per record.
 * The control plane is never counted. Vendors may keep richer counters next to it (NetSuite's
 * per-status counts and concurrency peaks).
 */
export interface KitStatsSnapshot {
  requests: Record<string, number>;
  faultsFired: Record<string, number>;
}

export class RequestStats {
  requests: Record<string, number> = {};
  faultsFired: Record<string, number> = {};

  record(route: string): void {
    this.requests[route] = (this.requests[route] ?? 0) + 1;
  }

  fault(label: string): void {
    this.faultsFired[label] = (this.faultsFired[label] ?? 0) + 1;
  }

  reset(): void {
    this.requests = {};
    this.faultsFired = {};
  }

  snapshot(): KitStatsSnapshot {
    return { requests: { ...this.requests }, faultsFired: { ...this.faultsFired } };
  }
}
