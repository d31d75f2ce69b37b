/**
 * Determinism of planningCycle across versions: histories RECORDED by earlier workflow code
 * (test/fixtures/histories, written by record.ts before each change) must replay against the current
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
const recorded = fs.readdirSync(dir).filter((f) => /^planning-cycle-.*\.binpb$/.test(f)).sort();

describe('planningCycle replays its recorded histories', () => {
  it('has the recorded histories (full and plan, v1)', () => {
    assert.ok(recorded.includes('planning-cycle-full-v1.binpb') && recorded.includes('planning-cycle-plan-v1.binpb'), recorded.join(', '));
  });
  for (const file of recorded) {
    it(`replays ${file} with the current workflow code`, async () => {
      const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
      assert.ok((history.events?.length ?? 0) > 50, 'the history has the cycle’s activities');
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `recorded-${file}`);
    });
  }
});
