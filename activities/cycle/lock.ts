/**
 * `requestModelLock`: signal-with-start of the model's lock workflow (workflows cannot call
 * signal-with-start themselves; ../shared/reference/temporal.md §2.8).
 */
import type { Client } from '@temporalio/client';
import { TASK_QUEUE } from '../../common/ids';
import { lockRequestSignal, type LockRequest } from '../../common/messages';

export function makeLock(getClient: () => Client | undefined, taskQueue = TASK_QUEUE) {
  return async function requestModelLock(input: { lockWorkflowId: string; request: LockRequest }): Promise<void> {
    const client = getClient();
    if (!client) throw new Error('requestModelLock needs a Temporal client (worker wiring)');
    await client.workflow.signalWithStart('modelLock', {
      workflowId: input.lockWorkflowId,
      taskQueue,
      args: [{}],
      signal: lockRequestSignal,
      signalArgs: [input.request],
    });
  };
}
