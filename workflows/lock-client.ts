/**
 * The requester side of `modelLock`, used inside workflows: acquire (signal-with-start through an
 * activity, since workflows cannot signal-with-start), wait for the grant, run, release in finally.
 */
import { CancellationScope, condition, getExternalWorkflowHandle, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { fileLockWorkflowId, modelLockWorkflowId } from '../common/ids';
import { lockGrantedSignal, lockReleaseSignal } from '../common/messages';

const { requestModelLock } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '500 ms' },
});

export interface LockTarget {
  workspaceId: string;
  modelId: string;
  /** Lock the data file of this import instead of the model (`fileLockWorkflowId`). */
  importFile?: string;
}

export type WithModelLock = <T>(target: LockTarget, purpose: string, leaseMs: number, fn: () => Promise<T>, onWait?: (waiting: boolean) => void) => Promise<T>;

/** Call once at the top of a workflow: installs the grant handler and returns `withModelLock`. */
export function createLockClient(): WithModelLock {
  const grants = new Set<string>();
  setHandler(lockGrantedSignal, ({ requestId }) => {
    grants.add(requestId);
  });
  return (target, purpose, leaseMs, fn, onWait) => withModelLock(grants, target, purpose, leaseMs, fn, onWait);
}

/** Runs `fn` while holding the model lock; `onWait` reports waiting (for the status query). */
async function withModelLock<T>(grants: Set<string>, target: LockTarget, purpose: string, leaseMs: number, fn: () => Promise<T>, onWait?: (waiting: boolean) => void): Promise<T> {
  const lockId = target.importFile === undefined ? modelLockWorkflowId(target.workspaceId, target.modelId) : fileLockWorkflowId(target.workspaceId, target.modelId, target.importFile);
  const requestId = uuid4();
  const request = { requesterId: workflowInfo().workflowId, requestId, leaseMs, purpose };
  const release = () =>
    CancellationScope.nonCancellable(() => getExternalWorkflowHandle(lockId).signal(lockReleaseSignal, { requestId }).catch(() => undefined));
  onWait?.(true);
  try {
    // Re-send while waiting: idempotent by requestId, and it restarts a lock workflow that ended.
    while (!grants.has(requestId)) {
      await requestModelLock({ lockWorkflowId: lockId, request });
      await condition(() => grants.has(requestId), '2 minutes');
    }
  } catch (err) {
    await release();
    throw err;
  } finally {
    onWait?.(false);
  }
  try {
    return await fn();
  } finally {
    grants.delete(requestId);
    await release();
  }
}
