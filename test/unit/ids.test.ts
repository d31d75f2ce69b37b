/**
 * Cycle workflow IDs read back by the CLI (`cycle status` warns on an ID that is not a cycle's):
 * plain, close-driven (`:close-<n>`) and flash (`:flash-<day>`) cycles all parse to their parts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeCycleWorkflowId, cycleWorkflowId, flashCycleWorkflowId, parseCycleWorkflowId } from '../../common/ids';

const WS = '8a81b09d5f3c4e21a0b1c2d3e4f5a6b7';
const MODEL = '75A40874E6B64FA3AE0743278996BF8D';

test('plain, close-driven and flash cycle IDs parse to workspace, model, period and kind', () => {
  const want = { workspaceId: WS, modelId: MODEL, period: '2026-10', kind: 'actuals' };
  assert.deepEqual(parseCycleWorkflowId(cycleWorkflowId(WS, MODEL, '2026-10', 'actuals')), want);
  assert.deepEqual(parseCycleWorkflowId(closeCycleWorkflowId(WS, MODEL, '2026-10', 'actuals', 2)), want);
  assert.deepEqual(parseCycleWorkflowId(flashCycleWorkflowId(WS, MODEL, '2026-10', 'actuals', '2026-10-14')), want);
});

test('anything else is not a cycle ID', () => {
  for (const id of [
    `cycle:${WS}:${MODEL}:2026-10:weekly`,
    `cycle:${WS}:${MODEL}:2026-10:actuals:close-`,
    `cycle:${WS}:${MODEL}:2026-10:actuals:other`,
    `backfill:${WS}:${MODEL}:2026-01:2026-10:actuals`,
  ]) {
    assert.equal(parseCycleWorkflowId(id), undefined, id);
  }
});
