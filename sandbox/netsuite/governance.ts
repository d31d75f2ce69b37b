/**
 * Concurrency governance, request statistics and fault injection. NetSuite counts every REST
 * request against one account-wide concurrency limit and rejects the excess with HTTP 429
 * (../shared/reference/netsuite.md §6.2–6.3); faults let tests reproduce the bad days.
 */
import { rng } from '../demo-company';

/**
 * How the account answers a request over its concurrency limit. REST documents 429 (§6.3), but
 * refusals have been reported to come back as 401 "Invalid login attempt" after about 60 s
 * (§12, julbrs/netsuite-api-client#26): '401' plays that alternative, after `delayMs`.
 */
export interface OverLimitBehaviour {
  response: '429' | '401';
  delayMs: number;
}

export function parseOverLimit(input: { response?: unknown; delayMs?: unknown }, current: OverLimitBehaviour): OverLimitBehaviour {
  const response = input.response ?? current.response;
  const delayMs = input.delayMs === undefined ? current.delayMs : Number(input.delayMs);
  if (response !== '429' && response !== '401') throw new Error("overLimitResponse must be '429' or '401'");
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 120_000) throw new Error('overLimitDelayMs must be an integer between 0 and 120000');
  return { response, delayMs };
}

export type FaultKind = 'latency' | '429' | '5xx' | 'drop' | 'revoke-token';
export const FAULT_KINDS: FaultKind[] = ['latency', '429', '5xx', 'drop', 'revoke-token'];

export interface FaultSpec {
  kind: FaultKind;
  /** Fire on the next `count` matching requests (one-shot when 1). */
  count?: number;
  /** Fire on this fraction of matching requests (0..1), deterministically from `seed`. */
  rate?: number;
  /** Substring of `METHOD /path` the fault applies to; default every REST call except the token endpoint. */
  route?: string;
  latencyMs?: number;
  /** Status for '5xx' (default 503). */
  status?: number;
  /** Adds `Retry-After: <seconds>` to an injected 429/5xx (NetSuite documents none, §6.3). */
  retryAfterSec?: number;
  seed?: number;
}

interface ActiveFault extends FaultSpec { id: number; remaining: number; random: () => number; fired: number }

export class FaultRegistry {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): number {
    if (!FAULT_KINDS.includes(spec.kind)) throw new Error(`kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (spec.rate !== undefined && !(spec.rate >= 0 && spec.rate <= 1)) throw new Error('rate must be between 0 and 1');
    if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) throw new Error('count must be a positive integer');
    const id = this.nextId++;
    this.faults.push({ ...spec, id, remaining: spec.count ?? (spec.rate === undefined ? 1 : Infinity), random: rng(spec.seed ?? id * 7919), fired: 0 });
    return id;
  }

  /** The faults that fire for this request (counts are consumed here). */
  draw(routeKey: string, isTokenEndpoint: boolean): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.route === undefined ? isTokenEndpoint : !routeKey.includes(f.route)) continue;
      if (f.rate !== undefined && f.random() >= f.rate) continue;
      f.remaining--;
      f.fired++;
      out.push(f);
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return out;
  }

  list(): Array<FaultSpec & { id: number; fired: number; remaining: number | null }> {
    return this.faults.map(({ random: _r, remaining, ...f }) => ({ ...f, remaining: Number.isFinite(remaining) ? remaining : null }));
  }

  clear(): void {
    this.faults = [];
  }
}

export class GovernanceStats {
  /** requests[route][status] = count; route is `METHOD /template`. */
  requests: Record<string, Record<string, number>> = {};
  inFlight = 0;
  /** Highest number of requests admitted at once (never above the limit). */
  peakConcurrency = 0;
  /** Highest number of governed requests present at once, including the ones refused. */
  peakAttempted = 0;
  private attempted = 0;
  rejectedOverLimit = 0;
  faultsFired: Record<string, number> = {};

  constructor(public concurrencyLimit: number) {}

  /** A governed request arrives; false when it is over the limit and must get the 429. */
  arrive(): boolean {
    this.attempted++;
    this.peakAttempted = Math.max(this.peakAttempted, this.attempted);
    if (this.inFlight >= this.concurrencyLimit) {
      this.rejectedOverLimit++;
      return false;
    }
    this.inFlight++;
    this.peakConcurrency = Math.max(this.peakConcurrency, this.inFlight);
    return true;
  }

  /** Called just before the response is written, so a client reusing the slot is never miscounted. */
  leave(admitted: boolean): void {
    this.attempted--;
    if (admitted) this.inFlight--;
  }

  record(route: string, status: number | 'dropped'): void {
    const byStatus = (this.requests[route] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  }

  fault(kind: string): void {
    this.faultsFired[kind] = (this.faultsFired[kind] ?? 0) + 1;
  }

  reset(): void {
    this.requests = {};
    this.peakConcurrency = this.inFlight;
    this.peakAttempted = this.attempted;
    this.rejectedOverLimit = 0;
    this.faultsFired = {};
  }

  snapshot() {
    return {
      concurrencyLimit: this.concurrencyLimit,
      inFlight: this.inFlight,
      peakConcurrency: this.peakConcurrency,
      peakAttempted: this.peakAttempted,
      rejectedOverLimit: this.rejectedOverLimit,
      faultsFired: this.faultsFired,
      requests: this.requests,
    };
  }
}
