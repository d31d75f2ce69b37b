import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { temporal } from '@temporalio/proto';
import { cycleTimeline } from '../../scripts/bench-timeline';

/** A history event as plain JSON (IDs as numbers); cast once to the protobuf shape. */
type Event = Record<string, unknown>;
const T0 = Date.UTC(2026, 10, 30, 12);
const at = (s: number) => ({ seconds: Math.floor((T0 + s * 1000) / 1000), nanos: ((s * 1000) % 1000) * 1e6 });
const payloads = (v: unknown) => ({ payloads: [{ data: Buffer.from(JSON.stringify(v)) }] });

/** A small cycle history builder: events get IDs in order. */
function history() {
  const events: Event[] = [];
  const add = (s: number, e: Event) => {
    const eventId = events.length + 1;
    events.push({ ...e, eventId, eventTime: at(s) });
    return eventId;
  };
  return {
    events,
    request(s: number, lockWorkflowId: string, requestId: string) {
      return add(s, {
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'requestModelLock' },
          input: payloads({ lockWorkflowId, request: { requestId, requesterId: 'c', leaseMs: 1, purpose: 'p' } }),
        },
      });
    },
    completed(s: number, scheduledEventId: number) {
      add(s, { activityTaskCompletedEventAttributes: { scheduledEventId } });
    },
    granted(s: number, requestId: string) {
      add(s, {
        workflowExecutionSignaledEventAttributes: { signalName: 'lock-granted', input: payloads({ requestId }) },
      });
    },
    released(s: number, workflowId: string, requestId: string) {
      add(s, {
        signalExternalWorkflowExecutionInitiatedEventAttributes: {
          signalName: 'lock-release',
          workflowExecution: { workflowId },
          input: payloads({ requestId }),
        },
      });
    },
    activity(s: number, e: number, name: string) {
      const id = add(s, { activityTaskScheduledEventAttributes: { activityType: { name } } });
      add(s, { activityTaskStartedEventAttributes: { scheduledEventId: id } });
      add(e, { activityTaskCompletedEventAttributes: { scheduledEventId: id } });
    },
  };
}

test('bench timeline: a lock grant is paired with its own request by ID, also when it lands before the request completes', () => {
  const FILE = 'anaplan-file:ws:m:actuals.csv';
  const MODEL = 'anaplan-model:ws:m';
  const h = history();
  // The file lock is free: its grant (signal-with-start) lands before the request activity completes.
  const f = h.request(1, FILE, 'file-1');
  h.granted(1.05, 'file-1');
  h.completed(1.1, f);
  h.activity(1.2, 3, 'extractActuals');
  // The model is busy: this request completes first and its grant comes later.
  const m = h.request(3.1, MODEL, 'model-1');
  h.completed(3.15, m);
  h.granted(5, 'model-1');
  h.activity(5, 6, 'runActualsImport');
  h.released(6.1, MODEL, 'model-1');
  h.released(6.2, FILE, 'file-1');
  // A request released before any grant (given up while waiting) held nothing.
  const gone = h.request(7, MODEL, 'model-2');
  h.completed(7.05, gone);
  h.released(7.5, MODEL, 'model-2');

  const tl = cycleTimeline('c', { events: h.events } as unknown as temporal.api.history.v1.IHistory, T0);
  const locks = tl.filter((e) => e.what.startsWith('lock'));
  assert.deepEqual(
    locks.map((e) => [e.what, e.at, e.started, e.ended]),
    [
      ['lock file', 1, 1.05, 6.2],
      ['lock model', 3.1, 5, 6.1],
    ],
  );
  assert.deepEqual(
    tl.filter((e) => !e.what.startsWith('lock')).map((e) => [e.what, e.started, e.ended]),
    [
      ['extractActuals', 1.2, 3],
      ['runActualsImport', 5, 6],
    ],
  );
});
