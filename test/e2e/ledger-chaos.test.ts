/**
 * Ledger chaos, small (issue 11 item 9; `npm run chaos -- --ledger` is the large run): rounds of a
 * `plan` cycle for 2026-09 and a `full` cycle for 2026-10 (overlapping months) started together,
 * replays of the previous round's cycles racing them, a new approved plan every round and, for the
 * middle round, a subsidiary set to null in the mapping, an account renumbered in NetSuite (and
 * back after the round) and a scope un-approved in Anaplan, while the worker process is
 * SIGKILLed and restarted. The invariants are checked against the sandboxes
 * (scripts/chaos-invariants.ts): the ledger equals the approved plan computed from the Anaplan
 * sandbox and the mapping, no journal was deleted where the plan covered it (NetSuite's write
 * timeline), every write has an accepted audit row, the older writer's replay is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runLedgerChaos } from '../../scripts/chaos';

describe('ledger chaos: concurrent cycles, replays, mapping drift and worker kills', () => {
  it(
    'the ledger ends as the latest approved, fully mapped plan; no wrong delete; every write audited',
    { timeout: 600_000 },
    async () => {
      const lines: string[] = [];
      const report = await runLedgerChaos({
        rounds: 3,
        kills: 2,
        seed: 5,
        minIntervalMs: 3_000,
        maxIntervalMs: 6_000,
        glLines: 300,
        threeWriters: false,
        mutations: [['subsidiary-null', 'account-renumbered', 'scope-unapproved']],
        log: (l) => lines.push(l),
      });
      const text = lines.join('\n');
      assert.ok(report.kills.length >= 1, `the worker was killed mid-run:\n${text}`);
      assert.equal(report.cycles, 6, text);
      assert.ok(report.replays.refused >= 1, `an older cycle's replay was refused:\n${text}`);
      assert.equal(report.mutations.length, 3, `subsidiary unmapped, account renumbered, scope un-approved:\n${text}`);
      assert.ok(
        report.writes.insert > 0 && report.writes.update > 0,
        `the rounds wrote and rewrote journals: ${JSON.stringify(report.writes)}`,
      );
      const names = report.results.map((r) => r.name);
      for (const want of ['ledger = latest approved', 'no journal deleted', 'every journal write', 'final replays'])
        assert.ok(
          names.some((n) => n.startsWith(want)),
          `invariant "${want}" was checked:\n${text}`,
        );
      assert.deepEqual(
        report.results.filter((r) => !r.ok),
        [],
        text,
      );
      assert.equal(report.ok, true);
    },
  );
});
