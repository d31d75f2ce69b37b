/**
 * Two actuals cycles on one model at once share the import's data file, so its lock serialises
 * their uploads and imports (docs/anaplan.md §14.3). A cycle that finds the file held by the other
 * extracts while its request waits — without uploading, the file not being its own yet — and uploads
 * its artifact once it holds the file, instead of starting its extraction only then. Both load
 * exactly their own rows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startCycle } from '../../client/cycle-runner';
import { pauseSignal, resumeSignal } from '../../common/messages';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import type { TestTemporal } from '../helpers/temporal';

type Events = temporal.api.history.v1.IHistoryEvent[];
const events = async (h: WorkflowHandle): Promise<Events> => (await h.fetchHistory()).events ?? [];
const activity = (e: Events, type: string) =>
  e.findIndex((x) => x.activityTaskScheduledEventAttributes?.activityType?.name === type);

describe('the import file lock: a cycle queued behind another extracts meanwhile', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  // Slow SuiteQL pages: the first cycle's extraction (which holds the file) lasts seconds.
  cycleEnvHooks({ netsuite: { glLines: 600, pageLatencyMs: 700 } }, (x) => ({ t, env } = x));

  it('extracts before its file lock is granted, then uploads and imports its own rows', async () => {
    const first = await startCycle(t.client, env.config, '2026-10', 'actuals', undefined, env.taskQueue);
    // Wait until the first cycle holds the file (its extraction is scheduled), then pause it: it stops
    // after its extraction, at the gate before its import, still holding the file.
    const scheduled = async (h: WorkflowHandle, type: string) => activity(await events(h), type) >= 0;
    for (let i = 0; i < 600 && !(await scheduled(first, 'extractActuals')); i++)
      await new Promise((r) => setTimeout(r, 50));
    await first.signal(pauseSignal, { reason: 'test: hold the file' });
    const second = await startCycle(t.client, env.config, '2026-09', 'actuals', undefined, env.taskQueue);
    // The second cycle extracts while the first holds the file (old code: it waits for the grant).
    const extractedWhileQueued = async () => {
      const e = await events(second);
      const i = activity(e, 'extractActuals');
      return (
        i >= 0 &&
        e.some((x) => String(x.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(e[i]!.eventId))
      );
    };
    for (let i = 0; i < 300 && !(await extractedWhileQueued()); i++) await new Promise((r) => setTimeout(r, 100));
    await first.signal(resumeSignal);
    const [a, b] = await Promise.all([first.result(), second.result()]);
    for (const s of [a, b]) {
      assert.equal(s.status, 'completed');
      assert.ok(s.tieOut!.balanced, JSON.stringify(s.tieOut));
      assert.equal(s.import!.rowsImported + s.import!.rowsRejected, s.extract!.rows, 'its own file was imported');
    }
    assert.equal(a.extract!.uploadedChunks !== undefined, true, 'the first cycle uploaded during its extraction');
    assert.equal(b.extract!.uploadedChunks, undefined, 'the queued cycle did not touch the file while extracting');

    // In the queued cycle's history its extraction comes before the file lock's grant.
    const e = await events(second);
    const extracted = activity(e, 'extractActuals');
    // The second cycle's first lock is the model's (alignment); the file lock is the request after it.
    const fileRequest = e.findIndex(
      (x) =>
        x.activityTaskScheduledEventAttributes?.activityType?.name === 'requestModelLock' &&
        Buffer.from(x.activityTaskScheduledEventAttributes.input?.payloads?.[0]?.data ?? [])
          .toString()
          .includes('anaplan-file:'),
    );
    const fileGrant = e.findIndex(
      (x, i) => i > fileRequest && x.workflowExecutionSignaledEventAttributes?.signalName === 'lock-granted',
    );
    assert.ok(fileRequest >= 0 && fileGrant > fileRequest, 'the file lock was requested and granted');
    assert.ok(
      extracted > fileRequest && extracted < fileGrant,
      `extraction (event ${extracted}) between the file lock request (${fileRequest}) and its grant (${fileGrant})`,
    );
  });
});
