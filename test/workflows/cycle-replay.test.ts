/**
 * Determinism of planningCycle, replayStep, modelLock and closeWatch across versions: histories RECORDED by earlier workflow code
 * (test/fixtures/histories, written by record*.ts before each change) must replay against the current
 * code. Every change to the cycle's command sequence sits behind `patched()`, so an old history
 * takes the old branch; an unguarded change fails here with a DeterminismViolationError.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker/create-worker';

const dir = path.join(__dirname, '../fixtures/histories');
const recorded = fs
  .readdirSync(dir)
  .filter((f) => /^(planning-cycle|replay-step|model-lock|close-watch)-.*\.binpb$/.test(f))
  .sort();

describe('planningCycle, replayStep, modelLock and closeWatch replay their recorded histories', () => {
  it('has the recorded histories (cycle full and plan, replay of postJournals, a lock lease that expired; v1)', () => {
    for (const f of [
      'planning-cycle-full-v1.binpb',
      'planning-cycle-plan-v1.binpb',
      'replay-step-postJournals-v1.binpb',
      'model-lock-lease-expired-v1.binpb',
    ])
      assert.ok(recorded.includes(f), `${f} in ${recorded.join(', ')}`);
  });
  it('has the tie-out gate histories: block configured, actuals unbalanced, before the gate (completed) and with it (failed)', () => {
    const events = (f: string) =>
      temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, f))).events ?? [];
    // Patch markers carry the patch ID as JSON in their details: the bytes of the history hold it.
    const markers = (f: string) =>
      events(f)
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .map((e) => Buffer.from(temporal.api.history.v1.HistoryEvent.encode(e).finish()).toString('latin1'));
    const before = events('planning-cycle-full-unbalanced-completed-v3.binpb');
    assert.ok(
      before.some((e) => e.workflowExecutionCompletedEventAttributes),
      'recorded before the gate: the cycle completed',
    );
    assert.ok(!markers('planning-cycle-full-unbalanced-completed-v3.binpb').some((m) => m.includes('tie-out-gate')));
    const after = events('planning-cycle-full-unbalanced-failed-v3.binpb');
    const failed = after.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
    assert.equal(failed?.failure?.applicationFailureInfo?.type, 'TieOutFailed');
    assert.ok(
      markers('planning-cycle-full-unbalanced-failed-v3.binpb').some((m) => m.includes('tie-out-gate')),
      'the gate recorded its patch marker',
    );
  });
  it('has the file-busy history: the queued actuals cycle extracted before its file lock was granted (v4)', () => {
    const f = 'planning-cycle-actuals-file-busy-v4.binpb';
    const events = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, f))).events ?? [];
    const bytes = (e: temporal.api.history.v1.IHistoryEvent) =>
      Buffer.from(temporal.api.history.v1.HistoryEvent.encode(e).finish()).toString('latin1');
    assert.ok(
      events.some(
        (e) =>
          e.markerRecordedEventAttributes?.markerName === 'core_patch' &&
          bytes(e).includes('actuals-extract-while-file-busy'),
      ),
      'the patch marker is recorded',
    );
    const fileRequest = events.findIndex(
      (e) =>
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'requestModelLock' &&
        bytes(e).includes('anaplan-file:'),
    );
    const grant = events.findIndex(
      (e, i) => i > fileRequest && e.workflowExecutionSignaledEventAttributes?.signalName === 'lock-granted',
    );
    const extract = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'extractActuals',
    );
    assert.ok(fileRequest >= 0 && fileRequest < extract && extract < grant, `${fileRequest} < ${extract} < ${grant}`);
  });
  it('has the full-cycle histories before (v5) and with (v6) the lock reservations; the queued one extracted before its file grant', () => {
    const events = (f: string) =>
      temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, f))).events ?? [];
    const bytes = (e: temporal.api.history.v1.IHistoryEvent) =>
      Buffer.from(temporal.api.history.v1.HistoryEvent.encode(e).finish()).toString('latin1');
    const marked = (f: string) =>
      events(f).some(
        (e) =>
          e.markerRecordedEventAttributes?.markerName === 'core_patch' &&
          bytes(e).includes('full-cycle-reserves-locks'),
      );
    assert.ok(!marked('planning-cycle-full-v5.binpb'), 'v5: recorded before the reservations');
    assert.ok(marked('planning-cycle-full-v6.binpb') && marked('planning-cycle-full-queued-v6.binpb'));
    const e = events('planning-cycle-full-queued-v6.binpb');
    const scheduled = (type: string, has = '') =>
      e.findIndex((x) => x.activityTaskScheduledEventAttributes?.activityType?.name === type && bytes(x).includes(has));
    const fileRequest = scheduled('requestModelLock', 'anaplan-file:');
    const align = scheduled('alignDimensions');
    const extract = scheduled('extractActuals');
    const fileGrant = e.findIndex(
      (x, i) => i > align && x.workflowExecutionSignaledEventAttributes?.signalName === 'lock-granted' && i > extract,
    );
    assert.ok(
      fileRequest >= 0 && fileRequest < align && align < extract && extract < fileGrant,
      `${fileRequest} < ${align} < ${extract} < ${fileGrant}`,
    );
    // The export's model request is sent with the import, before the import's model is released.
    const importAt = scheduled('runActualsImport');
    const exportRequest = e.findIndex(
      (x, i) => i > importAt && x.activityTaskScheduledEventAttributes?.activityType?.name === 'requestModelLock',
    );
    const firstRelease = e.findIndex(
      (x, i) =>
        i > importAt && x.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'lock-release',
    );
    assert.ok(
      importAt >= 0 && exportRequest > importAt && exportRequest < firstRelease,
      `${importAt} < ${exportRequest} < ${firstRelease}`,
    );
  });
  it('has the closeWatch flash histories: before the weekend was configurable (v1) and with a Friday–Saturday weekend (v2)', () => {
    for (const f of ['close-watch-flash-v1.binpb', 'close-watch-flash-v2.binpb']) {
      const events = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, f))).events ?? [];
      const flashes = events.filter((e) =>
        /:flash-\d{4}-\d{2}-\d{2}$/.test(e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? ''),
      );
      assert.equal(flashes.length, 1, `${f}: one flash cycle started`);
      assert.ok(
        events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes),
        `${f}: the run continued as new`,
      );
      const input = Buffer.from(
        events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!,
      ).toString();
      assert.equal(
        input.includes('"weekend":["Fri","Sat"]'),
        f.endsWith('v2.binpb'),
        `${f}: weekend in the watcher's input only in v2`,
      );
    }
  });
  for (const file of recorded) {
    it(`replays ${file} with the current workflow code`, async () => {
      const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
      assert.ok((history.events?.length ?? 0) > 8, 'the history has the workflow’s commands');
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `recorded-${file}`);
    });
  }
});
