/**
 * The requester side of `modelLock` (model, file and ledger locks alike), used inside workflows: acquire (signal-with-start through an
 * activity, since workflows cannot signal-with-start), wait for the grant, run, release in finally.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { fileLockWorkflowId, ledgerLockWorkflowId, modelLockWorkflowId } from '../common/ids';
import { lockGrantedSignal, lockLostSignal, lockReleaseSignal, type LockRequest } from '../common/messages';

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
  if (target.ledgerAccountId !== undefined)
    return { id: ledgerLockWorkflowId(target.ledgerAccountId, target.workspaceId, target.modelId), rank: 2 };
  if (target.importFile !== undefined)
    return { id: fileLockWorkflowId(target.workspaceId, target.modelId, target.importFile), rank: 0 };
  return { id: modelLockWorkflowId(target.workspaceId, target.modelId), rank: 1 };
}

export type WithModelLock = <T>(
  target: LockTarget,
  purpose: string,
  leaseMs: number,
  fn: (attempt: number, queued: boolean) => Promise<T>,
  onWait?: (waiting: boolean) => void,
  whileQueued?: () => Promise<void>,
) => Promise<T>;

/**
 * Times a holder whose lease expired takes the lock again and re-runs its work before giving up:
 * losing the lease more often means the lease is too short for the work (raise `lockLeaseMs`).
 */
export const LOCK_LOST_RETRIES = 3;

/**
 * A lock request sent before its section runs (`reserve`): it queues now, so the workflow keeps its
 * place ahead of requests sent later, and the section that takes it up (`withModelLock` on the same
 * lock) waits only for the rest of the queue.
 */
interface Reservation {
  request: LockRequest;
  rank: number;
}

export interface LockClient extends WithModelLock {
  /**
   * Sends a request for `target` now, for the next section on that lock (which takes it up instead
   * of sending its own). Allowed while holding the same lock: the request queues behind this hold,
   * so the lock passes straight to this workflow's next section when this hold ends. A granted
   * reservation counts as held for the lock order. Once per lock: a second call is a no-op.
   */
  reserve(target: LockTarget, purpose: string, leaseMs: number): Promise<void>;
  /** Releases every reservation not taken up (the cycle pauses, fails or is cancelled): nobody waits behind an idle one. */
  dropReservations(): Promise<void>;
}

/** Call once at the top of a workflow: installs the grant/lost handlers and returns `withModelLock`. */
export function createLockClient(): LockClient {
  const grants = new Set<string>();
  const lost = new Set<string>();
  setHandler(lockGrantedSignal, ({ requestId }) => {
    grants.add(requestId);
  });
  setHandler(lockLostSignal, ({ requestId }) => {
    lost.add(requestId);
  });
  // Locks this workflow holds or waits for, by lock ID → rank. Waiting on a lock it already holds
  // would wait forever (the lock serves one holder), and taking them out of order can deadlock
  // with another cycle: both are programming errors, refused before any request is sent.
  const held = new Map<string, number>();
  const reservations = new Map<string, Reservation>();
  // Held locks and reservations (a granted one is as good as held) other than `except`.
  const blocking = (except: string) => [
    ...[...held].filter(([id]) => id !== except),
    ...[...reservations].filter(([id]) => id !== except).map(([id, r]) => [id, r.rank] as const),
  ];
  const withLock: WithModelLock = async (target, purpose, leaseMs, fn, onWait, whileQueued) => {
    const lock = lockOf(target);
    if (held.has(lock.id))
      throw ApplicationFailure.nonRetryable(
        `lock ${lock.id} is already held by this workflow (${purpose}): waiting on it would never end`,
        'LockOrder',
      );
    const above = blocking(lock.id).find(([, rank]) => rank >= lock.rank);
    if (above)
      throw ApplicationFailure.nonRetryable(
        `lock ${lock.id} requested while holding ${above[0]}: the order is file → model → ledger`,
        'LockOrder',
      );
    // A reservation is taken up by the first section on its lock: its request is already queued.
    let reservation = reservations.get(lock.id);
    reservations.delete(lock.id);
    held.set(lock.id, lock.rank);
    try {
      // A lost lease fails the work over to a retry that takes the lock again; `fn` learns from
      // `attempt` that it runs again (e.g. it re-uploads a file another holder may have replaced).
      for (let attempt = 0; ; attempt++) {
        try {
          // `whileQueued` runs at most once (the first attempt): work that needs no lock, done while
          // the request waits behind another holder instead of after the grant.
          const reserved = reservation?.request;
          reservation = undefined;
          return await withModelLock(
            grants,
            lost,
            lock.id,
            purpose,
            leaseMs,
            (queued) => fn(attempt, queued),
            onWait,
            attempt === 0 ? whileQueued : undefined,
            reserved,
          );
        } catch (err) {
          if (!(err instanceof LockLostError)) throw err;
          if (attempt >= LOCK_LOST_RETRIES) {
            throw ApplicationFailure.nonRetryable(
              `${err.message}, ${attempt + 1} times: the lease is too short for this work; raise lockLeaseMs`,
              'LockLost',
            );
          }
          // Waiting for this lock again must not hold a later lock queued ahead meanwhile (a granted
          // reservation is held): those are given back first, as the lock order requires.
          if ([...reservations.values()].some((r) => r.rank > lock.rank)) await dropReservations();
          log.warn('lock lease expired while held; taking the lock again', { lockId: lock.id, purpose, attempt });
        }
      }
    } finally {
      held.delete(lock.id);
    }
  };
  const reserve = async (target: LockTarget, purpose: string, leaseMs: number): Promise<void> => {
    const lock = lockOf(target);
    if (reservations.has(lock.id)) return;
    // Reserving is not waiting, but a granted reservation is held: the same order applies, except
    // that the lock this workflow holds now may be reserved (the request queues behind this hold).
    const above = blocking(lock.id).find(([, rank]) => rank > lock.rank);
    if (above)
      throw ApplicationFailure.nonRetryable(
        `lock ${lock.id} reserved while holding ${above[0]}: the order is file → model → ledger`,
        'LockOrder',
      );
    const request: LockRequest = { requesterId: workflowInfo().workflowId, requestId: uuid4(), leaseMs, purpose };
    reservations.set(lock.id, { request, rank: lock.rank });
    await requestModelLock({ lockWorkflowId: lock.id, request });
  };
  const dropReservations = async (): Promise<void> => {
    const idle = [...reservations];
    reservations.clear();
    for (const [lockId, r] of idle) {
      grants.delete(r.request.requestId);
      await sendRelease(lockId, r.request.requestId);
    }
  };
  return Object.assign(withLock, { reserve, dropReservations });
}

/**
 * Tells the lock workflow that `requestId` is done with it: released when it holds the lock, taken
 * out of the queue when it waits. Sent even while the workflow is being cancelled; a lock run that
 * has ended meanwhile has nothing to release.
 */
function sendRelease(lockId: string, requestId: string): Promise<void> {
  return CancellationScope.nonCancellable(() =>
    getExternalWorkflowHandle(lockId)
      .signal(lockReleaseSignal, { requestId })
      .catch(() => undefined),
  );
}

/** The lock workflow took the lock back (lease expired) while `fn` ran: its work was cancelled. */
export class LockLostError extends Error {
  override name = 'LockLostError';
}

/** Runs `fn` while holding the lock; `onWait` reports waiting (for the status query). */
async function withModelLock<T>(
  grants: Set<string>,
  lost: Set<string>,
  lockId: string,
  purpose: string,
  leaseMs: number,
  fn: (queued: boolean) => Promise<T>,
  onWait?: (waiting: boolean) => void,
  whileQueued?: () => Promise<void>,
  /** A request sent earlier (`reserve`): queued already, so nothing is sent unless the wait is long. */
  reserved?: LockRequest,
): Promise<T> {
  const request = reserved ?? { requesterId: workflowInfo().workflowId, requestId: uuid4(), leaseMs, purpose };
  const requestId = request.requestId;
  const release = () => sendRelease(lockId, requestId);
  onWait?.(true);
  let queued = false;
  // Whether the request was just sent (by the busy check below), so the wait loop waits before re-sending.
  let sent = false;
  try {
    // Whether another holder is ahead: a reservation not granted yet, or a request the lock reports busy.
    let busy = false;
    if (reserved) {
      sent = true;
      busy = true;
    } else if (whileQueued) {
      const r = await requestModelLock({ lockWorkflowId: lockId, request, reportBusy: true });
      sent = true;
      busy = !!r?.busy;
    }
    // The lock-free work runs now, while the request keeps its place in the queue (a grant
    // meanwhile simply waits).
    if (whileQueued && busy && !grants.has(requestId)) {
      queued = true;
      await whileQueued();
    }
    // Re-send while waiting: idempotent by requestId, and it restarts a lock workflow that ended.
    while (!grants.has(requestId)) {
      if (!sent) await requestModelLock({ lockWorkflowId: lockId, request });
      sent = false;
      await condition(() => grants.has(requestId), '2 minutes');
    }
  } catch (err) {
    await release();
    throw err;
  } finally {
    onWait?.(false);
  }
  // The holder is told when its lease expires (lock-lost signal): its work is cancelled at once —
  // an Anaplan task in flight is cancelled by its activity — so it never acts on a model or file
  // that someone else now holds.
  const work = new CancellationScope();
  const watch = new CancellationScope();
  const watching = watch
    .run(async () => {
      await condition(() => lost.has(requestId));
      work.cancel();
    })
    .catch(() => undefined);
  try {
    return await work.run(() => fn(queued));
  } catch (err) {
    if (lost.has(requestId))
      throw new LockLostError(`the lease on ${lockId} (${leaseMs} ms) expired while ${purpose} held it`);
    throw err;
  } finally {
    watch.cancel();
    await watching;
    grants.delete(requestId);
    lost.delete(requestId);
    await release();
  }
}
