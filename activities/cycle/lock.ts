/**
 * `requestModelLock`: signal-with-start of the model's lock workflow (workflows cannot call
 * signal-with-start themselves; docs/temporal.md §2.8).
 */
import type { Client } from '@temporalio/client';
import type { AuditStore } from '../store';
import { TASK_QUEUE } from '../../common/ids';
import { lockRequestSignal, lockStateQuery, type LockRequest } from '../../common/messages';

export function makeLock(getClient: () => Client | undefined, taskQueue = TASK_QUEUE) {
  return async function requestModelLock(input: {
    lockWorkflowId: string;
    request: LockRequest;
    /** Also say whether another requester holds the lock now (one query of the lock's state). */
    reportBusy?: boolean;
  }): Promise<{ busy: boolean } | void> {
    const client = getClient();
    if (!client) throw new Error('requestModelLock needs a Temporal client (worker wiring)');
    const handle = await client.workflow.signalWithStart('modelLock', {
      workflowId: input.lockWorkflowId,
      taskQueue,
      args: [{}],
      signal: lockRequestSignal,
      signalArgs: [input.request],
    });
    if (!input.reportBusy) return;
    // Busy = held by someone else. A lock run that has just ended answers nothing: not busy (the
    // request's own run, started by the signal above, serves it next).
    const state = await handle.query(lockStateQuery).catch(() => undefined);
    const holder = state?.holder?.requestId;
    return { busy: holder !== undefined && holder !== input.request.requestId };
  };
}

/**
 * The record of who wrote a ledger scope when (audit `cycle_events`, kind `ledger_write`). Written
 * by the writer while it holds the scope's ledger lock, before its first write, so the record's
 * order is the order of the writes — and a writer that crashes mid-way still counts as having
 * written. The audit trail (not the lock workflow's state) keeps it: a lock run ends when nobody
 * waits, and its state with it; the audit trail is durable and append-only.
 */
export function makeLedgerWrites(deps: { audit: AuditStore }) {
  return {
    async recordLedgerWrite(input: { scope: string; cycleId: string; writer: string }): Promise<number> {
      return deps.audit.appendEvent({
        cycleId: input.cycleId,
        kind: 'ledger_write',
        scope: input.scope,
        actor: input.writer,
      });
    },
    /**
     * Cycles other than `cycleId` that wrote `scope` after `cycleId` last did (or, when it never
     * wrote, after `since`: the replayed cycle's start). Replaying `cycleId` would overwrite them.
     */
    async newerLedgerWriters(input: {
      scope: string;
      cycleId: string;
      since: string;
      sinceOnly?: boolean;
    }): Promise<Array<{ cycleId: string; writer: string; at: string }>> {
      // `sinceOnly`: measure from `since` alone (a cycle ID is reused by next month's run, so an
      // approval gate must not measure from an earlier run's write).
      const own = input.sinceOnly
        ? undefined
        : (
            await deps.audit.queryEvents({
              scope: input.scope,
              cycleId: input.cycleId,
              kind: 'ledger_write',
              limit: 100_000,
            })
          ).at(-1);
      const after = await deps.audit.queryEvents({
        scope: input.scope,
        kind: 'ledger_write',
        limit: 100_000,
        ...(own ? { afterId: own.id } : {}),
      });
      const newer = after.filter((e) => e.cycleId !== input.cycleId && (own || e.at >= input.since));
      const byCycle = new Map<string, { cycleId: string; writer: string; at: string }>();
      for (const e of newer) byCycle.set(e.cycleId, { cycleId: e.cycleId, writer: e.actor ?? e.cycleId, at: e.at });
      return [...byCycle.values()];
    },
  };
}
