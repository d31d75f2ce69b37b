/**
 * Per-model serialization, pause/resume, crash recovery and cancellation with the real activities
 * against both sandboxes on the real dev server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { isCancellation } from '@temporalio/workflow';
import { WorkflowFailedError } from '@temporalio/client';
import { startCycle } from '../../client/cycle-runner';
import { PROJECT_ROOT } from '../../client/paths';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { until, ledgerJournals } from '../helpers/until';

type Run = {
  taskId: string;
  actionName?: string;
  startedAt: string | number;
  endedAt?: string | number | null;
  state?: string;
};
async function timeline(env: CycleEnv): Promise<Run[]> {
  const r = await fetch(`${env.sandboxes.anaplan.url}/__sandbox/timeline?modelId=${env.config.anaplan.modelId}`);
  const body = (await r.json()) as { entries: Run[] };
  return body.entries;
}
const ms = (v: string | number | null | undefined) =>
  typeof v === 'number' ? v : v ? Date.parse(v) : Number.POSITIVE_INFINITY;

describe('cycle control against both sandboxes', async () => {
  let t: TestTemporal;
  before(async () => {
    t = await testTemporal();
  });
  after(async () => {
    await t?.close();
  });

  it('runs three cycles on one model at once without two Anaplan actions overlapping', async () => {
    const env = await cycleEnv(t, { netsuite: { glLines: 3_000 }, anaplan: { taskDurationMs: 300 } });
    try {
      await env.startWorker();
      const handles = await Promise.all(
        ['2026-08', '2026-09', '2026-10'].map((p) =>
          startCycle(t.client, env.config, p, 'actuals', undefined, env.taskQueue),
        ),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      for (const r of results) {
        assert.equal(r.status, 'completed');
        assert.equal(r.tieOut?.balanced, true);
      }
      const runs = (await timeline(env)).sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
      // List imports run only for lists that differ from NetSuite (the first alignment may import,
      // later ones find the lists in line); the actuals import runs once per cycle.
      assert.equal(
        runs.filter((r) => r.actionName === env.config.actions.importActuals).length,
        3,
        `one actuals import per cycle: ${JSON.stringify(runs.map((r) => r.actionName))}`,
      );
      for (let i = 1; i < runs.length; i++)
        assert.ok(
          ms(runs[i]!.startedAt) >= ms(runs[i - 1]!.endedAt),
          `task ${runs[i]!.taskId} started before ${runs[i - 1]!.taskId} ended`,
        );
      for (const p of ['Aug 26', 'Sep 26', 'Oct 26'])
        assert.ok(
          env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: p }).cells > 0,
          `${p} actuals loaded`,
        );
    } finally {
      await env.close();
    }
  });

  it('makes no API call while paused and completes after resume', async () => {
    const env = await cycleEnv(t, { netsuite: { glLines: 3_000 } });
    try {
      await env.startWorker();
      const h = await startCycle(t.client, env.config, '2026-10', 'full', undefined, env.taskQueue);
      await until(
        () => h.query(statusQuery),
        (s) => s.step === 'alignDimensions',
        60_000,
        20,
      );
      await h.signal(pauseSignal, { reason: 'hold' });
      await until(
        () => h.query(statusQuery),
        (s) => s.paused && s.steps.find((x) => x.name === 'alignDimensions')!.state === 'done',
      );
      const calls = async () =>
        (await env.built.stores.audit.queryCalls({ cycleId: h.workflowId, limit: 100_000 })).length;
      // The kit's per-route counter (`{requests: {route: n}, faultsFired}`); a missing field fails here
      // rather than comparing two empty objects.
      const nsStats = async () => {
        const { requests } = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/requests`)).json()) as {
          requests?: Record<string, number>;
        };
        assert.ok(requests && Object.keys(requests).length > 0, 'the NetSuite sandbox counted requests per route');
        return JSON.stringify(requests);
      };
      const before = { calls: await calls(), ns: await nsStats(), runs: (await timeline(env)).length };
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(await calls(), before.calls, 'no NetSuite or Anaplan call recorded while paused');
      assert.equal(await nsStats(), before.ns, 'NetSuite saw no request while paused');
      assert.equal((await timeline(env)).length, before.runs, 'no Anaplan action while paused');
      assert.equal((await h.query(statusQuery)).steps.find((x) => x.name === 'importActuals')!.state, 'pending');
      await h.signal(resumeSignal);
      const r = await h.result();
      assert.equal(r.status, 'completed');
      assert.ok((await calls()) > before.calls);
    } finally {
      await env.close();
    }
  });

  it('finishes the cycle without duplicates after the worker is killed mid-import', async () => {
    // Slow Anaplan tasks (3 s each) give time to kill the worker while the actuals import runs.
    const env = await cycleEnv(t, { netsuite: { glLines: 3_000 }, anaplan: { taskDurationMs: 3_000 } });
    const workerEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: t.server.address,
      ML_CONNECTOR_DATA_DIR: env.dataDir,
      ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 7).toString('hex'),
      ML_CONNECTOR_TASK_QUEUE: env.taskQueue,
    };
    const spawnWorker = (): ChildProcess =>
      spawn(
        process.execPath,
        ['--import', 'tsx', path.join(PROJECT_ROOT, 'client/cli.ts'), 'worker', '--insecure-plaintext-payloads'],
        { env: workerEnv, stdio: ['ignore', 'ignore', 'pipe'], cwd: PROJECT_ROOT },
      );
    let child = spawnWorker();
    try {
      const h = await startCycle(t.client, env.config, '2026-10', 'full', { heartbeatTimeoutMs: 3_000 }, env.taskQueue);
      // Wait for the Anaplan actuals import task to be running, then SIGKILL the worker.
      await until(
        () => timeline(env),
        (runs) =>
          runs.some((r) => /GL Actuals/.test(r.actionName ?? '') && (r.endedAt === null || r.endedAt === undefined)),
        90_000,
        50,
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = spawnWorker();
      const r = await h.result();
      assert.equal(r.status, 'completed');
      assert.equal(r.tieOut?.balanced, true);
      const glImports = (await timeline(env)).filter((x) => /GL Actuals/.test(x.actionName ?? ''));
      assert.ok(glImports.length >= 2, `the import ran again after the crash (${glImports.length} runs)`);
      // Cells equal NetSuite (a re-run import sets the same cells again; nothing is added twice).
      const total = env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: 'Oct 26' });
      assert.equal(Math.round(total.total * 100), r.tieOut!.loadedCents);
      const journals = await ledgerJournals(env.sandboxes.netsuite.url);
      assert.equal(journals.length, r.plan!.journals);
      assert.equal(new Set(journals.map((j) => j.externalId)).size, journals.length, 'no journal twice');
    } finally {
      child.kill('SIGKILL');
      await env.close();
    }
  });

  it('cancels the Anaplan task in flight when the cycle is cancelled', async () => {
    const env = await cycleEnv(t, { netsuite: { glLines: 3_000 }, anaplan: { msPerRow: 40 } });
    try {
      await env.startWorker();
      const h = await startCycle(
        t.client,
        env.config,
        '2026-10',
        'actuals',
        { heartbeatTimeoutMs: 2_000 },
        env.taskQueue,
      );
      await until(
        () => timeline(env),
        (runs) =>
          runs.some((r) => /GL Actuals/.test(r.actionName ?? '') && (r.endedAt === null || r.endedAt === undefined)),
        90_000,
        50,
      );
      await h.cancel();
      await assert.rejects(
        h.result(),
        (err: unknown) => err instanceof WorkflowFailedError && isCancellation(err.cause),
      );
      const gl = await until(
        () => timeline(env),
        (runs) =>
          runs
            .filter((r) => /GL Actuals/.test(r.actionName ?? ''))
            .every((r) => r.endedAt !== null && r.endedAt !== undefined),
        30_000,
      );
      const last = gl.filter((r) => /GL Actuals/.test(r.actionName ?? '')).at(-1)!;
      assert.match(String(last.state), /CANCEL/, `the import task was cancelled (${last.state})`);
      assert.equal(
        env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: 'Oct 26' }).cells,
        0,
        'a cancelled import applies nothing',
      );
    } finally {
      await env.close();
    }
  });
});
