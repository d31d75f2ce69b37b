/**
 * `ml-connector cycle backfill --config F --from 2024-01 --to 2026-10 [--kind actuals]
 * [--concurrency N] [--wait]` (issue 16 item 2): starts the `backfill` workflow (one child cycle per
 * month). Running the same command again attaches to the backfill already running for that range,
 * so `--wait` after a lost terminal just shows the progress again.
 */
import { WorkflowIdConflictPolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import { Period } from '../../common/config';
import { backfillWorkflowId, monthsBetween, TASK_QUEUE, type CycleKind } from '../../common/ids';
import { backfillStatusQuery, type BackfillStatus } from '../../common/messages';
import type { backfill } from '../../workflows';
import { MAX_BACKFILL_CONCURRENCY } from '../../workflows/backfill';
import { UsageError, type CommandContext, type OptionSpec } from '../command';
import { cliDataConverter } from '../codec';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../config-file';
import { connectClient } from '../temporal';
import { watchWorkflow } from '../cycle-runner';

export const backfillOptions: OptionSpec = {
  from: { type: 'string', description: 'backfill: first month YYYY-MM' },
  to: { type: 'string', description: 'backfill: last month YYYY-MM (included)' },
  concurrency: {
    type: 'string',
    description: `backfill: cycles in flight at most (1–${MAX_BACKFILL_CONCURRENCY}, default 2)`,
  },
  'task-queue': { type: 'string', description: 'Task queue of the workers', default: TASK_QUEUE },
};

/** The command that re-runs one month alone. */
export function retryCommand(configFile: string, period: string, kind: string): string {
  return `ml-connector cycle start --config ${configFile} --period ${period} --kind ${kind} --wait`;
}

export function renderBackfill(s: BackfillStatus, configFile: string): string[] {
  const lines = [
    `Backfill ${s.workflowId}: ${s.done} done, ${s.failed} failed, ${s.skipped} skipped of ${s.periods.length} periods; ${s.rows} rows loaded, ${s.quarantined} quarantined; tie-out ✔ ${s.tiedOut} ✖ ${s.notTiedOut}`,
  ];
  for (const p of s.periods) {
    const what =
      p.state === 'done'
        ? `rows=${p.rows ?? 0} quarantined=${p.quarantined ?? 0}${p.tiedOut === undefined ? '' : ` tie-out ${p.tiedOut ? '✔' : '✖'}`}${p.journals ? ` journals=${p.journals}` : ''}`
        : (p.error ?? '');
    lines.push(`  ${p.period}  ${p.state.padEnd(8)} ${what}`);
  }
  const failed = s.periods.filter((p) => p.state === 'failed');
  if (failed.length) {
    lines.push('Retry a failed period alone:');
    for (const p of failed) lines.push(`  ${retryCommand(configFile, p.period, s.kind)}`);
  }
  return lines;
}

const progressLine = (s: BackfillStatus) =>
  `  [${s.done + s.failed + s.skipped}/${s.periods.length}] running ${
    s.periods
      .filter((p) => p.state === 'running')
      .map((p) => p.period)
      .join(', ') || '—'
  }; done ${s.done}, failed ${s.failed}, rows ${s.rows}`;

/** Polls the status query, printing each change, until the backfill ends; returns its final status. */
export function watchBackfill(
  handle: WorkflowHandle<typeof backfill>,
  out: (line: string) => void,
  intervalMs = 1000,
): Promise<BackfillStatus> {
  return watchWorkflow(handle, async () => progressLine(await handle.query(backfillStatusQuery)), out, intervalMs);
}

export async function startBackfill(
  client: Client,
  args: { configFile: string; from: string; to: string; kind: CycleKind; concurrency: number; taskQueue: string },
) {
  const config = loadConfigFile(args.configFile);
  return client.workflow.start<typeof backfill>('backfill', {
    taskQueue: args.taskQueue,
    workflowId: backfillWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, args.from, args.to, args.kind),
    // The same range again attaches to the backfill already running instead of starting a second one.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ config, from: args.from, to: args.to, kind: args.kind, concurrency: args.concurrency }],
  });
}

export async function backfillCommand(
  ctx: CommandContext,
  connect: typeof connectClient = connectClient,
): Promise<number> {
  const configFile = String(ctx.values.config ?? DEFAULT_CONFIG_FILE);
  const from = ctx.values.from;
  const to = ctx.values.to;
  if (typeof from !== 'string' || !Period.safeParse(from).success)
    throw new UsageError(`--from must be YYYY-MM (got ${String(from ?? 'nothing')})`);
  if (typeof to !== 'string' || !Period.safeParse(to).success)
    throw new UsageError(`--to must be YYYY-MM (got ${String(to ?? 'nothing')})`);
  if (monthsBetween(from, to).length === 0) throw new UsageError(`--from ${from} is after --to ${to}`);
  // A backfill loads history: actuals unless asked otherwise.
  const kind = String(ctx.values.kind ?? 'actuals') as CycleKind;
  if (!['full', 'actuals', 'plan'].includes(kind))
    throw new UsageError(`--kind must be full, actuals or plan (got ${kind})`);
  const concurrency = Number(ctx.values.concurrency ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_BACKFILL_CONCURRENCY)
    throw new UsageError(
      `--concurrency must be an integer from 1 to ${MAX_BACKFILL_CONCURRENCY} (got ${String(ctx.values.concurrency)})`,
    );
  const { client, close } = await connect(undefined, cliDataConverter());
  try {
    const handle = await startBackfill(client, {
      configFile,
      from,
      to,
      kind,
      concurrency,
      taskQueue: String(ctx.values['task-queue'] ?? TASK_QUEUE),
    });
    if (!ctx.values.wait) {
      ctx.out(
        ctx.values.json
          ? JSON.stringify({ workflowId: handle.workflowId, status: 'started' })
          : `started ${handle.workflowId} (${monthsBetween(from, to).length} periods, ${kind}); follow it with the same command and --wait`,
      );
      return 0;
    }
    if (!ctx.values.json) ctx.out(`backfill ${handle.workflowId}: ${from} … ${to}, ${kind}, ${concurrency} at a time`);
    const s = await watchBackfill(handle, ctx.values.json ? () => undefined : ctx.out);
    if (ctx.values.json) ctx.out(JSON.stringify(s));
    else for (const l of renderBackfill(s, configFile)) ctx.out(l);
    return s.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}
