/**
 * A lock holder that lost its lease knows it (issue 11 item 6). Cycle A (short lease) is paused
 * right after its extraction, holding the import file's lock with its file uploaded; its lease
 * expires and cycle B (another period) takes the file lock, uploads its own file and imports. When
 * A resumes it must not import the file B wrote: it was told its lease expired, took the lock again
 * and re-uploaded its own artifact — so Anaplan holds A's month exactly as NetSuite has it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { fileLockWorkflowId } from '../../common/ids';
import { lockStateQuery, pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { type TestTemporal } from '../helpers/temporal';
import { until } from '../helpers/until';

describe('lock lease expiry: the holder is told and takes the lock again', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 3_000 } }, (x) => ({ t, env } = x));

  it('a paused cycle whose file lock lapsed re-uploads its own file before importing', async () => {
    const a = await startCycle(t.client, env.config, '2026-10', 'actuals', { lockLeaseMs: 4_000 }, env.taskQueue);
    // Hold A before importActuals, then let it go and pause it during the extraction: it stops at
    // the gate after the extraction, inside the file lock, with its file uploaded.
    await until(
      () => a.query(statusQuery),
      (s) => s.step === 'alignDimensions',
      60_000,
      10,
    );
    await a.signal(pauseSignal, { reason: 'test: hold before importActuals' });
    await until(
      () => a.query(statusQuery),
      (s) => s.paused && s.steps.find((x) => x.name === 'alignDimensions')!.state === 'done',
      60_000,
    );
    await a.signal(resumeSignal);
    await until(
      () => a.query(statusQuery),
      (s) => s.step === 'importActuals',
      60_000,
      5,
    );
    await a.signal(pauseSignal, { reason: 'test: hold A inside the file lock' });
    const held = await until(
      () => a.query(statusQuery),
      (s) => s.paused && s.steps.find((x) => x.name === 'importActuals')!.counts.rows !== undefined,
      60_000,
    );
    assert.equal(
      held.steps.find((x) => x.name === 'importActuals')!.state,
      'running',
      'A stopped between its extraction and its import',
    );

    // B (September) waits for the file lock; A's lease lapses; B uploads its file and imports.
    const fileLock = t.client.workflow.getHandle(
      fileLockWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, env.config.actions.importActuals),
    );
    const b = await startCycle(t.client, env.config, '2026-09', 'actuals', undefined, env.taskQueue);
    const bs = await b.result();
    assert.ok((bs.import?.rowsImported ?? 0) > 0, 'B imported its own file');
    const lockState = await fileLock.query(lockStateQuery).catch(() => undefined);
    assert.ok(
      lockState === undefined || lockState.leasesExpired >= 1 || lockState.holder?.requesterId === a.workflowId,
      'A’s lease expired',
    );

    await a.signal(resumeSignal);
    const as = await a.result();
    const oct = env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Time: 'Oct 26' });
    assert.ok(as.tieOut?.balanced, `A ties out: ${JSON.stringify(as.tieOut)}`);
    assert.equal(
      Math.round(oct.total * 100),
      as.tieOut!.loadedCents,
      'Anaplan holds A’s month as A extracted it (A imported its own file, not B’s)',
    );
    assert.equal(as.import!.rowsImported + as.import!.rowsRejected, as.extract!.rows, 'A’s import read A’s rows');
  });
});
