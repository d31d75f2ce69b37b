/**
 * Starting a planning cycle and showing it to a person: used by `cycle start --wait` and `npm start`.
 */
import {
  WorkflowIdConflictPolicy,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { ConnectionConfig } from '../common/config';
import { cycleOptionsProblem, type CycleOptions, type CycleSummary } from '../common/dto';
import { TASK_QUEUE, cycleWorkflowId, type CycleKind } from '../common/ids';
import { statusQuery, type CycleStatus } from '../common/messages';
import { readPeriods } from '../activities/cycle/preflight';
import type { CycleDeps } from '../activities/cycle/context';
import type { planningCycle } from '../workflows';

/** The latest NetSuite month that is closed: the default period of a cycle. */
export async function latestClosedPeriod(deps: Pick<CycleDeps, 'ports'>, config: ConnectionConfig): Promise<string> {
  const periods = await readPeriods(deps, config);
  const closed = periods.filter((p) => p.closed).sort((a, b) => (a.period < b.period ? -1 : 1));
  if (!closed.length) throw new Error('NetSuite has no closed posting period yet: pass --period YYYY-MM');
  return closed.at(-1)!.period;
}

export async function startCycle(
  client: Client,
  config: ConnectionConfig,
  period: string,
  kind: CycleKind,
  options?: CycleOptions,
  taskQueue = TASK_QUEUE,
  extra: { dryRun?: boolean } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof planningCycle>> {
  const bad = cycleOptionsProblem(options);
  if (bad) throw new Error(bad);
  return client.workflow.start<typeof planningCycle>('planningCycle', {
    taskQueue,
    workflowId: cycleWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, period, kind),
    // One run of a cycle at a time; a finished cycle may run again (idempotent by design).
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    args: [{ config, period, kind, options, ...(extra.dryRun ? { dryRun: true } : {}) }],
  });
}

function stepLine(s: CycleStatus): string {
  const cur = s.steps.find((x) => x.state === 'running');
  const counts =
    cur && Object.keys(cur.counts).length
      ? ` ${Object.entries(cur.counts)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
      : '';
  const done = s.steps.filter((x) => x.state === 'done').length;
  const total = s.steps.filter((x) => x.state !== 'skipped').length;
  return `  [${done}/${total}] ${cur?.name ?? (done === total ? 'finishing' : 'waiting')}${counts}${s.paused ? ` (paused${s.pauseReason ? `: ${s.pauseReason}` : ''})` : ''}${s.approval?.state === 'waiting' ? ` (waiting for approval: \`ml-connector cycle diff|approve|reject ${s.workflowId}\`)` : ''}`;
}

/**
 * Polls a workflow's progress line (`line()`, usually a status query) and prints each change until the
 * workflow ends; returns its result. A failed poll (not picked up by a worker yet, a worker being
 * replaced, already closed) is skipped.
 */
export async function watchWorkflow<R>(
  handle: { result(): Promise<R> },
  line: () => Promise<string>,
  out: (line: string) => void,
  intervalMs: number,
): Promise<R> {
  let last = '';
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      try {
        const l = await line();
        if (l !== last) out((last = l));
      } catch {
        // not answered this time: keep waiting
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  try {
    return await handle.result();
  } finally {
    stop = true;
    await poll;
  }
}

/** Polls the status query and prints each change until the cycle ends; returns its summary. */
export function watchCycle(
  handle: WorkflowHandle<typeof planningCycle>,
  out: (line: string) => void,
  intervalMs = 500,
): Promise<CycleSummary> {
  return watchWorkflow(handle, async () => stepLine(await handle.query(statusQuery)), out, intervalMs);
}

const money = (cents: number) =>
  (cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function renderSummary(s: CycleSummary): string[] {
  const lines = [`Cycle ${s.workflowId}: ${s.status}`];
  const row = (k: string, v: string | number) => lines.push(`  ${k.padEnd(28)} ${v}`);
  if (s.align) {
    for (const [dim, c] of Object.entries(s.align.dimensions))
      row(`members ${dim}`, `${c.mapped} aligned, ${c.unmapped} unmapped${c.imported ? `, ${c.imported} loaded` : ''}`);
  }
  if (s.extract) {
    row('actuals rows extracted', s.extract.rows + s.extract.quarantined);
    row('actuals quarantined', s.extract.quarantined);
  }
  if (s.import)
    row('actuals imported / rejected', `${s.import.rowsImported} / ${s.import.rowsRejected} (task ${s.import.taskId})`);
  if (s.tieOut)
    row(
      'tie-out (NetSuite = loaded + quarantined + rejected)',
      `${money(s.tieOut.netsuiteCents)} = ${money(s.tieOut.loadedCents)} + ${money(s.tieOut.quarantinedCents)} + ${money(s.tieOut.rejectedCents)} ${s.tieOut.balanced ? '✔' : '✖'}`,
    );
  if (s.plan)
    row(
      'plan values / quarantined',
      `${s.plan.values} / ${s.plan.quarantined} (${s.plan.skippedClosedPeriods} outside open periods)`,
    );
  if (s.journals)
    row(
      'journals posted/updated/unchanged',
      `${s.journals.posted} / ${s.journals.updated} / ${s.journals.unchanged}${s.journals.retired ? `, ${s.journals.retired} stale deleted` : ''}${s.journals.failed ? `, ${s.journals.failed} refused` : ''}`,
    );
  row('quarantined in total', s.quarantined);
  for (const w of s.warnings) lines.push(`  ⚠ ${w}`);
  return lines;
}
