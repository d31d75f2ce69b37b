/**
 * `ml-connector cycle start|status|pause|resume|cancel`.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { createPortsResolver } from '../../activities/cycle/connections';
import { openStores } from '../../activities/store';
import { Period } from '../../common/config';
import type { CycleSummary } from '../../common/dto';
import { parseCycleWorkflowId, type CycleKind } from '../../common/ids';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
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
  if (!['full', 'actuals', 'plan'].includes(kind)) throw new UsageError(`--kind must be full, actuals or plan (got ${kind})`);
  let period = ctx.values.period as string | undefined;
  if (period !== undefined && !Period.safeParse(period).success) throw new UsageError(`--period must be YYYY-MM (got ${period})`);
  if (!period) {
    const stores = openStores({ dataDir: dataDir() });
    const ports = createPortsResolver({ vault: stores.vault });
    try {
      period = await latestClosedPeriod({ ports }, config);
    } finally {
      await ports.close();
      stores.close();
    }
    if (!ctx.values.json) ctx.out(`period: ${period} (latest closed NetSuite period)`);
  }
  const { client, close } = await connectClient(undefined, cliDataConverter());
  try {
    let handle;
    try {
      handle = await startCycle(client, config, period, kind);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        ctx.err(`cycle ${err.workflowId} is already running; see \`ml-connector cycle status ${err.workflowId}\``);
        return 1;
      }
      throw err;
    }
    if (!ctx.values.wait) {
      ctx.out(ctx.values.json ? JSON.stringify({ workflowId: handle.workflowId, status: 'started' }) : `started ${handle.workflowId}`);
      return 0;
    }
    let summary: CycleSummary;
    try {
      summary = await watchCycle(handle, ctx.values.json ? () => undefined : ctx.out);
    } catch (err) {
      const s = await handle.query(statusQuery).catch(() => undefined);
      const reason = s?.lastError ?? (err as Error).message;
      if (ctx.values.json) ctx.out(JSON.stringify({ workflowId: handle.workflowId, status: 'failed', error: reason, steps: s?.steps }));
      else ctx.err(`cycle ${handle.workflowId} failed: ${reason}`);
      return 1;
    }
    if (ctx.values.json) ctx.out(JSON.stringify(summary));
    else for (const l of renderSummary(summary)) ctx.out(l);
    return summary.tieOut && !summary.tieOut.balanced ? 1 : 0;
  } finally {
    await close();
  }
}

async function withHandle(ctx: CommandContext, fn: (h: ReturnType<Awaited<ReturnType<typeof connectClient>>['client']['workflow']['getHandle']>) => Promise<number>): Promise<number> {
  const id = ctx.positionals[1];
  if (!id) throw new UsageError('a cycle workflow ID is required');
  if (!parseCycleWorkflowId(id)) ctx.err(`note: ${id} does not look like cycle:<workspaceId>:<modelId>:<period>:<kind>`);
  const { client, close } = await connectClient(undefined, cliDataConverter());
  try {
    return await fn(client.workflow.getHandle(id));
  } finally {
    await close();
  }
}

export const cycleCommand: Command = {
  name: 'cycle',
  summary: 'Start and control planning cycles',
  usage: 'ml-connector cycle <start|status|pause|resume|cancel|backfill> [...]',
  subcommands: {
    start: 'Start a cycle: --config F [--period 2026-10] [--kind full|actuals|plan] [--wait] [--json]',
    status: "Show a cycle's status: <workflow-id> [--json]",
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
            for (const st of s?.steps ?? []) ctx.out(`  ${st.state.padEnd(8)} ${st.name.padEnd(16)} ${Object.entries(st.counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
            if (s?.quarantined) ctx.out(`  quarantined: ${s.quarantined}`);
            if (s?.lastError) ctx.out(`  last error: ${s.lastError}`);
            for (const w of s?.warnings ?? []) ctx.out(`  ⚠ ${w}`);
          }
          return 0;
        });
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
