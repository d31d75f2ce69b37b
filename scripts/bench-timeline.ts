/**
 * `npm run bench -- --scenario concurrent --timeline FILE`: one line per activity and per lock wait
 * of every cycle, in seconds from the start of the run, so a concurrent run shows where cycles wait
 * (the per-type sums in `steps_s` hide overlap and queueing). Read from the cycles' own histories:
 * an activity's scheduled → started (queueing on the worker) → closed, and a lock's request (the
 * `requestModelLock` activity) → grant (the `lock-granted` signal) → release (the `lock-release`
 * signal sent). Lock workflow runs end when nobody waits, so the cycles' side is the one kept.
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

/** The timeline of one cycle's history; `t0` = the run's start (epoch ms). */
export function cycleTimeline(
  cycle: string,
  history: temporal.api.history.v1.IHistory,
  t0: number,
  lockOfRequest: (payloadJson: string) => string | undefined = () => undefined,
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const s = (ms: number) => Math.round((ms - t0) / 10) / 100;
  const scheduled = new Map<string, { type: string; at: number; started?: number; lock?: string }>();
  // A lock request: the requestModelLock activity's completion; its grant: the next lock-granted signal.
  const pendingLocks: Array<{ lock: string; at: number }> = [];
  const held: Array<{ lock: string; at: number; granted: number }> = [];
  for (const e of history.events ?? []) {
    const t = msOf(e);
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      const type = a.activityType?.name ?? '?';
      let lock: string | undefined;
      if (type === 'requestModelLock') {
        const data = a.input?.payloads?.[0]?.data;
        lock = data ? lockOfRequest(Buffer.from(data).toString('utf8')) : undefined;
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
      if (!x) continue;
      if (x.type === 'requestModelLock') pendingLocks.push({ lock: x.lock ?? 'lock', at: x.at });
      else out.push({ cycle, what: x.type, at: s(x.at), started: s(x.started ?? x.at), ended: s(t) });
    }
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig?.signalName === 'lock-granted') {
      const p = pendingLocks.shift();
      if (p) held.push({ ...p, granted: t });
    }
    const ext = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    if (ext?.signalName === 'lock-release') {
      const id = ext.workflowExecution?.workflowId ?? '';
      const i = held.findIndex((h) => id.startsWith(h.lock) || h.lock === 'lock');
      const h = i >= 0 ? held.splice(i, 1)[0]! : undefined;
      if (h) out.push({ cycle, what: `lock ${shortLock(id)}`, at: s(h.at), started: s(h.granted), ended: s(t) });
    }
  }
  return out.sort((x, y) => x.at - y.at);
}

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
    all.push(
      ...cycleTimeline(short, history, t0, (json) => {
        const m = /"lockWorkflowId":"([^"]+)"/.exec(json);
        return m?.[1];
      }),
    );
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
