import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { createConnectorWorker } from '../../worker/create-worker';
import { connectorDemo, demoWorkerOptions } from '../helpers/demo-worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { until } from '../helpers/until';

describe('demo workflow on a real Temporal dev server', () => {
  let t: TestTemporal;
  before(async () => {
    t = await testTemporal();
  });
  after(async () => {
    await t?.close();
  });

  it('holds while paused, reports it through the status query, and completes after resume', async () => {
    const taskQueue = uniqueTaskQueue('demo');
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      ...demoWorkerOptions(),
    });
    try {
      await worker.runUntil(async () => {
        const handle = await t.client.workflow.start(connectorDemo, {
          taskQueue,
          workflowId: `demo-${taskQueue}`,
          args: [{ steps: ['align', 'import', 'export'], pauseAfterFirst: true }],
        });
        const paused = await until(
          () => handle.query(statusQuery),
          (s) => s.paused,
        );
        assert.equal(paused.steps[0]!.state, 'done');
        assert.equal(paused.steps[1]!.state, 'pending', 'no step runs while paused');
        assert.equal(paused.pauseReason, 'pauseAfterFirst');
        // Still paused a moment later: the pause holds, it is not a race.
        await new Promise((r) => setTimeout(r, 500));
        assert.equal((await handle.query(statusQuery)).steps[1]!.state, 'pending');
        await handle.signal(resumeSignal);
        const result = await handle.result();
        assert.deepEqual(result.completed, ['align', 'import', 'export']);
        assert.equal(result.pausedOnce, true);
        const final = await handle.query(statusQuery);
        assert.ok(final.steps.every((s) => s.state === 'done'));
        assert.ok(final.steps[0]!.counts.items! > 0);
      });
    } finally {
      await connection.close();
    }
  });

  it('accepts a pause signal from a client before the first step', async () => {
    const taskQueue = uniqueTaskQueue('demo-pause');
    const handle = await t.client.workflow.start(connectorDemo, {
      taskQueue,
      workflowId: `demo-${taskQueue}`,
      args: [{ steps: ['one', 'two'] }],
    });
    // Signal before any worker polls: the pause is in history before the first workflow task runs.
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      ...demoWorkerOptions(),
    });
    try {
      await worker.runUntil(async () => {
        const s = await until(
          () => handle.query(statusQuery),
          (v) => v.paused,
        );
        assert.equal(s.pauseReason, 'operator hold');
        assert.ok(s.steps.every((st) => st.state === 'pending'));
        await handle.signal(resumeSignal);
        assert.deepEqual((await handle.result()).completed, ['one', 'two']);
      });
    } finally {
      await connection.close();
    }
  });
});
