/**
 * A small configuration of `npm run chaos`: two full cycles on two Anaplan models while the worker
 * process (`ml-connector worker --config F`) is SIGKILLed three times and restarted. The invariants
 * are checked against the sandboxes (scripts/chaos-invariants.ts), not against the workflows' own
 * reports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from '../../scripts/chaos';

describe('chaos: worker SIGKILLed and restarted during cycles on two models', () => {
  it(
    'every cycle completes; actuals tie out, journals exist once each, no task overlap',
    { timeout: 300_000 },
    async () => {
      const lines: string[] = [];
      const report = await runChaos({
        cycles: 2,
        kills: 3,
        seed: 7,
        minIntervalMs: 500,
        maxIntervalMs: 2_500,
        glLines: 3_000,
        log: (l) => lines.push(l),
      });
      assert.ok(
        report.kills.length >= 2,
        `the worker was killed mid-run (${report.kills.length} kills):\n${lines.join('\n')}`,
      );
      assert.ok(
        report.kills.every((k) => k.running > 0),
        'every kill hit while cycles were running',
      );
      const names = report.results.map((r) => r.name);
      assert.equal(names.filter((n) => n.endsWith('completed')).length, 2);
      assert.equal(
        names.filter((n) => n.includes('exactly the planned ones')).length,
        2,
        'both models posted their plan',
      );
      assert.equal(names.filter((n) => n.includes('no two tasks overlapped')).length, 2);
      const failed = report.results.filter((r) => !r.ok);
      assert.deepEqual(failed, [], lines.join('\n'));
      assert.equal(report.ok, true);
    },
  );
});
