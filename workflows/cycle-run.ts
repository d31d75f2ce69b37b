/**
 * The state one planning cycle carries between its steps, and the plumbing every step uses: the
 * status query, pause/resume and approval signals, the memo of artifact hashes (what `replay`
 * reads), the step runner that marks each step running/done/failed, and the model/file/ledger locks.
 * The steps themselves are in cycle-steps.ts; `planningCycle` (planning-cycle.ts) strings them together.
 */
import { ApplicationFailure, condition, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { ConnectionConfig } from '../common/config';
import {
  cycleOptionsProblem,
  LOCK_LEASE_DEFAULT_MS,
  type CycleArtifacts,
  type CycleInput,
  type CycleSummary,
  type ExtractResult,
} from '../common/dto';
import {
  approveSignal,
  pauseSignal,
  rejectSignal,
  resumeSignal,
  statusQuery,
  type ApprovalDecision,
  type CycleStatus,
  type StepStatus,
} from '../common/messages';
import { cycleActivities, type CycleActivities } from './activity-options';
import { createLockClient } from './lock-client';

export const CYCLE_STEPS = ['preflight', 'alignDimensions', 'importActuals', 'exportPlan', 'postJournals'] as const;
export type CycleStep = (typeof CYCLE_STEPS)[number];

function stepsFor(kind: CycleInput['kind']): Set<CycleStep> {
  if (kind === 'actuals') return new Set(['preflight', 'alignDimensions', 'importActuals']);
  if (kind === 'plan') return new Set(['preflight', 'alignDimensions', 'exportPlan', 'postJournals']);
  return new Set(CYCLE_STEPS);
}

export interface ApprovalDecisionRecord {
  approved: boolean;
  by: string;
  note?: string;
  at: string;
}

/** Which lock a locked section takes: the model's, the import file's, or the NetSuite ledger scope's. */
export type LockScope = { importFile: string } | { ledgerAccountId: string } | Record<string, never>;

export interface CycleRun {
  readonly input: CycleInput;
  readonly config: ConnectionConfig;
  readonly cycleId: string;
  readonly acts: CycleActivities;
  readonly summary: CycleSummary;
  readonly steps: StepStatus[];
  /** The extraction of the actuals step, and the file-lock attempt that uploaded it. */
  extracted?: { ex: ExtractResult; attempt: number };
  /** The controller's decision, once the cycle waits for one. */
  decision?: ApprovalDecisionRecord;
  /** Waits while the cycle is paused (between steps and batches). */
  gate(): Promise<void>;
  /** Stores artifact hashes in the memo as they are produced. */
  remember(a: Partial<CycleArtifacts>): void;
  /** Runs `fn` under a lock; the status query says which lock the cycle waits for meanwhile. */
  locked<T>(
    scope: LockScope,
    purpose: string,
    fn: (attempt: number, queued: boolean) => Promise<T>,
    whileQueued?: () => Promise<void>,
  ): Promise<T>;
  /**
   * Queues a request for `scope` now, for the next locked section on it (lock-client `reserve`).
   * An idle reservation is released when the cycle pauses, fails or is cancelled.
   */
  reserve(scope: LockScope, purpose: string): Promise<void>;
  /** Releases the reservations not taken up (lock-client `dropReservations`). */
  dropReservations(): Promise<void>;
  /** Runs one step if the cycle's kind selects it (after the pause gate), tracking its state. */
  step<T>(name: CycleStep, fn: (s: StepStatus) => Promise<T>): Promise<T | undefined>;
  /** Records the error the status query shows. */
  failed(err: unknown): void;
}

/**
 * Validates the input, registers the signal and query handlers and writes the first memo. Nothing
 * here schedules an activity; the command sequence starts with the first step.
 */
export function beginCycle(input: CycleInput): CycleRun {
  const { config, period, kind } = input;
  const opts = input.options ?? {};
  const acts = cycleActivities(opts);
  const withLock = createLockClient();
  const lockTarget = { workspaceId: config.anaplan.workspaceId, modelId: config.anaplan.modelId };
  // Refused before any command: a lease above the maximum would let a dead holder block the model.
  const bad = cycleOptionsProblem(opts);
  if (bad) throw ApplicationFailure.nonRetryable(bad, 'InvalidOptions');
  const leaseMs = opts.lockLeaseMs ?? LOCK_LEASE_DEFAULT_MS;
  const cycleId = workflowInfo().workflowId;
  const selected = stepsFor(kind);

  const steps: StepStatus[] = CYCLE_STEPS.map((name) => ({
    name,
    state: selected.has(name) ? 'pending' : 'skipped',
    counts: {},
  }));
  const summary: CycleSummary = {
    workflowId: cycleId,
    period,
    kind,
    status: 'completed',
    quarantined: 0,
    warnings: [],
  };
  let paused = false;
  let pauseReason: string | undefined;
  let lastError: string | undefined;
  let waitingForLock: string | undefined;

  const run: CycleRun = {
    input,
    config,
    cycleId,
    acts,
    summary,
    steps,
    gate: async () => {
      // A paused cycle keeps nobody waiting: a reservation not taken up yet is given back (the
      // section then requests its lock as usual). Only runs that reserve (full cycles since
      // 'full-cycle-reserves-locks') have any, so older runs' commands are as before.
      if (paused) await withLock.dropReservations();
      await condition(() => !paused);
    },
    remember: (a) => {
      Object.assign(artifacts, a);
      upsertMemo({ artifacts: { ...artifacts } });
    },
    locked: (scope, purpose, fn, whileQueued) =>
      withLock(
        { ...lockTarget, ...scope },
        `${cycleId} ${purpose}`,
        leaseMs,
        fn,
        (w) => (waitingForLock = w ? waitingFor(scope) : undefined),
        whileQueued,
      ),
    reserve: (scope, purpose) => withLock.reserve({ ...lockTarget, ...scope }, `${cycleId} ${purpose}`, leaseMs),
    dropReservations: () => withLock.dropReservations(),
    step: async (name, fn) => {
      const s = steps.find((x) => x.name === name)!;
      if (!selected.has(name)) return undefined;
      await run.gate();
      s.state = 'running';
      s.startedAt = new Date().toISOString();
      try {
        const r = await fn(s);
        s.state = 'done';
        return r;
      } catch (err) {
        s.state = 'failed';
        lastError = describe(err);
        throw err;
      } finally {
        s.endedAt = new Date().toISOString();
      }
    },
    failed: (err) => {
      lastError = describe(err);
    },
  };

  setHandler(pauseSignal, (arg) => {
    paused = true;
    pauseReason = arg?.reason;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    pauseReason = undefined;
  });
  // Decisions count only while the cycle waits for one (the CLI checks the status before sending).
  const decide = (approved: boolean) => (d: ApprovalDecision) => {
    if (summary.approval?.state === 'waiting' && run.decision === undefined)
      run.decision = { approved, by: d.by, note: d.note, at: new Date().toISOString() };
  };
  setHandler(approveSignal, decide(true));
  setHandler(rejectSignal, decide(false));
  setHandler(
    statusQuery,
    (): CycleStatus => ({
      workflowId: cycleId,
      step: steps.find((s) => s.state === 'running')?.name ?? null,
      steps,
      paused,
      pauseReason:
        waitingForLock ??
        (summary.approval?.state === 'waiting' && run.decision === undefined ? 'waiting for approval' : pauseReason),
      quarantined: summary.quarantined,
      lastError,
      warnings: summary.warnings,
      ...(summary.approval ? { approval: summary.approval } : {}),
    }),
  );

  // Artifact hashes go to the memo as they are produced, so `ml-connector replay` can re-send a
  // failed step from them (memo is encoded by the payload codec like any payload).
  const artifacts: CycleArtifacts = {};
  // The (secret-free) config and period too: a replay re-sends with exactly what this cycle used.
  upsertMemo({ config, period, kind });
  return run;
}

/** What the status query shows while the cycle waits for the lock of `scope`. */
function waitingFor(scope: LockScope): string {
  if ('importFile' in scope) return 'waiting for the Anaplan import file lock';
  if ('ledgerAccountId' in scope) return 'waiting for the NetSuite ledger lock';
  return 'waiting for the Anaplan model lock';
}

function describe(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  // Activity failures wrap the real reason: report the innermost message.
  while (e && typeof e === 'object' && e.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
