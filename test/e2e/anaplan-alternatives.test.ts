/**
 * A full cycle with the Anaplan sandbox playing the other side of every unconfirmed behaviour at once
 * (sandbox/FIDELITY.md A3, A16, A18, A22): refresh answers a new token value and kills the old one
 * (with tokens short enough that the cycle refreshes), module imports report another `details.type`,
 * tasks word `currentStep` differently, model reads do not wait for a busy model, and Time matches
 * by exact case. Real worker, real dev server; the loaded amounts are checked in the sandbox's model.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('full cycle against the Anaplan alternatives', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, {
      netsuite: { glLines: 600 },
      // 301 s tokens: past the 5-minute refresh margin 1 s after each login. Every task runs 1.5 s, so
      // the poll that sees the actuals import finish comes > 1 s after the login before it and
      // refreshes (302 s tokens with the default task time left a fast cycle without a refresh once
      // alignment stopped importing lists already in line).
      anaplan: {
        refreshNewTokenValue: true,
        tokenLifetimeSec: 301,
        taskDurationMs: 1_500,
        moduleDetailType: 'moduleCellsProcessed',
        alternateStepTexts: true,
        blockWhileBusy: false,
        periodCaseSensitive: true,
      },
    });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('completes, loads every extracted row and ties out; the sandbox really played each alternative', async () => {
    const summary = await (
      await startCycle(t.client, env.config, '2026-10', 'full', undefined, env.taskQueue)
    ).result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.warnings));
    assert.ok(summary.extract!.rows > 0);
    assert.deepEqual(
      [summary.import!.rowsImported, summary.import!.rowsRejected],
      [summary.extract!.rows, 0],
      'every period code matched exactly',
    );
    assert.equal(summary.tieOut!.balanced, true);
    const loaded = env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: 'Oct 26' });
    assert.equal(
      Math.round(loaded.total * 100),
      summary.tieOut!.loadedCents,
      "the model's own cells hold what the tie-out counts as loaded",
    );

    const base = `${env.sandboxes.anaplan.url}/__sandbox`;
    const tasks = (
      (await (await fetch(`${base}/tasks`)).json()) as {
        tasks: Array<{ currentStep: string; actionName: string; result?: { details?: Array<{ type: string }> } }>;
      }
    ).tasks;
    assert.ok(
      tasks.some((x) => x.result?.details?.some((d) => d.type === 'moduleCellsProcessed')),
      'module imports reported the other details.type',
    );
    assert.ok(
      tasks.length > 0 && tasks.every((x) => ['Completed', 'Queued', 'Running'].includes(x.currentStep)),
      JSON.stringify(tasks.map((x) => x.currentStep)),
    );
    const log = ((await (await fetch(`${base}/auth-log`)).json()) as { events: Array<{ kind: string; ok: boolean }> })
      .events;
    assert.ok(
      log.some((e) => e.kind === 'refresh' && e.ok),
      'the cycle refreshed a token (and got a new value)',
    );
  });
});
