/**
 * The requester side of `modelLock` (model, file and ledger locks alike), used inside workflows: acquire (signal-with-start through an
 * activity, since workflows cannot signal-with-start), wait for the grant, run, release in finally.
 */
import { ApplicationFailure, CancellationScope, condition, getExternalWorkflowHandle, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { fileLockWorkflowId, ledgerLockWorkflowId, modelLockWorkflowId } from '../common/ids';
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
  /** Lock the NetSuite ledger scope of this account × model instead (`ledgerLockWorkflowId`). */
  ledgerAccountId?: string;
}

/** The lock workflow ID of a target and its rank in the one lock order: file → model → ledger. */
export function lockOf(target: LockTarget): { id: string; rank: number } {
  if (target.ledgerAccountId !== undefined) return { id: ledgerLockWorkflowId(target.ledgerAccountId, target.workspaceId, target.modelId), rank: 2 };
  if (target.importFile !== undefined) return { id: fileLockWorkflowId(target.workspaceId, target.modelId, target.importFile), rank: 0 };
  return { id: modelLockWorkflowId(target.workspaceId, target.modelId), rank: 1 };
}

export type WithModelLock = <T>(target: LockTarget, purpose: string, leaseMs: number, fn: () => Promise<T>, onWait?: (waiting: boolean) => void) => Promise<T>;

/** Call once at the top of a workflow: installs the grant handler and returns `withModelLock`. */
export function createLockClient(): WithModelLock {
  const grants = new Set<string>();
  setHandler(lockGrantedSignal, ({ requestId }) => {
    grants.add(requestId);
  });
  // Locks this workflow holds or waits for, by lock ID → rank. Waiting on a lock it already holds
  // would wait forever (the lock serves one holder), and taking them out of order can deadlock
  // with another cycle: both are programming errors, refused before any request is sent.
  const held = new Map<string, number>();
  return async (target, purpose, leaseMs, fn, onWait) => {
    const lock = lockOf(target);
    if (held.has(lock.id)) throw ApplicationFailure.nonRetryable(`lock ${lock.id} is already held by this workflow (${purpose}): waiting on it would never end`, 'LockOrder');
    const above = [...held].find(([, rank]) => rank >= lock.rank);
    if (above) throw ApplicationFailure.nonRetryable(`lock ${lock.id} requested while holding ${above[0]}: the order is file → model → ledger`, 'LockOrder');
    held.set(lock.id, lock.rank);
    try {
      return await withModelLock(grants, lock.id, purpose, leaseMs, fn, onWait);
    } finally {
      held.delete(lock.id);
    }
  };
}

/** Runs `fn` while holding the model lock; `onWait` reports waiting (for the status query). */
async function withModelLock<T>(grants: Set<string>, lockId: string, purpose: string, leaseMs: number, fn: () => Promise<T>, onWait?: (waiting: boolean) => void): Promise<T> {
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
