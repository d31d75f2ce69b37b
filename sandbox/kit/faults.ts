/**
 * One fault vocabulary for both sandboxes:
 *
 *   { match: { method?, path?, route? }, status | latency | drop | login401, rate? | count?, retryAfterSec?, seed? }
 *
 * `match.path` is a substring of the request path, `match.route` a substring of the route key
 * (`METHOD /template`), `match.method` the HTTP method; with no `match` a fault applies to the
 * vendor's default scope (every API call; NetSuite leaves its token endpoint out). `count` fires the
 * next n matching requests (default 1); `rate` (0..1) fires that fraction, unlimited unless `count`
 * is also given. Per request every matching latency fires (delays add up) and the first terminal
 * fault (status, drop, login401) answers; later terminal faults stay armed. Vendors keep their own
 * side effects (`effect`, e.g. NetSuite's token revocation, Anaplan's task failures) in the same rules.
 */
import { z } from 'zod';
import { rng } from '../demo-company';

const Match = z
  .object({
    method: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    route: z.string().min(1).optional(),
  })
  .strict();

export const KitFaultSpecSchema = z
  .object({
    match: Match.optional(),
    status: z.number().int().min(400).max(599).optional(),
    latency: z.number().int().min(0).max(600_000).optional(),
    drop: z.literal(true).optional(),
    login401: z.literal(true).optional(),
    retryAfterSec: z.number().min(0).optional(),
    rate: z.number().min(0).max(1).optional(),
    count: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
  })
  .strict()
  .refine((f) => [f.status !== undefined, f.latency !== undefined, f.drop, f.login401].filter(Boolean).length === 1, {
    message: 'a fault has exactly one of status, latency, drop, login401',
  });

export type KitFaultSpec = z.infer<typeof KitFaultSpecSchema>;

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

/** Parses a fault in the kit dialect; the message names the offending field. */
export function parseKitFault(input: unknown): KitFaultSpec {
  const r = KitFaultSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new FaultSpecError(`fault ${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`);
}

/** True for bodies in the kit dialect (legacy bodies carry `kind`). */
export const isKitFault = (body: unknown): boolean => typeof body === 'object' && body !== null && !('kind' in body);

export type Effect = 'status' | 'latency' | 'drop' | 'login401';

export interface FaultRule {
  id: number;
  match?: z.infer<typeof Match>;
  /** Kit effect, or a vendor effect name (handled by the vendor). */
  effect: Effect | string;
  status?: number;
  latency?: number;
  retryAfterSec?: number;
  rate?: number;
  /** Firings left; null = unlimited. */
  remaining: number | null;
  fired: number;
  /** Key in `faultsFired` (a legacy `kind` keeps its name there). */
  label: string;
  /** The `kind` of a rule added in a sandbox's original body, still shown so existing readers work. */
  kind?: string;
  /** Vendor-specific extra fields (e.g. a task fault's duration). */
  extra?: Record<string, unknown>;
}

export interface RequestKey {
  method: string;
  path: string;
  route: string;
}

export interface Drawn {
  latencyMs: number;
  terminal?: FaultRule;
  /** Vendor side effects that fired (non-terminal). */
  sideEffects: FaultRule[];
  /** Every rule that fired, for statistics. */
  fired: FaultRule[];
}

const TERMINAL = new Set(['status', 'drop', 'login401']);

export interface FaultSetOptions {
  /** Requests a fault without `match` applies to. */
  defaultScope?: (req: RequestKey) => boolean;
  /** Shared random source for `rate`; otherwise each rule draws from `seed` (or its id). */
  random?: () => number;
  /** Vendor effects that end the request (answered by the vendor); others are side effects. */
  terminalEffects?: string[];
}

export class FaultSet {
  private rules: Array<FaultRule & { random: () => number }> = [];
  private nextId = 1;
  private readonly terminal: Set<string>;

  constructor(private readonly options: FaultSetOptions = {}) {
    this.terminal = new Set([...TERMINAL, ...(options.terminalEffects ?? [])]);
  }

  /** Adds a kit-dialect fault (validated). */
  add(input: unknown): FaultRule {
    const f = parseKitFault(input);
    const effect: Effect =
      f.status !== undefined ? 'status' : f.latency !== undefined ? 'latency' : f.drop ? 'drop' : 'login401';
    return this.addRule({
      match: f.match,
      effect,
      status: f.status,
      latency: f.latency,
      retryAfterSec: f.retryAfterSec,
      rate: f.rate,
      count: f.count,
      seed: f.seed,
      label: effect,
    });
  }

  /** Adds an already-validated rule (vendors translating their legacy bodies or adding vendor effects). */
  addRule(r: {
    match?: FaultRule['match'];
    effect: string;
    status?: number;
    latency?: number;
    retryAfterSec?: number;
    rate?: number;
    count?: number;
    seed?: number;
    label: string;
    kind?: string;
    extra?: Record<string, unknown>;
  }): FaultRule {
    const id = this.nextId++;
    const random = r.seed !== undefined ? rng(r.seed) : (this.options.random ?? rng(id * 7919));
    const remaining = r.count ?? (r.rate === undefined ? 1 : null);
    const rule = {
      id,
      match: r.match,
      effect: r.effect,
      status: r.status,
      latency: r.latency,
      retryAfterSec: r.retryAfterSec,
      rate: r.rate,
      remaining,
      fired: 0,
      label: r.label,
      kind: r.kind,
      extra: r.extra,
      random,
    };
    this.rules.push(rule);
    return view(rule);
  }

  private matches(rule: FaultRule, req: RequestKey): boolean {
    const m = rule.match;
    if (m === undefined || (m.path === undefined && m.route === undefined && m.method === undefined))
      return this.options.defaultScope?.(req) ?? true;
    if (m.method !== undefined && m.method.toUpperCase() !== req.method.toUpperCase()) return false;
    if (m.path !== undefined && !req.path.includes(m.path)) return false;
    if (m.route !== undefined && !req.route.includes(m.route)) return false;
    return true;
  }

  private fire(rule: FaultRule & { random: () => number }): boolean {
    if (rule.rate !== undefined && rule.random() >= rule.rate) return false;
    rule.fired++;
    if (rule.remaining !== null) rule.remaining--;
    return true;
  }

  private prune(): void {
    this.rules = this.rules.filter((r) => r.remaining === null || r.remaining > 0);
  }

  /** The request faults that fire for this request (counts consumed here). */
  draw(req: RequestKey, requestEffects?: (effect: string) => boolean): Drawn {
    const out: Drawn = { latencyMs: 0, sideEffects: [], fired: [] };
    for (const r of this.rules) {
      if (requestEffects && !requestEffects(r.effect)) continue;
      if (!this.matches(r, req)) continue;
      const terminal = this.terminal.has(r.effect);
      if (terminal && out.terminal) continue;
      if (!this.fire(r)) continue;
      out.fired.push(r);
      if (r.effect === 'latency') out.latencyMs += r.latency ?? 0;
      else if (terminal) out.terminal = r;
      else out.sideEffects.push(r);
    }
    this.prune();
    return out;
  }

  /** Fires the first armed rule with one of these effects (faults that are not about a request, e.g. tasks). */
  take(effects: string[]): FaultRule | undefined {
    for (const r of this.rules) {
      if (!effects.includes(r.effect)) continue;
      if (this.fire(r)) {
        this.prune();
        return r;
      }
    }
    return undefined;
  }

  list(): FaultRule[] {
    return this.rules.map(view);
  }

  clear(): void {
    this.rules = [];
  }
}

function view(r: FaultRule & { random?: () => number }): FaultRule {
  const { random: _random, ...rest } = r;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as unknown as FaultRule;
}
