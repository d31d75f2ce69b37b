import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createConnectorWorker, workflowBundle } from '../../worker/create-worker';
import { connectorDemo, DEMO_WORKFLOWS_PATH, demoWorkerOptions } from '../helpers/demo-worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

describe('workflow replay (determinism check)', () => {
  let t: TestTemporal;
  let history: Awaited<ReturnType<Awaited<ReturnType<TestTemporal['client']['workflow']['start']>>['fetchHistory']>>;

  before(async () => {
    t = await testTemporal();
    const taskQueue = uniqueTaskQueue('replay');
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      ...demoWorkerOptions(),
    });
    try {
      await worker.runUntil(async () => {
        const handle = await t.client.workflow.start(connectorDemo, {
          taskQueue,
          workflowId: `replay-${taskQueue}`,
          args: [{ steps: ['a', 'b'] }],
        });
        await handle.result();
        history = await handle.fetchHistory();
      });
    } finally {
      await connection.close();
    }
  });
  after(async () => {
    await t?.close();
  });

  it('replays a recorded history with the current workflow code', async () => {
    assert.ok((history.events?.length ?? 0) > 10, 'history has the activity events');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(DEMO_WORKFLOWS_PATH) }, history);
  });

  it('catches a non-deterministic change to the workflow code', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/workflows-changed') });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, history),
      (err: unknown) => err instanceof DeterminismViolationError,
    );
  });
});
