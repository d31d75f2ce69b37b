/**
 * Concurrency governance, request statistics and fault injection. NetSuite counts every REST
 * request against one account-wide concurrency limit and rejects the excess with HTTP 429
 * (docs/netsuite.md §6.2–6.3); faults let tests reproduce the bad days.
 */
import {
  FaultSet,
  FaultSpecError,
  isKitFault,
  type Drawn,
  type FaultRule,
  type KitFaultSpec,
  type RequestKey,
} from '../kit/faults';
import { RequestStats } from '../kit/stats';
import { TOKEN_PATH } from './auth';

/**
 * How the account answers a request over its concurrency limit. REST documents 429 (§6.3), but
 * refusals have been reported to come back as 401 "Invalid login attempt" after about 60 s
 * (§12, julbrs/netsuite-api-client#26): '401' plays that alternative, after `delayMs`.
 */
export interface OverLimitBehaviour {
  response: '429' | '401';
  delayMs: number;
}

export function parseOverLimit(
  input: { response?: unknown; delayMs?: unknown },
  current: OverLimitBehaviour,
): OverLimitBehaviour {
  const response = input.response ?? current.response;
  const delayMs = input.delayMs === undefined ? current.delayMs : Number(input.delayMs);
  if (response !== '429' && response !== '401') throw new Error("overLimitResponse must be '429' or '401'");
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 120_000)
    throw new Error('overLimitDelayMs must be an integer between 0 and 120000');
  return { response, delayMs };
}

export type FaultKind = 'latency' | '429' | '5xx' | 'drop' | 'revoke-token';
export const FAULT_KINDS: FaultKind[] = ['latency', '429', '5xx', 'drop', 'revoke-token'];

/** The NetSuite sandbox's original fault body, still accepted (translated to the kit vocabulary). */
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

/**
 * Faults of one account on the kit's FaultSet. Without `match` a fault covers every REST call but the
 * token endpoint; `revoke-token` is NetSuite's own side effect (the presented token dies → 401).
 */
export class FaultRegistry {
  readonly set = new FaultSet({ defaultScope: (r) => r.path !== TOKEN_PATH });

  /** Accepts the kit dialect (`{match, status|latency|drop|login401, rate|count}`) or the original `{kind, route, …}`. */
  add(spec: FaultSpec | KitFaultSpec): number {
    if (isKitFault(spec)) return this.set.add(spec).id;
    const f = spec as FaultSpec;
    if (!FAULT_KINDS.includes(f.kind)) throw new FaultSpecError(`kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (f.rate !== undefined && !(f.rate >= 0 && f.rate <= 1)) throw new FaultSpecError('rate must be between 0 and 1');
    if (f.count !== undefined && !(Number.isInteger(f.count) && f.count > 0))
      throw new FaultSpecError('count must be a positive integer');
    const common = {
      match: f.route === undefined ? undefined : { route: f.route },
      rate: f.rate,
      count: f.count,
      seed: f.seed,
      label: f.kind,
      kind: f.kind,
      retryAfterSec: f.retryAfterSec,
    };
    if (f.kind === 'latency')
      return this.set.addRule({ ...common, effect: 'latency', latency: f.latencyMs ?? 1000 }).id;
    if (f.kind === '429') return this.set.addRule({ ...common, effect: 'status', status: 429 }).id;
    if (f.kind === '5xx') return this.set.addRule({ ...common, effect: 'status', status: f.status ?? 503 }).id;
    return this.set.addRule({ ...common, effect: f.kind }).id;
  }

  draw(req: RequestKey): Drawn {
    return this.set.draw(req);
  }

  list(): FaultRule[] {
    return this.set.list();
  }

  clear(): void {
    this.set.clear();
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
  /** The kit's statistics (`{requests: {route: n}, faultsFired}`), served at `/__sandbox/requests`. */
  readonly kit = new RequestStats();

  get faultsFired(): Record<string, number> {
    return this.kit.faultsFired;
  }

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

  /** Every request, by route and status (refusals over the limit and injected faults included). */
  record(route: string, status: number | 'dropped'): void {
    const byStatus = (this.requests[route] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  }

  fault(label: string): void {
    this.kit.fault(label);
  }

  reset(): void {
    this.requests = {};
    this.peakConcurrency = this.inFlight;
    this.peakAttempted = this.attempted;
    this.rejectedOverLimit = 0;
    this.kit.reset();
  }

  snapshot() {
    return {
      concurrencyLimit: this.concurrencyLimit,
      inFlight: this.inFlight,
      peakConcurrency: this.peakConcurrency,
      peakAttempted: this.peakAttempted,
      rejectedOverLimit: this.rejectedOverLimit,
      faultsFired: { ...this.faultsFired },
      requests: this.requests,
    };
  }
}
