import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../client/cli';
import { createActivities } from '../../activities';
import { createConnectorWorker } from '../../worker/create-worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const config = (name: string) => ({
  name,
  netsuite: { accountId: '1234567_SB1', credentials: 'ns' },
  anaplan: {
    workspaceId: '8a81b09d5f3c4e21a0b1c2d3e4f5a6b7',
    modelId: '75A40874E6B64FA3AE0743278996BF8D',
    credentials: 'ap',
  },
  actions: { importActuals: 'Import GL Actuals', exportPlan: 'Export Approved Plan' },
  dimensions: Object.fromEntries(
    ['accounts', 'subsidiaries', 'departments', 'classes', 'locations'].map((d) => [d, { list: d, sync: false }]),
  ),
  journals: { offsetAccount: '2900' },
  schedule: { businessDay: 3, hour: 6, minute: 30, timezone: 'America/New_York', kind: 'actuals' },
});

describe('close-calendar schedules', () => {
  let t: TestTemporal;
  let dir: string;
  before(async () => {
    t = await testTemporal();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-sched-'));
  });
  after(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a time-zone aware schedule, lists, pauses, triggers and deletes it', async () => {
    const taskQueue = uniqueTaskQueue('sched');
    const name = `acme${process.pid}`;
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify(config(name)));
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    assert.equal(
      await main(
        ['schedule', 'create', '--config', file, '--task-queue', taskQueue, '--json', '--insecure-plaintext-payloads'],
        io,
      ),
      0,
      out.join('\n'),
    );
    const id = `close:${name}:actuals`;
    const created = JSON.parse(out.at(-1)!) as { scheduleId: string; nextActionTimes: string[] };
    assert.equal(created.scheduleId, id);
    const d = await t.client.schedule.getHandle(id).describe();
    assert.equal(d.spec.timezone, 'America/New_York');
    assert.deepEqual(
      d.spec.calendars?.[0]?.dayOfMonth?.map((r) => r.start),
      [3, 4, 5],
    );
    assert.equal(d.spec.calendars?.[0]?.hour?.[0]?.start, 6);
    assert.equal(d.policies.overlap, 'BUFFER_ONE');
    // Every upcoming fire is a weekday between the 3rd and 5th, at 06:30 New York time.
    for (const iso of created.nextActionTimes.slice(0, 3)) {
      const parts = Object.fromEntries(
        new Intl.DateTimeFormat('en-US', {
          timeZone: 'America/New_York',
          hourCycle: 'h23',
          weekday: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
        })
          .formatToParts(new Date(iso))
          .map((p) => [p.type, p.value]),
      );
      const local = `${parts.weekday} ${parts.day} ${parts.hour}:${parts.minute}`;
      assert.match(local, /^(Mon|Tue|Wed|Thu|Fri) [345] 06:30$/, local);
    }

    out.length = 0;
    assert.equal(await main(['schedule', 'list', '--json', '--insecure-plaintext-payloads'], io), 0);
    assert.ok((JSON.parse(out.at(-1)!) as Array<{ scheduleId: string }>).some((s) => s.scheduleId === id));
    assert.equal(
      await main(['schedule', 'pause', id, '--reason', 'audit week', '--insecure-plaintext-payloads'], io),
      0,
    );
    assert.equal((await t.client.schedule.getHandle(id).describe()).state.paused, true);
    assert.equal(await main(['schedule', 'unpause', id, '--insecure-plaintext-payloads'], io), 0);

    // Trigger: the scheduled workflow runs the close-calendar check now.
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      activities: createActivities(),
    });
    try {
      await worker.runUntil(async () => {
        assert.equal(await main(['schedule', 'trigger', id, '--insecure-plaintext-payloads'], io), 0);
        let runId: string | undefined;
        for (let i = 0; i < 100 && !runId; i++) {
          runId = (await t.client.schedule.getHandle(id).describe()).info.recentActions[0]?.action.workflow
            .firstExecutionRunId;
          if (!runId) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(runId, 'the trigger started a workflow');
        const recent = (await t.client.schedule.getHandle(id).describe()).info.recentActions[0]!;
        const result = (await t.client.workflow.getHandle(recent.action.workflow.workflowId, runId).result()) as {
          ran: boolean;
          reason?: string;
        };
        // Whatever today is, the result says whether it is business day 3 in New York.
        if (!result.ran) assert.match(result.reason!, /business day/);
      });
    } finally {
      await connection.close();
    }

    assert.equal(await main(['schedule', 'delete', id, '--insecure-plaintext-payloads'], io), 0);
    await assert.rejects(t.client.schedule.getHandle(id).describe());
  });

  it('follows the configured weekend: fires on its business weekdays only, and today off is no business day', async () => {
    const taskQueue = uniqueTaskQueue('sched');
    const name = `gulf${process.pid}`;
    const file = path.join(dir, 'w.json');
    // The weekend is today and tomorrow in New York, whatever today is: a five-day week all the same.
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const todayNy = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short' }).format(
      new Date(),
    );
    const weekend = [todayNy, days[(days.indexOf(todayNy) + 1) % 7]!];
    fs.writeFileSync(file, JSON.stringify({ ...config(name), schedule: { ...config(name).schedule, weekend } }));
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    assert.equal(
      await main(
        ['schedule', 'create', '--config', file, '--task-queue', taskQueue, '--insecure-plaintext-payloads'],
        io,
      ),
      0,
      out.join('\n'),
    );
    const workWeek = days.filter((d) => !weekend.includes(d));
    assert.match(out.at(-1)!, new RegExp(`business day 3 of ${workWeek.join(' ')}`));
    const id = `close:${name}:actuals`;
    const d = await t.client.schedule.getHandle(id).describe();
    assert.deepEqual(
      d.spec.calendars?.[0]?.dayOfWeek?.map((r) => r.start),
      workWeek.map(
        (w) =>
          ({
            Sun: 'SUNDAY',
            Mon: 'MONDAY',
            Tue: 'TUESDAY',
            Wed: 'WEDNESDAY',
            Thu: 'THURSDAY',
            Fri: 'FRIDAY',
            Sat: 'SATURDAY',
          })[w],
      ),
    );
    for (const iso of d.info.nextActionTimes.slice(0, 5)) {
      const wd = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short' }).format(
        new Date(iso),
      );
      assert.ok(workWeek.includes(wd), `fires on a business weekday: ${iso} is a ${wd}`);
    }
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      activities: createActivities(),
    });
    try {
      await worker.runUntil(async () => {
        assert.equal(await main(['schedule', 'trigger', id, '--insecure-plaintext-payloads'], io), 0);
        let recent: { action: { workflow: { workflowId: string; firstExecutionRunId: string } } } | undefined;
        for (let i = 0; i < 100 && !recent; i++) {
          recent = (await t.client.schedule.getHandle(id).describe()).info.recentActions[0];
          if (!recent) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(recent, 'the trigger started a workflow');
        const result = (await t.client.workflow
          .getHandle(recent.action.workflow.workflowId, recent.action.workflow.firstExecutionRunId)
          .result()) as { ran: boolean; reason?: string };
        assert.equal(result.ran, false);
        assert.match(result.reason!, /is business day — \(weekend or holiday\) in America\/New_York/);
      });
    } finally {
      await connection.close();
    }
    assert.equal(await main(['schedule', 'delete', id, '--insecure-plaintext-payloads'], io), 0);
  });
});
