/**
 * Flash cycles of the period-close watcher (issue 16 item 1, `--flash "daily-at HH:MM"`) on the dev
 * server against the sandboxes, at the real date, whatever it is: the business week is part of the
 * config (`schedule.weekend`), so the test picks a weekend that leaves today a business day for one
 * watcher and makes today a weekend day (or a holiday) for two others. The flash time is two minutes
 * ahead, in a fixed-offset time zone where it is about noon, so the local date is the UTC date and
 * no midnight is crossed. The first watcher starts exactly one flash actuals cycle of the open month
 * (`…:flash-<today>`), which completes with its actuals in Anaplan; a check asked for afterwards
 * (`schedule trigger`) starts no second one; the other two start nothing; `schedule list` shows it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeWatchWorkflowId, flashCycleWorkflowId } from '../../common/ids';
import { closeWatchStatusQuery, type CloseWatchStatus } from '../../common/messages';
import type { CycleSummary } from '../../common/dto';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { openMonthWithActivity } from '../helpers/open-month';
import { scheduleCli } from '../helpers/schedule-cli';
import type { TestTemporal } from '../helpers/temporal';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

describe('period-close watcher: flash cycles on business days', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 2_000 } }, (x) => ({ t, env } = x));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-flash-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cli = scheduleCli(() => env.taskQueue);

  it('starts one flash actuals cycle of the open month at HH:MM on a business day, none on a weekend day or a holiday', async () => {
    // Two minutes ahead, on the minute, in the whole-hour zone where that instant is 12:00.
    const flashAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 120_000);
    const offset = 12 - flashAt.getUTCHours();
    const timezone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    const hhmm = `12:${pad(flashAt.getUTCMinutes())}`;
    const today = flashAt.toISOString().slice(0, 10);
    const period = today.slice(0, 7);
    const wd = flashAt.getUTCDay();
    const day = (k: number) => DAYS[(wd + k) % 7]!;
    openMonthWithActivity(env.sandboxes.netsuite.state.db, period);
    const time = `${MONTHS[Number(period.slice(5)) - 1]} ${period.slice(2, 4)}`;
    assert.ok(env.sandboxes.anaplan.state.model.period(time), `the Anaplan sandbox's timescale has ${time}`);
    assert.equal(
      env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: time }).cells,
      0,
      'no actuals of the month in Anaplan before the flash',
    );

    // Today is a business day (the weekend is the next two days), a weekend day, or a holiday.
    const watchers = {
      business: { name: 'flash-biz', weekend: [day(1), day(2)], holidays: [] as string[] },
      weekend: { name: 'flash-weekend', weekend: [day(0), day(1)], holidays: [] as string[] },
      holiday: { name: 'flash-holiday', weekend: [day(1), day(2)], holidays: [today] },
    };
    for (const w of Object.values(watchers)) {
      const file = path.join(tmp, `${w.name}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({ ...env.config, name: w.name, schedule: { weekend: w.weekend, holidays: w.holidays } }),
      );
      const created = await cli(
        ['_', 'create'],
        ['config', file],
        ['on', 'period-close'],
        ['interval', '1h'],
        ['flash', `daily-at ${hhmm}`],
        ['timezone', timezone],
      );
      assert.equal(created.code, 0, created.out);
      assert.match(
        created.out,
        new RegExp(
          `flash actuals each business day \\(${DAYS.filter((d) => !w.weekend.includes(d)).join(' ')}${w.holidays.length ? ', 1 holidays skipped' : ''}\\) at ${hhmm} ${timezone.replace(/[+]/g, '\\+')}`,
        ),
        created.out,
      );
    }

    const status = (name: string) =>
      t.client.workflow.getHandle(closeWatchWorkflowId(name)).query(closeWatchStatusQuery);
    // Each watcher sleeps until HH:MM, then checks: wait for a check at or after the flash time.
    const checkedSince = async (name: string, since: number, checks = 0): Promise<CloseWatchStatus> => {
      for (let i = 0; i < 2400; i++) {
        const s = await status(name).catch(() => undefined);
        if (s?.lastCheck && Date.parse(s.lastCheck) >= since && s.checks > checks) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`watcher ${name} did not check after ${new Date(since).toISOString()}`);
    };
    const ws = env.config.anaplan.workspaceId;
    const model = env.config.anaplan.modelId;
    const flashId = flashCycleWorkflowId(ws, model, period, 'actuals', today);

    let biz = await checkedSince(watchers.business.name, flashAt.getTime());
    assert.equal(biz.lastError, null);
    assert.ok(biz.openMonths.includes(period), `${period} is open: ${JSON.stringify(biz.openMonths)}`);
    for (let i = 0; i < 100 && biz.started.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      biz = await status(watchers.business.name);
    }
    assert.deepEqual(
      biz.started.map((s) => [s.period, s.reason, s.cycleId, s.alreadyStarted ?? false]),
      [[period, 'flash', flashId, false]],
    );
    assert.ok(
      Date.parse(biz.started[0]!.at) >= flashAt.getTime(),
      `not started before ${hhmm} ${timezone}: ${biz.started[0]!.at}`,
    );

    // The flash is an ordinary actuals cycle of the open month: it completes and its rows are in Anaplan.
    const summary = (await t.client.workflow.getHandle(flashId).result()) as CycleSummary;
    assert.equal(summary.status, 'completed');
    assert.equal(summary.period, period);
    assert.ok(summary.import!.rowsImported > 0, JSON.stringify(summary.import));
    assert.equal(summary.tieOut!.balanced, true, JSON.stringify(summary.tieOut));
    assert.equal(
      env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: time }).cells,
      summary.import!.rowsImported,
      'every imported row is a cell of the month in Anaplan',
    );

    // A check asked for later the same day starts no second flash.
    const trig = await cli(['_', 'trigger'], ['_', closeWatchWorkflowId(watchers.business.name)]);
    assert.equal(trig.code, 0, trig.out);
    biz = await checkedSince(watchers.business.name, flashAt.getTime(), biz.checks);
    assert.equal(biz.started.length, 1, `one flash a day: ${JSON.stringify(biz.started)}`);

    // Today a weekend day, or a holiday: the watchers checked after HH:MM and started nothing.
    for (const w of [watchers.weekend, watchers.holiday]) {
      const s = await checkedSince(w.name, flashAt.getTime());
      assert.equal(s.lastError, null);
      assert.ok(s.openMonths.includes(period));
      assert.deepEqual(s.started, [], `${w.name} starts no flash on ${today}`);
    }

    // `schedule list` shows each watcher's flash and what it started.
    const list = await cli(['_', 'list']);
    assert.equal(list.code, 0, list.out);
    assert.ok(list.out.includes(`flash ${hhmm} ${timezone}`), list.out);
    assert.ok(list.out.includes(`started ${flashId} (flash) at ${biz.started[0]!.at}`), list.out);
    assert.equal(
      list.out.split(flashId).length - 1,
      1,
      `the flash cycle is listed once, under its watcher: ${list.out}`,
    );

    for (const w of Object.values(watchers))
      assert.equal((await cli(['_', 'delete'], ['_', closeWatchWorkflowId(w.name)])).code, 0);
  });
});
