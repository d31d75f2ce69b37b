/**
 * Running actions (docs/anaplan.md §7): start a task, poll it with backoff to COMPLETE or CANCELLED, and
 * return a typed result with row counts. An import's failure dump is fetched and parsed at once,
 * because dumps are replaced by the next run and expire (docs/anaplan.md §7.2, §14.6). Aborting the signal
 * cancels the task on the server (DELETE) before the abort propagates.
 */
import { parse } from 'csv-parse';
import { sleep } from '../http';
import type { AnaplanClient } from './client';
import { AnaplanTaskCancelledError, AnaplanTaskFailedError, parseAnaplan } from './errors';
import { Chunk, Task, TASK_TERMINAL, type ActionType, type TaskDetail, type TaskResult } from './types';

/**
 * Poll cadence. Anaplan asks for no more than one status call per 5 s, longer for long runs
 * (docs/anaplan.md §7.3): at least 5 s apart once a task is past its early window (see `PollClock`),
 * stretching ×1.5 up to 60 s. Tests shorten it. The task's own `progress` (0.0–1.0, reference
 * §7.2) moves the next poll out to when the task should be done (`nextPollDelay`), so a long
 * import is polled about twice instead of once per backoff step.
 */
export interface PollPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** First gap while the task is young (default `EARLY_POLL_MS`); set it to `initialMs` to turn the early window off. */
  earlyMs?: number;
}
export const DEFAULT_POLL: PollPolicy = { initialMs: 5000, factor: 1.5, maxMs: 60_000 };

/**
 * Early polls and the first poll. Anaplan asks for status calls no more often than every 5 s,
 * longer for long runs (docs/anaplan.md §7.3); Anaplan Connect, Anaplan's own client, checks every second
 * during a task's first 10 s. So while a task is young (`EARLY_WINDOW_MS`) polls may come from
 * `earlyMs` (1 s) apart, stretching by `factor`; after that they are at least `initialMs` apart,
 * stretching — and each is moved out to the end the task's `progress` predicts. The first poll
 * comes at `earlyMs`, or, when this client has seen the same action run before, at its expected end
 * (+10 %), so a task of known length is usually polled once. When `initialMs ≤ earlyMs` (tests, a
 * fast sandbox) there is no early window: plain backoff from `initialMs`.
 */
export const EARLY_POLL_MS = 1000;
export const EARLY_WINDOW_MS = 10_000;
const FIRST_POLL_MARGIN = 1.1;

/** Delay before the first status call: at the expected end when one is known, else the first step. */
export function firstPollDelay(policy: PollPolicy, expectedMs: number | undefined): number {
  const early = Math.min(policy.earlyMs ?? EARLY_POLL_MS, policy.initialMs);
  if (expectedMs === undefined) return early;
  return Math.round(Math.min(policy.maxMs, Math.max(early, expectedMs * FIRST_POLL_MARGIN)));
}

/** The gap floors between polls: stretching early steps while the task is young, then the backoff from `initialMs`. */
export class PollClock {
  private earlyStep: number;
  private lateStep: number;
  private readonly hasEarly: boolean;
  constructor(private readonly policy: PollPolicy) {
    const early = policy.earlyMs ?? EARLY_POLL_MS;
    this.hasEarly = early < policy.initialMs;
    this.earlyStep = early;
    // Without an early window the first poll already took the `initialMs` step (as before).
    this.lateStep = this.hasEarly
      ? policy.initialMs
      : Math.min(policy.maxMs, Math.round(policy.initialMs * policy.factor));
  }

  /** Delay after a poll at `elapsedMs` that found the task running with `progress` (if reported). */
  next(elapsedMs: number, progress: number | undefined): number {
    let floor: number;
    if (this.hasEarly && elapsedMs < EARLY_WINDOW_MS) {
      this.earlyStep = Math.min(this.policy.initialMs, Math.round(this.earlyStep * this.policy.factor));
      floor = this.earlyStep;
    } else {
      floor = this.lateStep;
      this.lateStep = Math.min(this.policy.maxMs, Math.round(this.lateStep * this.policy.factor));
    }
    return nextPollDelay(this.policy, floor, elapsedMs, progress);
  }
}

/**
 * How long each action's tasks took in this client's session (one client per connection): the
 * last run's duration and the size of the data it worked on. The duration is the best this
 * client can tell — from an in-progress poll, elapsed / progress; when every poll found it done,
 * no more than that poll's time (never raised by it, so the estimate cannot creep up run by run).
 */
export class TaskTimes {
  private readonly last = new Map<string, { ms: number; workBytes?: number }>();

  /** Expected run time of the next task of `action` on `workBytes` of data, or undefined when unknown. */
  expect(action: string, workBytes?: number): number | undefined {
    const l = this.last.get(action);
    if (!l) return undefined;
    if (workBytes === undefined || l.workBytes === undefined || l.workBytes <= 0) return l.ms;
    const ratio = workBytes / l.workBytes;
    // Much less data: the fixed part of the run dominates and scaling down would poll too early.
    if (ratio < 0.5) return undefined;
    return l.ms * Math.max(1, ratio);
  }

  /**
   * Records a finished run. `ms` is its duration as measured; `upperBoundOnly` when no poll saw it
   * running with progress, so it only ended by then (kept only if lower than what was expected).
   */
  record(action: string, ms: number, workBytes: number | undefined, upperBoundOnly: boolean): void {
    const expected = this.expect(action, workBytes);
    const value = upperBoundOnly && expected !== undefined ? Math.min(expected, ms) : ms;
    this.last.set(action, { ms: Math.max(0, Math.round(value)), workBytes });
  }
}

export interface ActionRunOptions {
  signal?: AbortSignal;
  poll?: PollPolicy;
  /** Run-time mapping for dimensions the import leaves open, e.g. `[{entityType:'Version', entityName:'Actual'}]`. */
  mappingParameters?: Array<{ entityType: string; entityName: string }>;
  /** `en_US` is the documented value (docs/anaplan.md §7.1). */
  localeName?: string;
  onProgress?: (task: Task) => void;
  /**
   * Called once the task runs on the server, before the first poll's wait: the caller can do its own
   * work (e.g. settle the previous task's outcome) while this one runs instead of before starting it.
   */
  onStarted?: (taskId: string) => void;
  /** Dump rows kept in memory (all are counted); default 10 000. */
  maxDumpRows?: number;
  /** Size of the data the task works on (an import's uploaded file): scales the expected run time. */
  workBytes?: number;
}

export interface RowCounts {
  total: number;
  successful: number;
  failed: number;
  ignored: number;
  created: number;
  updated: number;
}

export interface DumpRow {
  /** `E` error or `W` warning. */
  status: string;
  /** Line in the source file (`_Line_`). */
  line: number;
  error: string;
  /** Source columns by header name. */
  values: Record<string, string>;
}

export interface FailureDump {
  columns: string[];
  rows: DumpRow[];
  totalRows: number;
  truncated: boolean;
}

interface RunBase {
  taskId: string;
  actionId: string;
  successful: boolean;
  result: TaskResult;
}
export interface ImportRunResult extends RunBase {
  counts: RowCounts;
  failureDumpAvailable: boolean;
  dump?: FailureDump;
}
export type ExportRunResult = RunBase;
export interface ProcessRunResult extends RunBase {
  counts: RowCounts;
  /** Parsed dumps of the process's imports, by import (object) id. */
  dumps: Record<string, FailureDump>;
}

/** Sums the documented `details.values` keys (docs/anaplan.md §7.2) across details and nested results. */
export function countsOf(result: TaskResult): RowCounts {
  const c: RowCounts = { total: 0, successful: 0, failed: 0, ignored: 0, created: 0, updated: 0 };
  const keys: Record<string, keyof RowCounts> = {
    totalRowCount: 'total',
    successRowCount: 'successful',
    failedCount: 'failed',
    ignoredCount: 'ignored',
    createdCount: 'created',
    updatedCount: 'updated',
  };
  const visit = (r: TaskResult) => {
    for (const d of r.details ?? ([] as TaskDetail[])) {
      const v = d.values ?? [];
      for (let i = 0; i + 1 < v.length; i += 2) {
        const k = keys[v[i]!];
        const n = Number(v[i + 1]);
        if (k && Number.isFinite(n)) c[k] += n;
      }
    }
    for (const n of r.nestedResults ?? []) visit(n);
  };
  visit(result);
  return c;
}

function resultMessage(r: TaskResult): string {
  const texts: string[] = [];
  const visit = (x: TaskResult) => {
    for (const d of x.details ?? [])
      if (d.localMessageText)
        texts.push(`${x.objectName ?? x.objectId ?? ''}: ${d.localMessageText}`.replace(/^: /, ''));
    for (const n of x.nestedResults ?? []) visit(n);
  };
  visit(r);
  return texts.join('; ') || 'no details';
}

export async function runAction(
  client: AnaplanClient,
  type: ActionType,
  actionId: string,
  opts: ActionRunOptions = {},
): Promise<ImportRunResult | ExportRunResult | ProcessRunResult> {
  const base = `${client.modelPath}/${type}/${actionId}/tasks`;
  const body: Record<string, unknown> = { localeName: opts.localeName ?? 'en_US' };
  // `localeName` must precede `mappingParameters` in the body (docs/anaplan.md §7.1).
  if (opts.mappingParameters) body.mappingParameters = opts.mappingParameters;
  // Starting a task is not idempotent; a retried POST after a lost response may start a second run.
  // Imports write values (not deltas) and exports overwrite their file, so a duplicate run is harmless.
  const started = parseAnaplan(Task, (await client.sendJson('POST', base, body, { signal: opts.signal })).task, {
    method: 'POST',
    path: base,
  });
  const taskId = started.taskId;
  opts.onStarted?.(taskId);
  const task = await pollTask(client, `${base}/${taskId}`, taskId, `${type}/${actionId}`, opts);
  if (task.taskState === 'CANCELLED')
    throw new AnaplanTaskCancelledError(`task ${taskId} of ${type} ${actionId} was cancelled`, {
      method: 'GET',
      path: `${base}/${taskId}`,
      taskId,
    });
  const result = task.result;
  // A task can end "Failed." with no result at all (docs/anaplan.md §16): report that, never assume anything loaded.
  if (!result)
    throw new AnaplanTaskFailedError(
      `task ${taskId} of ${type} ${actionId} ended ${task.taskState ?? 'without a state'} ("${task.currentStep ?? 'no step'}") without a result: Anaplan gave no reason and no counts; nothing is known to be loaded (see the action's history in the model)`,
      { method: 'GET', path: `${base}/${taskId}`, taskId, code: 'task-without-result' },
    );
  const dumps: Record<string, FailureDump> = {};
  if (type === 'imports' && result.failureDumpAvailable)
    dumps[actionId] = await fetchDump(client, `${client.modelPath}/imports/${actionId}/tasks/${taskId}/dump`, opts);
  if (type === 'processes') {
    for (const n of result.nestedResults ?? []) {
      if (n.failureDumpAvailable && n.objectId)
        dumps[n.objectId] = await fetchDump(
          client,
          `${client.modelPath}/processes/${actionId}/tasks/${taskId}/dumps/${n.objectId}`,
          opts,
        );
    }
  }
  if (!result.successful)
    throw new AnaplanTaskFailedError(
      `task ${taskId} of ${type} ${actionId} failed: ${resultMessage(result)}`,
      { method: 'GET', path: `${base}/${taskId}`, taskId },
      result,
    );
  if (type === 'imports')
    return {
      taskId,
      actionId,
      successful: true,
      result,
      counts: countsOf(result),
      failureDumpAvailable: result.failureDumpAvailable,
      dump: dumps[actionId],
    };
  if (type === 'processes') return { taskId, actionId, successful: true, result, counts: countsOf(result), dumps };
  return { taskId, actionId, successful: true, result };
}

/**
 * Wait before the next status call: never shorter than the backoff step `floorMs`, and, when the
 * task reports partial progress, long enough for the rest at the rate seen so far (+5 %), capped
 * at `policy.maxMs`. Polls are therefore never more frequent than plain backoff.
 */
export function nextPollDelay(
  policy: PollPolicy,
  floorMs: number,
  elapsedMs: number,
  progress: number | undefined,
): number {
  const estimate =
    progress !== undefined && progress > 0 && progress < 1 ? (elapsedMs * (1 - progress) * 1.05) / progress : 0;
  return Math.round(Math.min(policy.maxMs, Math.max(floorMs, estimate)));
}

async function pollTask(
  client: AnaplanClient,
  path: string,
  taskId: string,
  action: string,
  opts: ActionRunOptions,
): Promise<Task> {
  const policy = opts.poll ?? DEFAULT_POLL;
  const startedAt = Date.now();
  const clock = new PollClock(policy);
  let delay = firstPollDelay(policy, client.taskTimes.expect(action, opts.workBytes));
  /** Run time estimated from the latest in-progress poll (elapsed / progress). */
  let estimate: number | undefined;
  try {
    for (let polls = 1; ; polls++) {
      await sleep(delay, opts.signal);
      const task = await client.getField(path, 'task', Task, { signal: opts.signal, taskId });
      opts.onProgress?.(task);
      const elapsed = Date.now() - startedAt;
      if (task.taskState && TASK_TERMINAL.has(task.taskState)) {
        if (task.taskState === 'COMPLETE')
          client.taskTimes.record(action, estimate ?? elapsed, opts.workBytes, estimate === undefined);
        return task;
      }
      const progress = task.taskState === 'IN_PROGRESS' ? task.progress : undefined;
      if (progress !== undefined && progress > 0 && progress < 1) estimate = elapsed / progress;
      delay = clock.next(elapsed, progress);
    }
  } catch (err) {
    if (opts.signal?.aborted) {
      // Cancel server-side so the model lock is released, with a fresh signal (ours is spent).
      await client.request('DELETE', path, { taskId, signal: AbortSignal.timeout(30_000) }).then(
        (r) => r.body.dump(),
        () => undefined,
      );
    }
    throw err;
  }
}

/** Downloads the dump chunk by chunk into a streaming CSV parser (`_Status_`, …, `_Line_`, `_Error_1_`). */
export async function fetchDump(
  client: AnaplanClient,
  dumpPath: string,
  opts: ActionRunOptions = {},
): Promise<FailureDump> {
  const max = opts.maxDumpRows ?? 10_000;
  const chunks = await client.all(`${dumpPath}/chunks`, 'chunks', Chunk, { signal: opts.signal });
  const parser = parse({ relax_column_count: true, bom: true });
  const out: FailureDump = { columns: [], rows: [], totalRows: 0, truncated: false };
  const consume = (async () => {
    let header: string[] | undefined;
    for await (const rec of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = rec;
        out.columns = rec.filter((c) => c !== '_Status_' && c !== '_Line_' && !/^_Error_\d+_$/.test(c));
        continue;
      }
      out.totalRows++;
      if (out.rows.length >= max) {
        out.truncated = true;
        continue;
      }
      const values: Record<string, string> = {};
      const errors: string[] = [];
      let status = '';
      let line = 0;
      header.forEach((h, i) => {
        const v = rec[i] ?? '';
        if (h === '_Status_') status = v;
        else if (h === '_Line_') line = Number(v);
        else if (/^_Error_\d+_$/.test(h)) {
          if (v) errors.push(v);
        } else values[h] = v;
      });
      out.rows.push({ status, line, error: errors.join('; '), values });
    }
  })();
  try {
    for (const c of chunks) {
      const res = await client.request('GET', `${dumpPath}/chunks/${c.id}`, {
        accept: 'text/csv',
        signal: opts.signal,
      });
      for await (const b of res.body) if (!parser.write(b)) await new Promise((r) => parser.once('drain', r));
    }
    parser.end();
  } catch (err) {
    parser.destroy(err as Error);
    await consume.catch(() => undefined);
    throw err;
  }
  await consume;
  return out;
}
