/**
 * `ml-connector replay --cycle ID [--step S]`: re-sends a failed step from its stored artifact with
 * the same idempotency keys (see workflows/replay.ts). The config, period and artifact hashes come
 * from the cycle's memo, so the replay uses exactly what the cycle used.
 */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { ConnectionConfig } from '../../common/config';
import type { CycleArtifacts, ReplayableStep } from '../../common/dto';
import { TASK_QUEUE } from '../../common/ids';
import { statusQuery } from '../../common/messages';
import type { replayStep } from '../../workflows';
import { UsageError, type Command } from '../command';
import { cliDataConverter } from '../codec';
import { connectClient } from '../temporal';
import { startCycle } from '../cycle-runner';

function innermost(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e && typeof e === 'object' && e.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Re-run a failed step from its stored artifact',
  usage: 'ml-connector replay --cycle ID [--step importActuals|postJournals] [--rederive] [--json]',
  options: {
    cycle: { type: 'string', description: 'Cycle workflow ID' },
    step: { type: 'string', description: 'Step to re-send (default: the step that failed)' },
    rederive: {
      type: 'boolean',
      description:
        "Re-prepare the journals from the current plan (a new plan cycle for the cycle's period) instead of re-sending the stored ones",
    },
    json: { type: 'boolean', description: 'Machine-readable output' },
    'task-queue': { type: 'string', description: 'Task queue', default: TASK_QUEUE },
  },
  async run(ctx) {
    const cycleId = ctx.values.cycle as string | undefined;
    if (!cycleId) throw new UsageError('--cycle is required');
    const { client, close } = await connectClient(undefined, cliDataConverter());
    try {
      const handle = client.workflow.getHandle(cycleId);
      const desc = await handle.describe();
      const memo = (desc.memo ?? {}) as { config?: ConnectionConfig; artifacts?: CycleArtifacts; period?: string };
      if (!memo.config)
        throw new Error(`cycle ${cycleId} carries no replay information (started by an older version?)`);
      let step = ctx.values.step as ReplayableStep | undefined;
      if (!step) {
        const s = await handle.query(statusQuery).catch(() => undefined);
        const failed = s?.steps.find((x) => x.state === 'failed')?.name;
        step = (
          failed === 'importActuals' || failed === 'postJournals'
            ? failed
            : memo.artifacts?.journalsHash
              ? 'postJournals'
              : 'importActuals'
        ) as ReplayableStep;
      }
      if (step !== 'importActuals' && step !== 'postJournals')
        throw new UsageError(`--step must be importActuals or postJournals (got ${step})`);
      const taskQueue = String(ctx.values['task-queue'] ?? TASK_QUEUE);
      if (ctx.values.rederive) {
        if (step !== 'postJournals')
          throw new UsageError('--rederive re-prepares plan journals: it applies to --step postJournals only');
        if (!memo.period)
          throw new Error(
            `cycle ${cycleId} carries no period in its memo: start a plan cycle with \`ml-connector cycle start --kind plan --period YYYY-MM\``,
          );
        // The stored journals are stale: a plan cycle for the same period exports the current plan,
        // prepares journals from it and posts them under the ledger lock like any cycle.
        const handle = await startCycle(client, memo.config, memo.period, 'plan', undefined, taskQueue);
        if (!ctx.values.json) ctx.out(`re-deriving ${cycleId}'s journals from the current plan: ${handle.workflowId}`);
        const summary = await handle.result().catch(async (err) => {
          throw new Error(`${handle.workflowId} failed: ${innermost(err)}`);
        });
        if (ctx.values.json) ctx.out(JSON.stringify({ rederived: handle.workflowId, journals: summary.journals }));
        else
          ctx.out(
            `re-derived by ${handle.workflowId}: ${summary.journals?.posted ?? 0} posted, ${summary.journals?.updated ?? 0} updated, ${summary.journals?.unchanged ?? 0} unchanged, ${summary.journals?.retired ?? 0} stale deleted`,
          );
        return 0;
      }
      const r = await client.workflow
        .execute<typeof replayStep>('replayStep', {
          taskQueue,
          workflowId: `replay:${cycleId}:${step}`,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          args: [
            {
              config: memo.config,
              cycleId,
              step,
              artifacts: memo.artifacts ?? {},
              since: desc.startTime.toISOString(),
            },
          ],
        })
        .catch((err) => {
          // "Workflow execution failed" says nothing: the reason (e.g. a newer cycle wrote the ledger) is inside.
          throw new Error(innermost(err));
        });
      if (ctx.values.json) ctx.out(JSON.stringify(r));
      else if (r.journals)
        ctx.out(
          `replayed ${step} of ${cycleId}: ${r.journals.posted} posted, ${r.journals.updated} updated, ${r.journals.unchanged} unchanged${r.journals.retired ? `, ${r.journals.retired} stale deleted` : ''}`,
        );
      else if (r.import)
        ctx.out(
          `replayed ${step} of ${cycleId}: ${r.import.rowsImported} imported, ${r.import.rowsRejected} rejected (task ${r.import.taskId})`,
        );
      return 0;
    } finally {
      await close();
    }
  },
};
