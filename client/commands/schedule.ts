/**
 * `ml-connector schedule create|list|pause|unpause|trigger|delete`: Temporal Schedules on the
 * config's close calendar (time-zone aware calendar spec, overlap BUFFER_ONE: a run that comes due
 * while one is going waits for it instead of overlapping or being dropped).
 */
import { ScheduleOverlapPolicy, type ScheduleClient } from '@temporalio/client';
import { businessWeekdays, candidateDays, DEFAULT_WEEKEND, weekdayHolidaysPerMonth } from '../../common/close-calendar';
import { TASK_QUEUE } from '../../common/ids';
import type { scheduledCycle } from '../../workflows';
import { UsageError, type Command, type CommandContext } from '../command';
import { cliDataConverter } from '../codec';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../config-file';
import { connectClient } from '../temporal';
import {
  closeWatchOptions,
  controlCloseWatch,
  createCloseWatch,
  listCloseWatchers,
  renderCloseWatcher,
} from './close-watch';

/** Temporal calendar weekday names (ScheduleSpec `dayOfWeek`) by the config's short names. */
const CALENDAR_WEEKDAYS = {
  Sun: 'SUNDAY',
  Mon: 'MONDAY',
  Tue: 'TUESDAY',
  Wed: 'WEDNESDAY',
  Thu: 'THURSDAY',
  Fri: 'FRIDAY',
  Sat: 'SATURDAY',
} as const;

export function scheduleId(connection: string, kind: string): string {
  return `close:${connection}:${kind}`;
}

async function create(ctx: CommandContext, schedules: ScheduleClient): Promise<number> {
  const config = loadConfigFile(String(ctx.values.config ?? DEFAULT_CONFIG_FILE));
  const cal = config.schedule ?? {
    businessDay: 3,
    hour: 6,
    minute: 0,
    timezone: 'America/New_York',
    kind: 'full' as const,
    holidays: [],
    weekend: [...DEFAULT_WEEKEND],
  };
  const workWeek = businessWeekdays(cal.weekend);
  const id = scheduleId(config.name, cal.kind);
  const handle = await schedules.create({
    scheduleId: id,
    spec: {
      calendars: [
        {
          dayOfMonth: candidateDays(cal.businessDay, weekdayHolidaysPerMonth(cal.holidays, cal.weekend), cal.weekend),
          dayOfWeek: workWeek.map((d) => CALENDAR_WEEKDAYS[d]),
          hour: cal.hour,
          minute: cal.minute,
          comment: `business day ${cal.businessDay} at ${cal.hour}:${String(cal.minute).padStart(2, '0')}`,
        },
      ],
      timezone: cal.timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledCycle',
      taskQueue: String(ctx.values['task-queue'] ?? TASK_QUEUE),
      workflowId: `scheduled:${config.name}:${cal.kind}`,
      args: [
        {
          config,
          kind: cal.kind,
          businessDay: cal.businessDay,
          timezone: cal.timezone,
          holidays: cal.holidays,
          weekend: cal.weekend,
        },
      ] satisfies Parameters<typeof scheduledCycle>,
    },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 day' },
  });
  const d = await handle.describe();
  ctx.out(
    ctx.values.json
      ? JSON.stringify({ scheduleId: id, nextActionTimes: d.info.nextActionTimes })
      : `created schedule ${id} (business day ${cal.businessDay} of ${workWeek.join(' ')}${cal.holidays.length ? `, ${cal.holidays.length} holidays skipped` : ''}, ${cal.hour}:${String(cal.minute).padStart(2, '0')} ${cal.timezone}); next fires: ${d.info.nextActionTimes
          .slice(0, 3)
          .map((t) => t.toISOString())
          .join(', ')}`,
  );
  return 0;
}

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'Manage close-calendar schedules',
  usage:
    'ml-connector schedule <create|list|pause|unpause|trigger|delete> [id] [--config F] [--on period-close [--interval 1h] [--on-lock] [--flash "daily-at HH:MM"]]',
  subcommands: {
    create:
      "Create the Temporal Schedule from the config's close calendar (--config F), or with --on period-close a watcher that runs each month's final cycle when NetSuite closes it",
    list: 'List schedules',
    pause: 'Pause a schedule: <id> [--reason R]',
    unpause: 'Unpause a schedule: <id>',
    trigger:
      'Fire a schedule now (the close-calendar check runs; use `cycle start` to force a cycle), or make a period-close watcher check now: <id>',
    delete: 'Delete a schedule: <id>',
  },
  options: {
    config: { type: 'string', description: 'Connection config file', default: DEFAULT_CONFIG_FILE },
    reason: { type: 'string', description: 'Note recorded with pause/unpause' },
    json: { type: 'boolean', description: 'Machine-readable output' },
    'task-queue': { type: 'string', description: 'Task queue of the scheduled workflows', default: TASK_QUEUE },
    ...closeWatchOptions,
  },
  async run(ctx) {
    const sub = ctx.positionals[0];
    const { client, close } = await connectClient(undefined, cliDataConverter());
    try {
      const id = () => {
        const v = ctx.positionals[1];
        if (!v) throw new UsageError(`schedule ${sub} needs a schedule ID (see \`ml-connector schedule list\`)`);
        return client.schedule.getHandle(v);
      };
      switch (sub) {
        case 'create':
          if (ctx.values.on !== undefined) return await createCloseWatch(ctx, client);
          return await create(ctx, client.schedule);
        case 'list': {
          const rows: Array<Record<string, unknown>> = [];
          for await (const s of client.schedule.list())
            rows.push({
              scheduleId: s.scheduleId,
              paused: s.state.paused,
              next: s.info.nextActionTimes[0]?.toISOString() ?? null,
              note: s.state.note ?? null,
            });
          const watchers = await listCloseWatchers(client);
          if (ctx.values.json)
            ctx.out(
              JSON.stringify(
                watchers.length
                  ? [...rows, ...watchers.map((w) => ({ scheduleId: w.workflowId, watcher: w.status }))]
                  : rows,
              ),
            );
          else {
            for (const r of rows)
              ctx.out(`${String(r.scheduleId).padEnd(40)} ${r.paused ? 'paused ' : 'active '} next ${r.next ?? '—'}`);
            for (const w of watchers) for (const l of renderCloseWatcher(w)) ctx.out(l);
          }
          return 0;
        }
        case 'pause':
          if (ctx.positionals[1]?.startsWith('close-watch:'))
            return (await controlCloseWatch(ctx, client, 'pause', ctx.positionals[1]))!;
          await id().pause(ctx.values.reason as string | undefined);
          ctx.out(`paused ${ctx.positionals[1]}`);
          return 0;
        case 'unpause':
          if (ctx.positionals[1]?.startsWith('close-watch:'))
            return (await controlCloseWatch(ctx, client, 'unpause', ctx.positionals[1]))!;
          await id().unpause(ctx.values.reason as string | undefined);
          ctx.out(`unpaused ${ctx.positionals[1]}`);
          return 0;
        case 'trigger':
          if (ctx.positionals[1]?.startsWith('close-watch:'))
            return (await controlCloseWatch(ctx, client, 'trigger', ctx.positionals[1]))!;
          await id().trigger(ScheduleOverlapPolicy.BUFFER_ONE);
          ctx.out(`triggered ${ctx.positionals[1]}`);
          return 0;
        case 'delete':
          if (ctx.positionals[1]?.startsWith('close-watch:'))
            return (await controlCloseWatch(ctx, client, 'delete', ctx.positionals[1]))!;
          await id().delete();
          ctx.out(`deleted ${ctx.positionals[1]}`);
          return 0;
        default:
          throw new UsageError(`unknown or missing sub-command: ${sub ?? '(none)'}`);
      }
    } finally {
      await close();
    }
  },
};
