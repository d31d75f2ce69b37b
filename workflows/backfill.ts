/**
 * `backfill` (issue 16 item 2): one planning cycle per month of a range, as child workflows with the
 * ordinary cycle IDs, at most `concurrency` at a time (NetSuite reads overlap; Anaplan actions stay
 * serialized by each cycle's model lock). A period that fails does not stop the others; it is
 * reported with the command that retries it alone. A worker crash resumes where it was: the
 * children keep running and this workflow's history knows which ones finished.
 */
import { ApplicationFailure, executeChild, ParentClosePolicy, setHandler, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ConnectionConfig } from '../common/config';
import type { CycleOptions, CycleSummary } from '../common/dto';
import { cycleWorkflowId, monthsBetween, type CycleKind } from '../common/ids';
import { backfillStatusQuery, type BackfillPeriod, type BackfillStatus } from '../common/messages';
import { planningCycle } from './planning-cycle';

export interface BackfillInput {
  config: ConnectionConfig;
  from: string;
  to: string;
  kind: CycleKind;
  /** Cycles in flight at most (default 2). */
  concurrency?: number;
  options?: CycleOptions;
}

export const MAX_BACKFILL_CONCURRENCY = 12;

function describe(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  // ChildWorkflowFailure → ApplicationFailure (the cycle's error) → activity failure…: the innermost says why.
  let msg = e?.message ?? String(err);
  while (e?.cause) {
    e = e.cause as { message?: string; cause?: unknown };
    if (e.message) msg = e.message;
  }
  return msg;
}

export async function backfill(input: BackfillInput): Promise<BackfillStatus> {
  const { config, kind } = input;
  const concurrency = Math.min(MAX_BACKFILL_CONCURRENCY, Math.max(1, Math.floor(input.concurrency ?? 2)));
  const months = monthsBetween(input.from, input.to);
  if (months.length === 0)
    throw ApplicationFailure.nonRetryable(`backfill range ${input.from} … ${input.to} is empty`, 'BadRange');
  const ws = config.anaplan.workspaceId;
  const model = config.anaplan.modelId;
  const periods: BackfillPeriod[] = months.map((period) => ({
    period,
    cycleId: cycleWorkflowId(ws, model, period, kind),
    state: 'pending',
  }));
  const status = (): BackfillStatus => {
    const count = (s: BackfillPeriod['state']) => periods.filter((p) => p.state === s).length;
    return {
      workflowId: workflowInfo().workflowId,
      kind,
      from: input.from,
      to: input.to,
      concurrency,
      periods,
      pending: count('pending'),
      running: count('running'),
      done: count('done'),
      failed: count('failed'),
      skipped: count('skipped'),
      rows: periods.reduce((s, p) => s + (p.rows ?? 0), 0),
      quarantined: periods.reduce((s, p) => s + (p.quarantined ?? 0), 0),
      tiedOut: periods.filter((p) => p.tiedOut === true).length,
      notTiedOut: periods.filter((p) => p.tiedOut === false).length,
    };
  };
  setHandler(backfillStatusQuery, status);

  const runOne = async (p: BackfillPeriod): Promise<void> => {
    p.state = 'running';
    try {
      const s: CycleSummary = await executeChild(planningCycle, {
        workflowId: p.cycleId,
        taskQueue: workflowInfo().taskQueue,
        args: [{ config, period: p.period, kind, options: input.options }],
        // A backfill cancelled or terminated leaves its running cycles to finish (they are ordinary cycles).
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      p.state = 'done';
      p.rows = s.import?.rowsImported ?? 0;
      p.quarantined = s.quarantined;
      if (s.tieOut) p.tiedOut = s.tieOut.balanced;
      if (s.journals) p.journals = s.journals.posted + s.journals.updated;
      if (s.warnings.length) p.warnings = s.warnings.length;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Started by someone else (a schedule, `cycle start`): not started twice, not waited on.
        p.state = 'skipped';
        p.error = `cycle ${p.cycleId} was already running (started outside this backfill); see \`ml-connector cycle status ${p.cycleId}\``;
      } else {
        p.state = 'failed';
        p.error = describe(err);
      }
    }
  };

  // A fixed pool of `concurrency` lanes, each taking the next pending month in order.
  let next = 0;
  const lane = async () => {
    while (next < periods.length) await runOne(periods[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, periods.length) }, lane));
  return status();
}
