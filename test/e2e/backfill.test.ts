/**
 * Backfill (issue 16 item 2) on the dev server against the sandboxes: `cycle backfill --wait` over
 * four months, one of which NetSuite does not have (it fails, the others go on), one of which is
 * already running (started by someone else: reported, not started twice), and the worker is shut
 * down mid-backfill and replaced (the backfill resumes). Figures are checked against Anaplan's cells.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backfillCommand } from '../../client/commands/backfill';
import { startCycle } from '../../client/cycle-runner';
import { backfillWorkflowId, cycleWorkflowId } from '../../common/ids';
import { backfillStatusQuery, pauseSignal, resumeSignal, type BackfillStatus } from '../../common/messages';
import type { backfill } from '../../workflows';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('cycle backfill', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-backfill-'));
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 3_000 } });
  });
  after(async () => {
    await env?.close();
    await t?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs one cycle per month, bounded, survives a worker replacement, reports the failed month with its retry command', async () => {
    const configFile = path.join(tmp, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(env.config));
    const first = await env.startWorker();
    const ws = env.config.anaplan.workspaceId;
    const model = env.config.anaplan.modelId;
    // 2025-02 is already running elsewhere, held open by a pause.
    const other = await startCycle(t.client, env.config, '2025-02', 'actuals', undefined, env.taskQueue);
    await other.signal(pauseSignal, { reason: 'held by the test' });

    const lines: string[] = [];
    const ctx = {
      values: {
        config: configFile,
        from: '2024-12',
        to: '2025-03',
        concurrency: '2',
        wait: true,
        'task-queue': env.taskQueue,
      },
      positionals: ['backfill'],
      out: (l: string) => lines.push(l),
      err: (l: string) => lines.push(l),
    };
    const connect = async () => ({ client: t.client, close: async () => undefined });
    const running = backfillCommand(ctx, connect);

    // Watch the backfill; replace the worker once a cycle is in flight.
    const handle = t.client.workflow.getHandle<typeof backfill>(
      backfillWorkflowId(ws, model, '2024-12', '2025-03', 'actuals'),
    );
    let maxRunning = 0;
    let replaced = false;
    let last: BackfillStatus | undefined;
    for (let i = 0; i < 3000 && !(last && last.pending + last.running === 0); i++) {
      last = await handle.query(backfillStatusQuery).catch(() => last);
      if (last) maxRunning = Math.max(maxRunning, last.running);
      if (!replaced && last && last.periods.some((p) => p.period === '2025-01' && p.state === 'running')) {
        replaced = true;
        first.worker.shutdown();
        await first.running;
        await first.connection.close();
        await env.startWorker();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const code = await running;
    const out = lines.join('\n');
    assert.ok(replaced, 'the worker was replaced while a cycle ran');
    assert.equal(code, 1, out);
    assert.ok(maxRunning <= 2, `at most 2 cycles in flight (saw ${maxRunning})`);

    const result = await handle.result();
    const by = new Map(result.periods.map((p) => [p.period, p]));
    assert.equal(by.get('2024-12')!.state, 'failed');
    assert.match(by.get('2024-12')!.error!, /2024-12 is not a NetSuite posting period/);
    assert.equal(by.get('2025-02')!.state, 'skipped');
    assert.match(by.get('2025-02')!.error!, /already running/);
    for (const p of ['2025-01', '2025-03']) {
      const r = by.get(p)!;
      assert.equal(r.state, 'done', JSON.stringify(r));
      assert.ok(r.rows! > 0 && r.tiedOut === true, JSON.stringify(r));
      // What the summary says was loaded is in Anaplan: the cells of that month hold the rows.
      const code = `${['Jan', 'Feb', 'Mar'][Number(p.slice(5)) - 1]} 25`;
      const cells = env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: code });
      assert.equal(cells.cells, r.rows, `Anaplan cells of ${code}`);
      // One execution per child cycle: the worker replacement did not start any twice.
      const runs: string[] = [];
      for await (const w of t.client.workflow.list({
        query: `WorkflowId = '${cycleWorkflowId(ws, model, p, 'actuals')}'`,
      }))
        runs.push(w.runId);
      assert.equal(runs.length, 1, `${p} ran once`);
    }
    assert.equal(result.done, 2);
    assert.equal(result.failed, 1);
    assert.equal(result.skipped, 1);
    assert.equal(result.rows, by.get('2025-01')!.rows! + by.get('2025-03')!.rows!);
    assert.equal(result.tiedOut, 2);
    // Progress was shown, then the summary with the retry command of the failed month alone.
    assert.match(out, /\[\d\/4\] running/);
    assert.match(out, /2 done, 1 failed, 1 skipped of 4 periods/);
    assert.ok(
      out.includes(`ml-connector cycle start --config ${configFile} --period 2024-12 --kind actuals --wait`),
      out,
    );
    // The cycle that was running elsewhere is left alone and finishes on its own.
    await other.signal(resumeSignal);
    assert.equal((await other.result()).status, 'completed');

    // The same command again attaches to nothing running: it starts a new backfill run of the range.
    lines.length = 0;
    const again = await backfillCommand(
      { ...ctx, values: { ...ctx.values, from: '2025-02', to: '2025-02', wait: true } },
      connect,
    );
    assert.equal(again, 0, lines.join('\n'));
    assert.match(lines.join('\n'), /1 done, 0 failed, 0 skipped of 1 periods/);
  });

  it('refuses bad input with the option named', async () => {
    const ctx = (values: Record<string, string | boolean>) => ({
      values: { config: 'x.json', ...values },
      positionals: ['backfill'],
      out: () => undefined,
      err: () => undefined,
    });
    const connect = async () => ({ client: t.client, close: async () => undefined });
    await assert.rejects(backfillCommand(ctx({ from: '2025-13', to: '2025-02' }), connect), /--from must be YYYY-MM/);
    await assert.rejects(
      backfillCommand(ctx({ from: '2025-03', to: '2025-02' }), connect),
      /--from 2025-03 is after --to 2025-02/,
    );
    await assert.rejects(
      backfillCommand(ctx({ from: '2025-01', to: '2025-02', concurrency: '0' }), connect),
      /--concurrency must be/,
    );
  });
});
