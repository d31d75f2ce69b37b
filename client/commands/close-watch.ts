/**
 * `ml-connector schedule create --config F --on period-close [--interval 1h] [--on-lock]
 * [--flash daily-at HH:MM]` and the watcher's part of `schedule list|pause|unpause|delete`
 * (issue 16 item 1). The watcher is a workflow (`close-watch:<connection>`), not a Temporal
 * Schedule: pause/resume are signals, delete cancels it, list reads its status query.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { businessWeekdays } from '../../common/close-calendar';
import { closeWatchWorkflowId, TASK_QUEUE, type CycleKind } from '../../common/ids';
import {
  checkNowSignal,
  closeWatchStatusQuery,
  pauseSignal,
  resumeSignal,
  type CloseWatchStatus,
} from '../../common/messages';
import type { closeWatch } from '../../workflows';
import { UsageError, type CommandContext, type OptionSpec } from '../command';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../config-file';

export const closeWatchOptions: OptionSpec = {
  on: {
    type: 'string',
    description: 'create: `period-close` for a watcher of NetSuite period closes (default: the close calendar)',
  },
  interval: {
    type: 'string',
    description: 'period-close: how often NetSuite is checked (e.g. 1h, 15m, 30s; default 1h)',
  },
  'on-lock': { type: 'boolean', description: 'period-close: a month locked for all GL posting counts as closed' },
  flash: {
    type: 'string',
    description: 'period-close: `daily-at HH:MM` flash actuals of the open month each business day',
  },
  timezone: {
    type: 'string',
    description: 'period-close: time zone of --flash (default the config schedule’s, else UTC)',
  },
  kind: { type: 'string', description: 'period-close: kind of the final cycle (default actuals)' },
};

export const CLOSE_WATCH_PREFIX = 'close-watch:';

/** `1h`, `15m`, `30s`, `2h30m` → ms. */
export function parseInterval(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') throw new UsageError(`--interval must look like 1h, 15m or 30s (got ${text})`);
  const ms = (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
  if (ms < 1000) throw new UsageError(`--interval must be at least 1s (got ${text})`);
  return ms;
}

export function parseFlash(text: string): string {
  const m = /^daily-at (\d{2}):(\d{2})$/.exec(text.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
    throw new UsageError(`--flash must be "daily-at HH:MM" (got ${text})`);
  return `${m[1]}:${m[2]}`;
}

export async function createCloseWatch(ctx: CommandContext, client: Client): Promise<number> {
  if (ctx.values.on !== 'period-close')
    throw new UsageError(`--on must be period-close (got ${String(ctx.values.on)})`);
  const config = loadConfigFile(String(ctx.values.config ?? DEFAULT_CONFIG_FILE));
  const intervalMs = parseInterval(String(ctx.values.interval ?? '1h'));
  const flashAt = typeof ctx.values.flash === 'string' ? parseFlash(ctx.values.flash) : undefined;
  const kind = String(ctx.values.kind ?? 'actuals') as CycleKind;
  if (!['full', 'actuals', 'plan'].includes(kind))
    throw new UsageError(`--kind must be full, actuals or plan (got ${kind})`);
  const timezone = typeof ctx.values.timezone === 'string' ? ctx.values.timezone : (config.schedule?.timezone ?? 'UTC');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new UsageError(`--timezone ${timezone} is not an IANA time zone`);
  }
  const id = closeWatchWorkflowId(config.name);
  try {
    await client.workflow.start<typeof closeWatch>('closeWatch', {
      taskQueue: String(ctx.values['task-queue'] ?? TASK_QUEUE),
      workflowId: id,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      args: [
        {
          config,
          kind,
          intervalMs,
          onLock: ctx.values['on-lock'] === true,
          flashAt,
          timezone,
          holidays: config.schedule?.holidays ?? [],
          weekend: config.schedule?.weekend,
        },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      ctx.err(
        `connection ${config.name} is already watched by ${id}; \`ml-connector schedule delete ${id}\` first to change it`,
      );
      return 1;
    }
    throw err;
  }
  ctx.out(
    ctx.values.json
      ? JSON.stringify({ workflowId: id, intervalMs, onLock: ctx.values['on-lock'] === true, flashAt: flashAt ?? null })
      : `created period-close watcher ${id} (checks NetSuite every ${String(ctx.values.interval ?? '1h')}; final ${kind} cycle when a month ${ctx.values['on-lock'] === true ? 'closes or is locked' : 'closes'}${flashAt ? `; flash actuals each business day (${businessWeekdays(config.schedule?.weekend).join(' ')}${config.schedule?.holidays.length ? `, ${config.schedule.holidays.length} holidays skipped` : ''}) at ${flashAt} ${timezone}` : ''})`,
  );
  return 0;
}

/** Running watchers with their status (a watcher that does not answer is listed without it). */
export async function listCloseWatchers(
  client: Client,
): Promise<Array<{ workflowId: string; status: CloseWatchStatus | null }>> {
  const out: Array<{ workflowId: string; status: CloseWatchStatus | null }> = [];
  for await (const w of client.workflow.list({
    query: `WorkflowType = 'closeWatch' AND ExecutionStatus = 'Running'`,
  })) {
    // A gRPC deadline, not a race: a watcher with no worker is never answered, and a raced query would
    // keep retrying in the background after the command closed its connection ("Channel has been shut
    // down"). Past the deadline the call ends (DEADLINE_EXCEEDED is not retried).
    const status = await client
      .withDeadline(Date.now() + 5_000, () => client.workflow.getHandle(w.workflowId).query(closeWatchStatusQuery))
      .catch(() => null);
    out.push({ workflowId: w.workflowId, status });
  }
  return out;
}

export function renderCloseWatcher(w: { workflowId: string; status: CloseWatchStatus | null }): string[] {
  const s = w.status;
  if (!s) return [`${w.workflowId.padEnd(40)} watcher (no answer: is a worker running?)`];
  const lines = [
    `${w.workflowId.padEnd(40)} ${s.paused ? 'paused ' : 'active '} every ${Math.round(s.intervalMs / 1000)}s${s.onLock ? ', on lock' : ''}${s.flash ? `, flash ${s.flash}` : ''}; last check ${s.lastCheck ?? '—'} (${s.checks} checks)${s.lastError ? `; last error: ${s.lastError}` : ''}`,
  ];
  for (const st of s.started.slice(-5))
    lines.push(
      `  started ${st.cycleId} (${st.reason}${st.alreadyStarted ? ', already started before' : ''}) at ${st.at}`,
    );
  return lines;
}

/** pause / unpause / trigger (check now) / delete of a watcher; returns undefined when `id` is not a watcher's. */
export async function controlCloseWatch(
  ctx: CommandContext,
  client: Client,
  action: 'pause' | 'unpause' | 'trigger' | 'delete',
  id: string,
): Promise<number | undefined> {
  if (!id.startsWith(CLOSE_WATCH_PREFIX)) return undefined;
  const h = client.workflow.getHandle(id);
  if (action === 'pause') await h.signal(pauseSignal, { reason: ctx.values.reason as string | undefined });
  else if (action === 'unpause') await h.signal(resumeSignal);
  // A check now, as at the interval: a flash already started today is not started again.
  else if (action === 'trigger') await h.signal(checkNowSignal);
  else await h.cancel();
  ctx.out(
    `${{ delete: 'deleted (cancelled)', pause: 'paused', unpause: 'unpaused', trigger: 'triggered (checks now)' }[action]} ${id}`,
  );
  return 0;
}
