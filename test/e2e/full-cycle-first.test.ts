/**
 * An actuals cycle and a full cycle on one model: the full cycle has the longer chain after its
 * import (plan export, preparation, journals), so it queues its locks ahead (cycle-steps.ts
 * `reservesLocks`): it asks for the import file before it aligns, and for the model's plan export
 * as soon as its import holds the model. The actuals cycle extracts while it waits and imports
 * afterwards. Slow Anaplan tasks make the orders deterministic: each window below lasts a task.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startCycle } from '../../client/cycle-runner';
import { fileLockWorkflowId, modelLockWorkflowId } from '../../common/ids';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { addNetSuiteMembers } from '../../scripts/bench-data';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import type { TestTemporal } from '../helpers/temporal';

type Events = temporal.api.history.v1.IHistoryEvent[];
const events = async (h: WorkflowHandle): Promise<Events> => (await h.fetchHistory()).events ?? [];
const scheduledIndex = (e: Events, type: string) =>
  e.findIndex((x) => x.activityTaskScheduledEventAttributes?.activityType?.name === type);
/** Server time (ms) an activity of `type` started (its first attempt). */
const startedAt = (e: Events, type: string): number => {
  const i = scheduledIndex(e, type);
  const s = e.find(
    (x) => String(x.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(e[i]?.eventId),
  );
  assert.ok(s, `${type} started`);
  return Number(s.eventTime!.seconds) * 1000 + Math.floor((s.eventTime!.nanos ?? 0) / 1e6);
};
const until = async (what: () => Promise<boolean>) => {
  for (let i = 0; i < 600 && !(await what()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(await what(), 'waited too long');
};

describe('a full cycle beside an actuals cycle on one model keeps its chain going', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ anaplan: { taskDurationMs: 2500 } }, (x) => ({ t, env } = x));

  it('takes the import file before the actuals cycle that aligned first; that one extracts while it waits', async () => {
    // New NetSuite members: the first alignment imports them (a slow task under the model lock).
    addNetSuiteMembers(env.sandboxes, { accounts: 2, departments: 2, classes: 0, locations: 0 });
    const actuals = await startCycle(t.client, env.config, '2026-09', 'actuals', undefined, env.taskQueue);
    // The actuals cycle holds the model for its alignment (a list import: one slow task) ...
    await until(async () => scheduledIndex(await events(actuals), 'alignDimensions') >= 0);
    // ... when the full cycle starts: it queues for the file right after its preflight, so the file
    // is its own when the actuals cycle asks (old code: the actuals cycle, aligned first, took it).
    const full = await startCycle(t.client, env.config, '2026-10', 'full', undefined, env.taskQueue);
    const [a, f] = await Promise.all([actuals.result(), full.result()]);
    for (const s of [a, f]) {
      assert.equal(s.status, 'completed');
      assert.ok(s.tieOut!.balanced, JSON.stringify(s.tieOut));
      assert.equal(s.import!.rowsImported + s.import!.rowsRejected, s.extract!.rows, 'its own file was imported');
    }
    assert.ok(
      Object.values(a.align!.dimensions).some((d) => d.imported > 0),
      'the actuals cycle imported lists (its alignment lasted a task)',
    );
    assert.notEqual(f.extract!.uploadedChunks, undefined, 'the full cycle held the file while extracting');
    assert.equal(a.extract!.uploadedChunks, undefined, 'the actuals cycle extracted while queued for the file');
    assert.ok(f.journals!.posted + f.journals!.updated + f.journals!.unchanged > 0, 'the plan was written back');
  });

  it('gives back the locks it queued for when it fails before using them', async () => {
    // Not a NetSuite posting period: the preflight fails, after the file and model were requested.
    const full = await startCycle(t.client, env.config, '2031-01', 'full', undefined, env.taskQueue);
    await assert.rejects(full.result(), (err: Error & { cause?: Error & { cause?: Error } }) => {
      assert.match(String(err.cause?.cause?.message ?? err.cause?.message), /not a NetSuite posting period/);
      return true;
    });
    const e = await events(full);
    const requested = e.filter(
      (x) => x.activityTaskScheduledEventAttributes?.activityType?.name === 'requestModelLock',
    ).length;
    assert.equal(requested, 2, 'the file and the model were requested with the preflight');
    const { workspaceId, modelId } = env.config.anaplan;
    for (const id of [
      modelLockWorkflowId(workspaceId, modelId),
      fileLockWorkflowId(workspaceId, modelId, env.config.actions.importActuals),
    ]) {
      // Released: the lock run ends, as nobody waits (a leaked grant would hold it for the 2 h lease).
      const ended = async () => (await t.client.workflow.getHandle(id).describe()).status.name !== 'RUNNING';
      await until(ended);
    }
    const next = await startCycle(t.client, env.config, '2026-08', 'actuals', undefined, env.taskQueue);
    assert.equal((await next.result()).status, 'completed');
  });

  it('gives back the locks it queued for while it is paused, and takes them again on resume', async () => {
    // A slow preflight, so the pause lands while it runs (sent before the cycle's first workflow task,
    // it would pause the cycle before its preflight, with nothing queued yet).
    env.sandboxes.netsuite.sandbox.faults.add({
      kind: 'latency',
      latencyMs: 1500,
      rate: 1,
      route: 'POST /services/rest/query/v1/suiteql',
    });
    const full = await startCycle(t.client, env.config, '2026-09', 'full', undefined, env.taskQueue);
    await until(async () => scheduledIndex(await events(full), 'preflight') >= 0);
    await full.signal(pauseSignal, { reason: 'test: paused before alignment' });
    env.sandboxes.netsuite.sandbox.faults.clear();
    await until(async () => {
      const s = await full.query(statusQuery);
      return s.paused && s.steps.find((x) => x.name === 'preflight')?.state === 'done';
    });
    const { workspaceId, modelId } = env.config.anaplan;
    // Paused between steps, it keeps nobody waiting: both lock runs end (nobody waits on them).
    for (const id of [
      modelLockWorkflowId(workspaceId, modelId),
      fileLockWorkflowId(workspaceId, modelId, env.config.actions.importActuals),
    ])
      await until(async () => (await t.client.workflow.getHandle(id).describe()).status.name !== 'RUNNING');
    await full.signal(resumeSignal);
    const f = await full.result();
    assert.equal(f.status, 'completed');
    assert.ok(f.tieOut!.balanced);
  });

  it("passes the model from the full cycle's import straight to its plan export", async () => {
    const full = await startCycle(t.client, env.config, '2026-11', 'full', undefined, env.taskQueue);
    // While the full cycle's import runs (a slow task under the model lock), an actuals cycle
    // starts and asks for the model to align. The export's request is already queued.
    await until(async () => scheduledIndex(await events(full), 'runActualsImport') >= 0);
    const actuals = await startCycle(t.client, env.config, '2026-12', 'actuals', undefined, env.taskQueue);
    const [a, f] = await Promise.all([actuals.result(), full.result()]);
    assert.equal(a.status, 'completed');
    assert.equal(f.status, 'completed');
    const exportAt = startedAt(await events(full), 'runPlanExport');
    const alignAt = startedAt(await events(actuals), 'alignDimensions');
    assert.ok(
      exportAt < alignAt,
      `the full cycle's plan export (${exportAt}) held the model before the actuals cycle's alignment (${alignAt})`,
    );
  });
});
