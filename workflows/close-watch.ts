/**
 * `closeWatch` (issue 16 item 1, docs/design.md §3): one long-running watcher per connection
 * (`close-watch:<connection>`). Every interval it reads NetSuite's accounting periods (an activity)
 * and, when a month becomes final — closed, or locked for all GL posting with `onLock` — starts that
 * month's final cycle exactly once: the cycle ID carries the close generation
 * (`…:<period>:<kind>:close-<n>`) and is never reused (REJECT_DUPLICATE), so a month reopened and
 * closed again gets a new cycle and a repeated check never starts one twice. Months already final
 * at the first check are the baseline, not started (load history with `cycle backfill`).
 * Optional flash: each business day (the config's weekend and holidays are not) at HH:MM (time
 * zone) an actuals cycle for the open month.
 * The watcher carries its state through continue-as-new.
 */
import {
  condition,
  continueAsNew,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { createActivities } from '../activities';
import { flashDue, msUntilFlash } from '../common/flash-time';
import type { ConnectionConfig } from '../common/config';
import { closeCycleWorkflowId, flashCycleWorkflowId, type CycleKind } from '../common/ids';
import {
  checkNowSignal,
  closeWatchStatusQuery,
  pauseSignal,
  resumeSignal,
  type CloseWatchStart,
  type CloseWatchStatus,
} from '../common/messages';
import { planningCycle } from './planning-cycle';

type Acts = ReturnType<typeof createActivities>;

export interface CloseWatchState {
  /** Months final at the last successful check. */
  final: string[];
  /** Months seen at the last check that were not final. */
  open: string[];
  /** Closes seen per month (the generation of its latest final cycle). */
  generation: Record<string, number>;
  started: CloseWatchStart[];
  /** Local dates (YYYY-MM-DD) whose flash cycle was started. */
  flashDays: string[];
  checks: number;
  lastCheck: string | null;
  lastError: string | null;
  paused: boolean;
  baseline: boolean;
}

export interface CloseWatchInput {
  config: ConnectionConfig;
  /** Cycle kind of a final cycle (default actuals). */
  kind?: CycleKind;
  intervalMs: number;
  onLock?: boolean;
  /** `HH:MM`: a flash actuals cycle for the open month each business day at that local time. */
  flashAt?: string;
  timezone?: string;
  holidays?: string[];
  /** Weekdays without a flash (`schedule.weekend`); absent in watchers started before it was configurable: Saturday and Sunday. */
  weekend?: string[];
  /** Wake-ups per run before continue-as-new (default 200; tests lower it). */
  checksPerRun?: number;
  /** Carried over by continue-as-new. */
  state?: CloseWatchState;
}

const KEEP_STARTED = 20;
/** Checks per run before continue-as-new (history stays small whatever the interval). */
const CHECKS_PER_RUN = 200;

export async function closeWatch(input: CloseWatchInput): Promise<void> {
  const { config } = input;
  const kind = input.kind ?? 'actuals';
  const onLock = input.onLock === true;
  const tz = input.timezone ?? 'UTC';
  const ws = config.anaplan.workspaceId;
  const model = config.anaplan.modelId;
  const s: CloseWatchState = input.state ?? {
    final: [],
    open: [],
    generation: {},
    started: [],
    flashDays: [],
    checks: 0,
    lastCheck: null,
    lastError: null,
    paused: false,
    baseline: true,
  };
  const acts = proxyActivities<Acts>({
    startToCloseTimeout: '5 minutes',
    // A NetSuite outage is reported in the status and tried again at the next interval, not here.
    retry: { maximumAttempts: 3, initialInterval: '5 seconds', nonRetryableErrorTypes: ['NonRetryable'] },
  });
  let checkNow = false;
  setHandler(pauseSignal, () => {
    s.paused = true;
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
    checkNow = true;
  });
  setHandler(checkNowSignal, () => {
    checkNow = true;
  });
  setHandler(
    closeWatchStatusQuery,
    (): CloseWatchStatus => ({
      workflowId: workflowInfo().workflowId,
      connection: config.name,
      intervalMs: input.intervalMs,
      onLock,
      flash: input.flashAt ? `${input.flashAt} ${tz}` : null,
      paused: s.paused,
      checks: s.checks,
      lastCheck: s.lastCheck,
      lastError: s.lastError,
      finalMonths: s.final.length,
      openMonths: s.open,
      started: s.started,
    }),
  );

  const start = async (period: string, cycleId: string, generation: number, reason: CloseWatchStart['reason']) => {
    const entry: CloseWatchStart = { period, cycleId, generation, reason, at: new Date().toISOString() };
    try {
      await startChild(planningCycle, {
        workflowId: cycleId,
        taskQueue: workflowInfo().taskQueue,
        args: [{ config, period, kind: reason === 'flash' ? 'actuals' : kind }],
        // The cycle outlives this run (continue-as-new) and the watcher itself.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // An ID once used is never run again: exactly once per close, whatever happens to the watcher.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      entry.alreadyStarted = true;
    }
    s.started = [...s.started, entry].slice(-KEEP_STARTED);
  };

  const check = async () => {
    let periods;
    try {
      periods = await acts.readPeriodStates({ config });
    } catch (err) {
      if (isCancellation(err)) throw err;
      s.lastError =
        (err as { cause?: { message?: string }; message?: string }).cause?.message ?? (err as Error).message;
      return;
    }
    s.lastCheck = new Date().toISOString();
    s.lastError = null;
    const wasFinal = new Set(s.final);
    const nowFinal = periods.filter((p) => p.closed || (onLock && p.locked));
    for (const p of nowFinal) {
      if (wasFinal.has(p.period) || s.baseline) continue;
      const generation = (s.generation[p.period] ?? 0) + 1;
      s.generation[p.period] = generation;
      await start(
        p.period,
        closeCycleWorkflowId(ws, model, p.period, kind, generation),
        generation,
        p.closed ? 'closed' : 'locked',
      );
    }
    s.final = nowFinal.map((p) => p.period);
    s.open = periods.filter((p) => !s.final.includes(p.period)).map((p) => p.period);
    s.baseline = false;
    // Counted once the check is whole: a status that shows it also shows the cycles it started
    // (starting a child takes a round trip to the server, during which the status can be queried).
    s.checks++;
  };

  for (let run = 0; run < (input.checksPerRun ?? CHECKS_PER_RUN); run++) {
    if (!s.paused) {
      await check();
      const f = input.flashAt
        ? flashDue(new Date(), input.flashAt, tz, input.holidays ?? [], s.flashDays, input.weekend)
        : null;
      if (f) {
        s.flashDays = [...s.flashDays, f.day].slice(-10);
        // Only a month NetSuite still has open: a closed month gets its final cycle instead.
        if (s.open.includes(f.period))
          await start(f.period, flashCycleWorkflowId(ws, model, f.period, 'actuals', f.day), 0, 'flash');
      }
    }
    checkNow = false;
    await condition(
      () => checkNow,
      Math.max(
        1000,
        Math.min(input.intervalMs, input.flashAt ? msUntilFlash(new Date(), input.flashAt, tz) : Infinity),
      ),
    );
  }
  await continueAsNew<typeof closeWatch>({ ...input, state: s });
}
