/**
 * Fault injection for the control plane (STYLE.md §16): HTTP statuses (429 with Retry-After, 5xx,
 * 409/423 busy), latency, dropped connections, task failures and task duration — each one-shot
 * (`count`) or as a rate (`rate` 0..1), optionally limited to a path substring and method.
 */
import { rng } from '../demo-company';

/** `task-failed-no-result`: the task ends `currentStep: "Failed."` with no `result` at all (reference §16). */
export type FaultKind = 'status' | 'latency' | 'drop' | 'task-failure' | 'task-failed-no-result';

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

export interface FaultRule extends FaultSpec {
  id: number;
  fired: number;
}

export class Faults {
  rules: FaultRule[] = [];
  /** Fixed task run time override (ms), set by the `task-duration` control. */
  taskDurationMs?: number;
  private nextId = 1;
  private random: () => number;

  constructor(seed: number) {
    this.random = rng(seed ^ 0x5eed);
  }

  add(spec: FaultSpec): FaultRule {
    const rule: FaultRule = { ...spec, count: spec.count ?? (spec.rate === undefined ? 1 : undefined), id: this.nextId++, fired: 0 };
    this.rules.push(rule);
    return rule;
  }

  clear(): void {
    this.rules = [];
    this.taskDurationMs = undefined;
  }

  private fire(rule: FaultRule): boolean {
    if (rule.rate !== undefined && this.random() >= rule.rate) return false;
    rule.fired++;
    if (rule.count !== undefined) {
      rule.count--;
      if (rule.count <= 0) this.rules = this.rules.filter((r) => r !== rule);
    }
    return true;
  }

  /** Request-level faults that fire for this request, in rule order (latency first, then one status/drop). */
  forRequest(method: string, path: string): { latencyMs: number; status?: FaultRule; drop: boolean } {
    let latencyMs = 0;
    let status: FaultRule | undefined;
    let drop = false;
    for (const r of [...this.rules]) {
      if (r.kind === 'task-failure' || r.kind === 'task-failed-no-result') continue;
      if (r.path !== undefined && !path.includes(r.path)) continue;
      if (r.method !== undefined && r.method.toUpperCase() !== method) continue;
      if (r.kind === 'latency') {
        if (this.fire(r)) latencyMs += r.latencyMs ?? 0;
      } else if (!status && !drop && this.fire(r)) {
        if (r.kind === 'drop') drop = true;
        else status = r;
      }
    }
    return { latencyMs, status, drop };
  }

  /** How the next task fails, if a task fault fires: with a `successful:false` result, or with none. */
  takeTaskFailure(): 'result' | 'no-result' | false {
    for (const r of [...this.rules]) {
      if (r.kind === 'task-failure' && this.fire(r)) return 'result';
      if (r.kind === 'task-failed-no-result' && this.fire(r)) return 'no-result';
    }
    return false;
  }
}
