/**
 * `modelLock`: one per Anaplan model (ID `anaplan-model:<workspaceId>:<modelId>`). Anaplan locks a
 * model while an import/export/process runs and queues or refuses a second one
 * (docs/anaplan.md §8), so every action from any workflow runs while holding this.
 * Requests arrive by signal-with-start; grants go back by signal; the holder releases in `finally`;
 * a lease timeout is the backstop for a holder that died, and the holder is told (`lock-lost`). Its history shows who held the model when.
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  lockGrantedSignal,
  lockLostSignal,
  lockReleaseSignal,
  lockRequestSignal,
  lockStateQuery,
  type LockRequest,
  type LockState,
} from '../common/messages';

/**
 * How long a holder whose lease expired has to stop after being told, before the lock goes to the
 * next requester: a cancelled activity notices on its next heartbeat (the cycles' heartbeat timeout
 * is 20 s, heartbeats are throttled to 80 % of it), then cancels its Anaplan task.
 */
export const LOCK_LOST_GRACE_MS = 60_000;

export interface ModelLockInput {
  /** Requests carried over a continue-as-new. */
  queue?: LockRequest[];
  /** Stay alive this long with an empty queue before completing (default 0: complete at once). */
  idleMs?: number;
  granted?: number;
  leasesExpired?: number;
}

export async function modelLock(input: ModelLockInput = {}): Promise<LockState> {
  const queue: LockRequest[] = [...(input.queue ?? [])];
  const released = new Set<string>();
  let holder: LockState['holder'] = null;
  let granted = input.granted ?? 0;
  let leasesExpired = input.leasesExpired ?? 0;

  setHandler(lockRequestSignal, (req) => {
    // Signal-with-start may be retried by its activity: the same requestId queues once.
    if (holder?.requestId === req.requestId || queue.some((q) => q.requestId === req.requestId)) return;
    queue.push(req);
  });
  setHandler(lockReleaseSignal, ({ requestId }) => {
    if (holder?.requestId === requestId) released.add(requestId);
    else {
      // Released before it was granted (the requester was cancelled while waiting): drop it.
      const i = queue.findIndex((q) => q.requestId === requestId);
      if (i >= 0) queue.splice(i, 1);
    }
  });
  setHandler(lockStateQuery, () => ({ holder, queue: [...queue], granted, leasesExpired }));

  // No idling by default: a lock run lives only while the model is held or awaited, so it never
  // sits on a task queue whose workers are gone.
  const idleMs = input.idleMs ?? 0;
  for (;;) {
    if (queue.length === 0) {
      // Done when nobody waits: the next request starts a fresh run (signal-with-start). A request
      // that arrives while this run completes makes the server refuse the completion, so it is
      // served by this run instead — never dropped.
      if (idleMs <= 0) break;
      const got = await condition(() => queue.length > 0, idleMs);
      if (!got && queue.length === 0) break;
    }
    const next = queue.shift()!;
    holder = { ...next, grantedAt: new Date().toISOString() };
    granted++;
    try {
      await getExternalWorkflowHandle(next.requesterId).signal(lockGrantedSignal, { requestId: next.requestId });
    } catch (err) {
      // The requester is gone (completed, cancelled, terminated): nobody to hold the model.
      log.warn('lock requester unreachable; skipping', {
        requesterId: next.requesterId,
        error: (err as Error).message,
      });
      holder = null;
      continue;
    }
    const ok = await condition(() => released.has(next.requestId), next.leaseMs);
    if (!ok) {
      leasesExpired++;
      log.warn('model lock lease expired without release', { requesterId: next.requesterId, purpose: next.purpose });
      // Tell the holder (if it is alive it stops and takes the lock again), and give it a grace
      // period to stop before the next grant: its work is cancelled, and an activity in flight
      // learns that on its next heartbeat; the holder releases once that activity has ended
      // (activities wait for their cancellation to complete), so two holders never act at once.
      if (patched('lock-lost-signal')) {
        const told = await getExternalWorkflowHandle(next.requesterId)
          .signal(lockLostSignal, { requestId: next.requestId })
          .then(() => true)
          .catch((err: Error) => {
            log.warn('lock holder unreachable after its lease expired', {
              requesterId: next.requesterId,
              error: err.message,
            });
            return false;
          });
        if (told) await condition(() => released.has(next.requestId), LOCK_LOST_GRACE_MS);
      }
    }
    released.delete(next.requestId);
    holder = null;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await continueAsNew<typeof modelLock>({ queue, idleMs, granted, leasesExpired });
    }
  }
  return { holder: null, queue: [], granted, leasesExpired };
}
