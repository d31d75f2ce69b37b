/**
 * `npm run bench -- --scenario concurrent --timeline FILE`: one line per activity and per lock wait
 * of every cycle, in seconds from the start of the run, so a concurrent run shows where cycles wait
 * (the per-type sums in `steps_s` hide overlap and queueing). Read from the cycles' own histories:
 * an activity's scheduled → started (queueing on the worker) → closed, and a lock's request (the
 * `requestModelLock` activity) → grant (the `lock-granted` signal) → release (the `lock-release`
 * signal sent), matched by the request's ID: a grant can land in the history before its request
 * activity's completion (a free lock grants at once on signal-with-start), so arrival order pairs
 * them wrongly. Lock workflow runs end when nobody waits, so the cycles' side is the one kept.
 */
import * as fs from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface TimelineEntry {
  cycle: string;
  what: string;
  /** Seconds from the run's start: scheduled/requested, started/granted, closed/released. */
  at: number;
  started: number;
  ended: number;
}

const msOf = (e: temporal.api.history.v1.IHistoryEvent) =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** What a cycle's history says of one lock request: its `requestModelLock` input, as JSON. */
export interface LockRequestInfo {
  /** The lock workflow ID (`lockWorkflowId`). */
  lock?: string;
  requestId?: string;
}

/** Reads the lock ID and request ID of a `requestModelLock` input (JSON of `{ lockWorkflowId, request }`). */
export function lockRequestOf(payloadJson: string): LockRequestInfo {
  try {
    const v = JSON.parse(payloadJson) as { lockWorkflowId?: unknown; request?: { requestId?: unknown } };
    return {
      ...(typeof v.lockWorkflowId === 'string' ? { lock: v.lockWorkflowId } : {}),
      ...(typeof v.request?.requestId === 'string' ? { requestId: v.request.requestId } : {}),
    };
  } catch {
    return {};
  }
}

const payloadJson = (p: temporal.api.common.v1.IPayloads | null | undefined): string | undefined => {
  const data = p?.payloads?.[0]?.data;
  return data ? Buffer.from(data).toString('utf8') : undefined;
};

/** The timeline of one cycle's history; `t0` = the run's start (epoch ms). */
export function cycleTimeline(cycle: string, history: temporal.api.history.v1.IHistory, t0: number): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const s = (ms: number) => Math.round((ms - t0) / 10) / 100;
  const scheduled = new Map<string, { type: string; at: number; started?: number; lock?: LockRequestInfo }>();
  // Lock requests by request ID: requested = the first requestModelLock scheduled for it (a request
  // re-sent while waiting keeps its first time), granted = its lock-granted signal, in either order.
  const requests = new Map<string, { lock: string; at: number; granted?: number }>();
  const grantedEarly = new Map<string, number>();
  for (const e of history.events ?? []) {
    const t = msOf(e);
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      const type = a.activityType?.name ?? '?';
      let lock: LockRequestInfo | undefined;
      if (type === 'requestModelLock') {
        const json = payloadJson(a.input);
        lock = json ? lockRequestOf(json) : undefined;
        const id = lock?.requestId;
        if (id && !requests.has(id))
          requests.set(id, { lock: lock?.lock ?? 'lock', at: t, granted: grantedEarly.get(id) });
      }
      scheduled.set(String(e.eventId), { type, at: t, lock });
    }
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      const x = scheduled.get(String(st.scheduledEventId));
      if (x) x.started = t;
    }
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (done) {
      const x = scheduled.get(String(done.scheduledEventId));
      if (x && x.type !== 'requestModelLock')
        out.push({ cycle, what: x.type, at: s(x.at), started: s(x.started ?? x.at), ended: s(t) });
    }
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig?.signalName === 'lock-granted') {
      const id = requestIdOf(payloadJson(sig.input));
      const r = id ? requests.get(id) : undefined;
      if (r) r.granted ??= t;
      else if (id) grantedEarly.set(id, t);
    }
    const ext = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    if (ext?.signalName === 'lock-release') {
      const id = requestIdOf(payloadJson(ext.input));
      const r = id ? requests.get(id) : undefined;
      // A release of a request never granted (the requester gave up waiting) holds nothing.
      if (r?.granted !== undefined) {
        out.push({
          cycle,
          what: `lock ${shortLock(ext.workflowExecution?.workflowId ?? r.lock)}`,
          at: s(r.at),
          started: s(r.granted),
          ended: s(t),
        });
        requests.delete(id!);
      }
    }
  }
  return out.sort((x, y) => x.at - y.at);
}

const requestIdOf = (json: string | undefined): string | undefined => {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as { requestId?: unknown };
    return typeof v.requestId === 'string' ? v.requestId : undefined;
  } catch {
    return undefined;
  }
};

function shortLock(id: string): string {
  return id.startsWith('anaplan-file:') ? 'file' : id.startsWith('anaplan-model:') ? 'model' : id.split(':')[0]!;
}

/** Writes the timeline of every cycle (JSON lines) and returns a per-activity summary of queueing and lock waits. */
export async function writeTimeline(
  file: string,
  handles: WorkflowHandle[],
  t0: number,
): Promise<Record<string, { n: number; wait_s: number; run_s: number }>> {
  const all: TimelineEntry[] = [];
  for (const h of handles) {
    const history = await h.fetchHistory();
    const short = h.workflowId.split(':').slice(-2).join(':') + '#' + h.workflowId.split(':')[2]?.slice(-4);
    all.push(...cycleTimeline(short, history, t0));
  }
  fs.writeFileSync(file, all.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const sum: Record<string, { n: number; wait_s: number; run_s: number }> = {};
  for (const e of all) {
    const x = (sum[e.what] ??= { n: 0, wait_s: 0, run_s: 0 });
    x.n++;
    x.wait_s = Math.round((x.wait_s + e.started - e.at) * 100) / 100;
    x.run_s = Math.round((x.run_s + e.ended - e.started) * 100) / 100;
  }
  return sum;
}
