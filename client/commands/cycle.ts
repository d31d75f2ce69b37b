/**
 * `ml-connector cycle start|status|pause|resume|cancel`.
 */
import * as os from 'node:os';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { getJson } from '../../activities/cycle/context';
import { openArtifactStore } from '../../activities/store/artifacts-config';
import { createPortsResolver } from '../../activities/cycle/connections';
import { openStores } from '../../activities/store';
import { Period } from '../../common/config';
import type { CycleArtifacts, CycleOptions, CycleSummary, JournalDiff, JournalDiffResult } from '../../common/dto';
import { parseCycleWorkflowId, TASK_QUEUE, type CycleKind } from '../../common/ids';
import { approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery } from '../../common/messages';
import { UsageError, type Command, type CommandContext } from '../command';
import { loadConfigFile, DEFAULT_CONFIG_FILE } from '../config-file';
import { latestClosedPeriod, renderSummary, startCycle, watchCycle } from '../cycle-runner';
import { dataDir } from '../paths';
import { connectClient } from '../temporal';
import { cliDataConverter } from '../codec';
import { backfillCommand, backfillOptions } from './backfill';

async function start(ctx: CommandContext): Promise<number> {
  const config = loadConfigFile((ctx.values.config as string | undefined) ?? DEFAULT_CONFIG_FILE);
  const kind = String(ctx.values.kind ?? 'full') as CycleKind;
  if (!['full', 'actuals', 'plan'].includes(kind))
    throw new UsageError(`--kind must be full, actuals or plan (got ${kind})`);
  let period = ctx.values.period as string | undefined;
  if (period !== undefined && !Period.safeParse(period).success)
    throw new UsageError(`--period must be YYYY-MM (got ${period})`);
  if (!period) {
    const stores = openStores({ dataDir: dataDir() });
    const ports = createPortsResolver({ vault: stores.vault });
    try {
      period = await latestClosedPeriod({ ports }, config);
    } finally {
      await ports.close();
      await stores.close();
    }
    if (!ctx.values.json) ctx.out(`period: ${period} (latest closed NetSuite period)`);
  }
  const { client, close } = await connectClient(undefined, cliDataConverter());
  try {
    let handle;
    try {
      handle = await startCycle(
        client,
        config,
        period,
        kind,
        undefined as CycleOptions | undefined,
        String(ctx.values['task-queue'] ?? TASK_QUEUE),
        { dryRun: ctx.values['dry-run'] === true },
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        ctx.err(`cycle ${err.workflowId} is already running; see \`ml-connector cycle status ${err.workflowId}\``);
        return 1;
      }
      throw err;
    }
    // A dry run ends at the diff: wait for it and print it.
    if (!ctx.values.wait && !ctx.values['dry-run']) {
      ctx.out(
        ctx.values.json
          ? JSON.stringify({ workflowId: handle.workflowId, status: 'started' })
          : `started ${handle.workflowId}`,
      );
      return 0;
    }
    let summary: CycleSummary;
    try {
      summary = await watchCycle(handle, ctx.values.json ? () => undefined : ctx.out);
    } catch (err) {
      const s = await handle.query(statusQuery).catch(() => undefined);
      const reason = s?.lastError ?? (err as Error).message;
      if (ctx.values.json)
        ctx.out(JSON.stringify({ workflowId: handle.workflowId, status: 'failed', error: reason, steps: s?.steps }));
      else ctx.err(`cycle ${handle.workflowId} failed: ${reason}`);
      return 1;
    }
    if (ctx.values['dry-run'] && summary.approval) {
      const diff = await readDiff((await handle.describe()).memo as { artifacts?: CycleArtifacts }, handle.workflowId);
      if (ctx.values.json) ctx.out(JSON.stringify({ ...summary, diff }));
      else {
        for (const l of renderDiff(diff)) ctx.out(l);
        ctx.out('dry run: nothing was written to NetSuite');
      }
      return 0;
    }
    if (ctx.values.json) ctx.out(JSON.stringify(summary));
    else {
      for (const l of renderSummary(summary)) ctx.out(l);
      if (summary.approval)
        ctx.out(
          `  approval                     ${summary.approval.state}${summary.approval.by ? ` by ${summary.approval.by}` : ''}${summary.approval.note ? ` (${summary.approval.note})` : ''}`,
        );
    }
    return summary.tieOut && !summary.tieOut.balanced ? 1 : 0;
  } finally {
    await close();
  }
}

async function withHandle(
  ctx: CommandContext,
  fn: (h: ReturnType<Awaited<ReturnType<typeof connectClient>>['client']['workflow']['getHandle']>) => Promise<number>,
): Promise<number> {
  const id = ctx.positionals[1];
  if (!id) throw new UsageError('a cycle workflow ID is required');
  if (!parseCycleWorkflowId(id))
    ctx.err(`note: ${id} does not look like cycle:<workspaceId>:<modelId>:<period>:<kind>`);
  const { client, close } = await connectClient(undefined, cliDataConverter());
  try {
    return await fn(client.workflow.getHandle(id));
  } finally {
    await close();
  }
}

/** The diff artifact of a cycle (memo artifacts.diffHash), read from this host's artifact store. */
async function readDiff(memo: { artifacts?: CycleArtifacts } | undefined, id: string): Promise<JournalDiff> {
  const hash = memo?.artifacts?.diffHash;
  if (!hash)
    throw new Error(
      `cycle ${id} has no journal diff (it computes one only with journals.approval: manual or --dry-run, once the plan is prepared)`,
    );
  // The configured store (local directory or S3), like the workers'.
  const store = openArtifactStore();
  return getJson<JournalDiff>(store, hash);
}

const money = (cents: number) => (cents / 100).toFixed(2);

/** The diff as a table: one row per subsidiary × period × version. */
export function renderDiff(d: JournalDiff): string[] {
  const out = [
    `Journal diff of ${d.cycleId}: ${d.counts.create} to create, ${d.counts.update} to update, ${d.counts.unchanged} unchanged, ${d.counts.retire} to retire`,
  ];
  const head = ['period', 'version', 'subsidiary', 'create', 'update', 'unchanged', 'retire', 'plan', 'ledger now'];
  const rows = d.rows.map((r) => [
    r.period,
    r.version,
    r.subsidiaryId,
    String(r.create),
    String(r.update),
    String(r.unchanged),
    String(r.retire),
    money(r.planCents),
    money(r.ledgerCents),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((c, i) => (i < 3 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  out.push(line(head));
  for (const r of rows) out.push(line(r));
  return out;
}

function summaryLine(diff: JournalDiffResult): string {
  return `${diff.counts.create} create, ${diff.counts.update} update, ${diff.counts.unchanged} unchanged, ${diff.counts.retire} retire; plan ${money(diff.planCents)}, ledger now ${money(diff.ledgerCents)}`;
}

/** approve / reject: only a cycle that waits for a decision takes one. */
async function decide(ctx: CommandContext, approved: boolean): Promise<number> {
  return withHandle(ctx, async (h) => {
    const s = await h.query(statusQuery);
    if (s.approval?.state !== 'waiting') {
      ctx.err(
        `${h.workflowId} is not waiting for approval (${s.approval ? `approval: ${s.approval.state}` : 'no approval gate: journals.approval is auto or the plan is not prepared yet'})`,
      );
      return 1;
    }
    const by = String(ctx.values.by ?? os.userInfo().username);
    const note = ctx.values.note as string | undefined;
    await h.signal(approved ? approveSignal : rejectSignal, { by, ...(note ? { note } : {}) });
    ctx.out(
      `${approved ? 'approved' : 'rejected'} ${h.workflowId} as ${by}${note ? ` (${note})` : ''}: ${approved ? 'posting' : 'nothing will be posted'}`,
    );
    return 0;
  });
}

export const cycleCommand: Command = {
  name: 'cycle',
  summary: 'Start and control planning cycles',
  usage: 'ml-connector cycle <start|status|diff|approve|reject|pause|resume|cancel|backfill> [...]',
  subcommands: {
    start: 'Start a cycle: --config F [--period 2026-10] [--kind full|actuals|plan] [--wait] [--dry-run] [--json]',
    status: "Show a cycle's status: <workflow-id> [--json]",
    diff: 'Show the journal diff a cycle waits to have approved (or its dry run computed): <workflow-id> [--json]',
    approve: 'Approve the journal diff of a cycle waiting for approval: <workflow-id> [--note N] [--by NAME]',
    reject: 'Reject it: nothing posts: <workflow-id> [--note N] [--by NAME]',
    pause: 'Pause a cycle between steps/batches: <workflow-id> [--reason R]',
    resume: 'Resume a paused cycle: <workflow-id>',
    cancel: 'Cancel a cycle (cancels the Anaplan task in flight): <workflow-id>',
    backfill: 'One cycle per month: --config F --from 2024-01 --to 2026-10 [--kind actuals] [--concurrency N] [--wait]',
  },
  options: {
    config: { type: 'string', description: 'Connection config file', default: DEFAULT_CONFIG_FILE },
    period: { type: 'string', description: 'NetSuite period YYYY-MM (default: latest closed)' },
    kind: { type: 'string', description: 'full | actuals | plan (start: full, backfill: actuals)' },
    wait: { type: 'boolean', description: 'Show progress and wait for the summary' },
    json: { type: 'boolean', description: 'Machine-readable output' },
    reason: { type: 'string', description: 'Reason recorded with a pause' },
    'dry-run': { type: 'boolean', description: 'Run up to the journal diff, print it, write nothing to NetSuite' },
    note: { type: 'string', description: 'Note recorded with an approval or rejection' },
    by: { type: 'string', description: 'Who approves or rejects (default: the OS user)' },
    'task-queue': { type: 'string', description: 'Task queue', default: TASK_QUEUE },
    ...backfillOptions,
  },
  async run(ctx) {
    const sub = ctx.positionals[0];
    switch (sub) {
      case 'start':
        return start(ctx);
      case 'status':
        return withHandle(ctx, async (h) => {
          const [desc, s] = await Promise.all([h.describe(), h.query(statusQuery).catch(() => undefined)]);
          if (ctx.values.json) ctx.out(JSON.stringify({ workflowId: h.workflowId, execution: desc.status.name, ...s }));
          else {
            ctx.out(`${h.workflowId}: ${desc.status.name}${s?.paused ? ' (paused)' : ''}`);
            for (const st of s?.steps ?? [])
              ctx.out(
                `  ${st.state.padEnd(8)} ${st.name.padEnd(16)} ${Object.entries(st.counts)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')}`,
              );
            if (s?.quarantined) ctx.out(`  quarantined: ${s.quarantined}`);
            if (s?.lastError) ctx.out(`  last error: ${s.lastError}`);
            if (s?.approval)
              ctx.out(
                `  ${s.approval.state === 'waiting' ? 'waiting for approval' : `approval: ${s.approval.state}${s.approval.by ? ` by ${s.approval.by}` : ''}`} — ${summaryLine(s.approval.diff)}`,
              );
            for (const w of s?.warnings ?? []) ctx.out(`  ⚠ ${w}`);
          }
          return 0;
        });
      case 'diff':
        return withHandle(ctx, async (h) => {
          const diff = await readDiff((await h.describe()).memo as { artifacts?: CycleArtifacts }, h.workflowId);
          if (ctx.values.json) ctx.out(JSON.stringify(diff));
          else for (const l of renderDiff(diff)) ctx.out(l);
          return 0;
        });
      case 'approve':
        return decide(ctx, true);
      case 'reject':
        return decide(ctx, false);
      case 'pause':
        return withHandle(ctx, async (h) => {
          await h.signal(pauseSignal, { reason: ctx.values.reason as string | undefined });
          ctx.out(`pause requested for ${h.workflowId} (takes effect between steps and batches)`);
          return 0;
        });
      case 'resume':
        return withHandle(ctx, async (h) => {
          await h.signal(resumeSignal);
          ctx.out(`resumed ${h.workflowId}`);
          return 0;
        });
      case 'backfill':
        return backfillCommand(ctx);
      case 'cancel':
        return withHandle(ctx, async (h) => {
          await h.cancel();
          ctx.out(`cancellation requested for ${h.workflowId}`);
          return 0;
        });
      default:
        throw new UsageError(`unknown or missing sub-command: ${sub ?? '(none)'}`);
    }
  },
};
