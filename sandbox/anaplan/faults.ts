/**
 * Anaplan's faults on the kit's FaultSet (sandbox/kit/faults.ts): HTTP statuses (429 with
 * Retry-After, 5xx, 409/423 busy), latency, dropped connections and `login401` per request, plus the
 * Anaplan-only task faults — each one-shot (`count`) or as a rate (`rate` 0..1). The original body
 * (`{kind, path?, method?, …}`) is still accepted and translated.
 */
import { rng } from '../demo-company';
import { FaultSet, FaultSpecError, isKitFault, type FaultRule, type KitFaultSpec } from '../kit/faults';

/** `task-failed-no-result`: the task ends `currentStep: "Failed."` with no `result` at all (docs/anaplan.md §16). */
export type FaultKind = 'status' | 'latency' | 'drop' | 'task-failure' | 'task-failed-no-result';
export const FAULT_KINDS: FaultKind[] = ['status', 'latency', 'drop', 'task-failure', 'task-failed-no-result'];
const TASK_EFFECTS = ['task-failure', 'task-failed-no-result'];

/** The Anaplan sandbox's original fault body. */
export interface FaultSpec {
  kind: FaultKind;
  /** For `status`: the HTTP status to answer (429, 500, 503, 409, 423…). */
  status?: number;
  /** For 429/503: Retry-After seconds to send (omitted when undefined, as Anaplan may). */
  retryAfterSec?: number;
  /** For `latency`: added delay before the request is handled. */
  latencyMs?: number;
  /** Substring of the request path (e.g. `/files/`); all paths when absent. Never matches `/__sandbox/`. */
  path?: string;
  method?: string;
  /** How many times it fires; unlimited when absent and `rate` is set. Defaults to 1. */
  count?: number;
  /** Probability per matching request/task; defaults to 1. */
  rate?: number;
}

export type { FaultRule };

export interface RequestFaults {
  latencyMs: number;
  status?: FaultRule;
  drop: boolean;
  login401: boolean;
  fired: FaultRule[];
}

export class Faults {
  readonly set: FaultSet;
  /** Fixed task run time override (ms), set by the `task-duration` control. */
  taskDurationMs?: number;
  /** Told of every task fault that fires (request faults are counted by the server). */
  onFired?: (rule: FaultRule) => void;

  constructor(seed: number) {
    // One random source for every rule (not one per rule), so rates replay as before the kit.
    this.set = new FaultSet({ random: rng(seed ^ 0x5eed) });
  }

  get rules(): FaultRule[] {
    return this.set.list();
  }

  /** Accepts the kit dialect (`{match, status|latency|drop|login401, rate|count}`) or the original `{kind, path, method, …}`. */
  add(spec: FaultSpec | KitFaultSpec): FaultRule {
    if (isKitFault(spec)) return this.set.add(spec);
    const f = spec as FaultSpec;
    if (!FAULT_KINDS.includes(f.kind))
      throw new FaultSpecError(`kind must be one of ${FAULT_KINDS.join(', ')}, task-duration or revoke-tokens`);
    if (f.kind === 'status' && !(Number(f.status) >= 400 && Number(f.status) <= 599))
      throw new FaultSpecError('status must be 4xx/5xx');
    const match = f.path === undefined && f.method === undefined ? undefined : { path: f.path, method: f.method };
    const common = { match, rate: f.rate, count: f.count, label: f.kind, kind: f.kind };
    if (f.kind === 'status')
      return this.set.addRule({
        ...common,
        effect: 'status',
        status: Number(f.status),
        retryAfterSec: f.retryAfterSec,
      });
    if (f.kind === 'latency') return this.set.addRule({ ...common, effect: 'latency', latency: f.latencyMs ?? 0 });
    return this.set.addRule({ ...common, effect: f.kind });
  }

  clear(): void {
    this.set.clear();
    this.taskDurationMs = undefined;
  }

  /** Request-level faults that fire for this request, in rule order (latency adds up, then one status/drop/login401). */
  forRequest(method: string, path: string, route: string): RequestFaults {
    const d = this.set.draw({ method, path, route }, (effect) => !TASK_EFFECTS.includes(effect));
    const t = d.terminal;
    return {
      latencyMs: d.latencyMs,
      status: t?.effect === 'status' ? t : undefined,
      drop: t?.effect === 'drop',
      login401: t?.effect === 'login401',
      fired: d.fired,
    };
  }

  /** How the next task fails, if a task fault fires: with a `successful:false` result, or with none. */
  takeTaskFailure(): 'result' | 'no-result' | false {
    const r = this.set.take(TASK_EFFECTS);
    if (!r) return false;
    this.onFired?.(r);
    return r.effect === 'task-failure' ? 'result' : 'no-result';
  }
}
