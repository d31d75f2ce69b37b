/**
 * Close-driven cycles (issue 16 item 1) on the dev server against the sandboxes: `schedule create
 * --on period-close` starts the watcher; months are closed, reopened, closed again and locked
 * through the NetSuite sandbox's control plane; each close starts exactly one final cycle with a
 * distinct ID per close; pause holds it; `schedule list` shows last check and starts; delete ends it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeCycleWorkflowId, closeWatchWorkflowId } from '../../common/ids';
import { checkNowSignal, closeWatchStatusQuery, type CloseWatchStatus } from '../../common/messages';
import { closeWatch } from '../../workflows';
import { cycleEnv, cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { scheduleCli } from '../helpers/schedule-cli';
import type { TestTemporal } from '../helpers/temporal';

describe('period-close watcher', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 2_000 } }, (x) => ({ t, env } = x));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-close-watch-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cli = scheduleCli(() => env.taskQueue);
  const periodId = (name: string) =>
    (
      env.sandboxes.netsuite.state.db.prepare(`SELECT id FROM accountingperiod WHERE periodname = ?`).get(name) as {
        id: number;
      }
    ).id;
  const control = async (name: string, action: 'close' | 'reopen' | 'lock' | 'unlock', body: object = {}) => {
    const r = await fetch(`${env.sandboxes.netsuite.url}/__sandbox/periods/${periodId(name)}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, await r.text());
  };

  it('starts one final cycle per close, a new one after a reopen, none while paused, and on lock only when asked', async () => {
    const configFile = path.join(tmp, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(env.config));
    const created = await cli(['_', 'create'], ['config', configFile], ['on', 'period-close'], ['interval', '1h']);
    assert.equal(created.code, 0, created.out);
    const id = closeWatchWorkflowId(env.config.name);
    const h = t.client.workflow.getHandle(id);
    const again = await cli(['_', 'create'], ['config', configFile], ['on', 'period-close']);
    assert.equal(again.code, 1, 'one watcher per connection');
    assert.match(again.out, /already watched/);

    // The interval is an hour: each check here is asked for, so the test sees every one.
    let status: CloseWatchStatus | undefined;
    const checked = async () => {
      const before = (await h.query(closeWatchStatusQuery).catch(() => undefined))?.checks ?? 0;
      await h.signal(checkNowSignal);
      for (let i = 0; i < 600; i++) {
        status = await h.query(closeWatchStatusQuery).catch(() => undefined);
        if (status && status.checks > before) return status;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the watcher did not check');
    };
    const s0 = await checked();
    assert.equal(s0.started.length, 0, 'months already closed at the first check are the baseline');
    assert.ok(s0.openMonths.includes('2026-11'), JSON.stringify(s0.openMonths));

    const ws = env.config.anaplan.workspaceId;
    const model = env.config.anaplan.modelId;
    await control('Nov 2026', 'close');
    let s = await checked();
    assert.deepEqual(
      s.started.map((x) => [x.period, x.generation, x.reason, x.cycleId]),
      [['2026-11', 1, 'closed', closeCycleWorkflowId(ws, model, '2026-11', 'actuals', 1)]],
    );
    const first = await t.client.workflow.getHandle(s.started[0]!.cycleId).result();
    assert.equal(first.status, 'completed');
    assert.ok(first.import!.rowsImported > 0);
    // Further checks of a month still closed start nothing.
    await checked();
    s = await checked();
    assert.equal(s.started.length, 1);

    // Reopen, close again: a second final cycle with its own ID.
    await control('Nov 2026', 'reopen');
    s = await checked();
    assert.equal(s.started.length, 1);
    assert.ok(s.openMonths.includes('2026-11'));
    await control('Nov 2026', 'close');
    s = await checked();
    assert.equal(s.started.length, 2);
    assert.equal(s.started[1]!.cycleId, closeCycleWorkflowId(ws, model, '2026-11', 'actuals', 2));
    assert.equal((await t.client.workflow.getHandle(s.started[1]!.cycleId).result()).status, 'completed');

    // A lock alone is not a close (no --on-lock).
    await control('Dec 2026', 'lock', { all: true });
    s = await checked();
    assert.equal(s.started.length, 2, 'a locked month is not final without --on-lock');

    // Paused: a close is noticed only after resume.
    const paused = await cli(['_', 'pause'], ['_', id]);
    assert.equal(paused.code, 0, paused.out);
    await control('Dec 2026', 'close');
    await h.signal(checkNowSignal);
    await new Promise((r) => setTimeout(r, 1500));
    s = (await h.query(closeWatchStatusQuery))!;
    assert.equal(s.paused, true);
    assert.equal(s.started.length, 2, 'nothing started while paused');
    assert.equal((await cli(['_', 'unpause'], ['_', id])).code, 0);
    for (let i = 0; i < 600 && s.started.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = (await h.query(closeWatchStatusQuery))!;
    }
    assert.equal(s.started[2]?.cycleId, closeCycleWorkflowId(ws, model, '2026-12', 'actuals', 1));

    // `schedule list` shows the watcher: last check and what it started.
    const list = await cli(['_', 'list']);
    assert.equal(list.code, 0, list.out);
    assert.ok(list.out.includes(id) && list.out.includes(`last check ${s.lastCheck}`), list.out);
    assert.ok(
      list.out.includes(`started ${closeCycleWorkflowId(ws, model, '2026-11', 'actuals', 2)} (closed)`),
      list.out,
    );

    // Delete ends the watcher; the cycles it started are ordinary cycles and stay.
    const del = await cli(['_', 'delete'], ['_', id]);
    assert.equal(del.code, 0, del.out);
    for (let i = 0; i < 100 && (await h.describe()).status.name === 'RUNNING'; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await h.describe()).status.name, 'CANCELLED');
    assert.equal(
      (await t.client.workflow.getHandle(closeCycleWorkflowId(ws, model, '2026-12', 'actuals', 1)).result()).status,
      'completed',
    );
  });

  it('with --on-lock a month locked for all GL posting starts its final cycle', async () => {
    const env2 = await cycleEnv(t, { netsuite: { glLines: 500 } });
    try {
      await env2.startWorker();
      // Started directly, to continue-as-new every 2 checks: the state (what was started) carries over.
      const h = await t.client.workflow.start(closeWatch, {
        taskQueue: env2.taskQueue,
        workflowId: closeWatchWorkflowId(env2.config.name),
        args: [{ config: env2.config, intervalMs: 1000, onLock: true, checksPerRun: 2 }],
      });
      const firstRun = h.firstExecutionRunId;
      let s: CloseWatchStatus | undefined;
      for (let i = 0; i < 600 && !(s && s.checks > 0); i++) {
        s = await h.query(closeWatchStatusQuery).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
      const id = (
        env2.sandboxes.netsuite.state.db
          .prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Nov 2026'`)
          .get() as { id: number }
      ).id;
      // A/P lock alone is not a GL lock.
      await fetch(`${env2.sandboxes.netsuite.url}/__sandbox/periods/${id}/lock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ap: true }),
      });
      const checksAfterAp = s!.checks + 3;
      for (let i = 0; i < 600 && s!.checks < checksAfterAp; i++) {
        await new Promise((r) => setTimeout(r, 100));
        s = await h.query(closeWatchStatusQuery);
      }
      assert.equal(s!.started.length, 0, 'an A/P lock is not final');
      await fetch(`${env2.sandboxes.netsuite.url}/__sandbox/periods/${id}/lock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ all: true }),
      });
      for (let i = 0; i < 600 && s!.started.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        s = await h.query(closeWatchStatusQuery);
      }
      assert.equal(s!.started[0]?.reason, 'locked');
      assert.equal(s!.started[0]?.period, '2026-11');
      assert.equal((await t.client.workflow.getHandle(s!.started[0]!.cycleId).result()).status, 'completed');
      const checksThen = s!.checks;
      for (let i = 0; i < 600 && s!.checks < checksThen + 4; i++) {
        await new Promise((r) => setTimeout(r, 100));
        s = await h.query(closeWatchStatusQuery);
      }
      assert.notEqual((await h.describe()).runId, firstRun, 'the watcher continued as new');
      assert.equal(s!.started.length, 1, 'still one start after continue-as-new: the locked month is known');
      await h.cancel();
    } finally {
      await env2.close();
    }
  });
});
