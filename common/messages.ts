/**
 * Signals, queries and updates shared by workflows, CLI and tests (STYLE.md §3).
 * No Node imports: bundled into workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

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
}

export const statusQuery = defineQuery<CycleStatus>('status');
