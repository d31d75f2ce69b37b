/**
 * Signals, queries and updates shared by workflows, CLI and tests (docs/style.md §3).
 * No Node imports: bundled into workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalOutcome } from './dto';

/** Pause takes effect between steps and between batches; an Anaplan task already running finishes first. */
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');

export interface StepStatus {
  name: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  counts: Record<string, number>;
  startedAt?: string;
  endedAt?: string;
}

export interface CycleStatus {
  workflowId: string;
  step: string | null;
  steps: StepStatus[];
  paused: boolean;
  pauseReason?: string;
  quarantined: number;
  lastError?: string;
  warnings: string[];
  /** Manual approval / dry run: waiting for a decision (or decided), with the diff summary. */
  approval?: ApprovalOutcome;
}

/** A controller's decision on a cycle waiting for approval (`cycle approve|reject`). */
export interface ApprovalDecision {
  /** Who decided (OS user or --by). */
  by: string;
  note?: string;
}
export const approveSignal = defineSignal<[ApprovalDecision]>('approve');
export const rejectSignal = defineSignal<[ApprovalDecision]>('reject');

export const statusQuery = defineQuery<CycleStatus>('status');

/** A request to hold one Anaplan model (sent with signal-with-start to `anaplan-model:<ws>:<model>`). */
export interface LockRequest {
  /** Workflow ID of the requester; the grant is signalled back to it. */
  requesterId: string;
  /** Unique per acquisition; echoed in the grant and used to release. */
  requestId: string;
  /** Backstop: the lock is taken back after this long without a release. */
  leaseMs: number;
  /** What the holder will do (shown in history and status). */
  purpose: string;
}

export const lockRequestSignal = defineSignal<[LockRequest]>('lock-request');
export const lockReleaseSignal = defineSignal<[{ requestId: string }]>('lock-release');
/** Sent by the lock workflow to the requester. */
export const lockGrantedSignal = defineSignal<[{ requestId: string }]>('lock-granted');
/** Sent by the lock workflow to a holder whose lease expired: the lock is no longer its. */
export const lockLostSignal = defineSignal<[{ requestId: string }]>('lock-lost');

export interface LockState {
  holder: (LockRequest & { grantedAt: string }) | null;
  queue: LockRequest[];
  granted: number;
  leasesExpired: number;
}
export const lockStateQuery = defineQuery<LockState>('lock-state');

/** One month of a backfill (workflows/backfill.ts). */
export interface BackfillPeriod {
  period: string;
  cycleId: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  rows?: number;
  quarantined?: number;
  /** The cycle's tie-out (absent for a plan-only cycle). */
  tiedOut?: boolean;
  journals?: number;
  warnings?: number;
  error?: string;
}

export interface BackfillStatus {
  workflowId: string;
  kind: string;
  from: string;
  to: string;
  concurrency: number;
  periods: BackfillPeriod[];
  pending: number;
  running: number;
  done: number;
  failed: number;
  skipped: number;
  rows: number;
  quarantined: number;
  tiedOut: number;
  notTiedOut: number;
}

export const backfillStatusQuery = defineQuery<BackfillStatus>('backfill-status');

/** A cycle the close watcher started (workflows/close-watch.ts). */
export interface CloseWatchStart {
  period: string;
  cycleId: string;
  /** 1 for the first close of the month, 2 after a reopen and a second close… */
  generation: number;
  reason: 'closed' | 'locked' | 'flash';
  at: string;
  /** Set when the cycle ID was taken already (that close already ran): not started twice. */
  alreadyStarted?: boolean;
}

export interface CloseWatchStatus {
  workflowId: string;
  connection: string;
  intervalMs: number;
  onLock: boolean;
  flash: string | null;
  paused: boolean;
  checks: number;
  lastCheck: string | null;
  lastError: string | null;
  /** Months seen final (closed, or locked with onLock) at the last check. */
  finalMonths: number;
  openMonths: string[];
  /** The most recent starts, newest last (at most 20 kept). */
  started: CloseWatchStart[];
}

export const closeWatchStatusQuery = defineQuery<CloseWatchStatus>('close-watch-status');
/** Check NetSuite now instead of at the next interval. */
export const checkNowSignal = defineSignal<[]>('check-now');
