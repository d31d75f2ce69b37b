/**
 * The small two-host chaos run (issue 14 item 4; the large one is `npm run chaos -- --hosts 2`):
 * two worker processes with separate data directories share only the run's Temporal dev server,
 * the S3 artifact bucket and the PostgreSQL audit trail. Kills are aimed at extraction, upload and
 * posting (found from the sandboxes' request counters and the pending activity's worker identity),
 * and NetSuite stops listening for 12 s mid-extraction. The Temporal dev server restart runs only in
 * the large run: npm test has one shared dev server, which a test must not kill.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runHostsChaos } from '../../scripts/chaos-hosts';
import { freshPgDatabase } from '../helpers/pg';
import { s3ArtifactEnv } from '../helpers/s3';

describe('chaos on two hosts sharing only Temporal, S3 and PostgreSQL', () => {
  it(
    'kills mid-extraction, mid-upload and mid-posting, a 12 s NetSuite outage: every cycle completes, ties out, posts once, is audited and replays from either host',
    { timeout: 420_000 },
    async (t) => {
      const { env: artifactsEnv } = await s3ArtifactEnv('hosts-chaos');
      const auditDb = await freshPgDatabase('hosts_chaos');
      const lines: string[] = [];
      const report = await runHostsChaos({
        cycles: 2,
        kills: 3,
        seed: 3,
        glLines: 3_000,
        artifactsEnv,
        auditDb,
        temporal: 'shared',
        outageMs: 12_000,
        outageVendor: 'netsuite',
        log: (l) => lines.push(l),
      });
      const transcript = lines.join('\n');
      t.diagnostic(
        `kills: ${report.kills.map((k) => `${k.phase}@${k.host} (${k.restart})`).join(', ')}; outage ${report.outage?.down_s ?? 0}s; wall ${report.wall_s}s`,
      );
      assert.deepEqual(
        new Set(report.kills.map((k) => k.phase)),
        new Set(['extraction', 'upload', 'posting']),
        `one kill in each phase:\n${transcript}`,
      );
      assert.ok(
        report.kills.some((k) => k.restart === 'left down'),
        `one killed host stayed down while the other finished:\n${transcript}`,
      );
      assert.ok(
        report.outage && report.outage.down_s >= 12 && report.outage.running > 0,
        `NetSuite went down mid-step while cycles ran:\n${transcript}`,
      );
      assert.equal(report.replays.length, 4, 'both full cycles replayed from each host');
      assert.deepEqual(new Set(report.replays.map((r) => r.host)), new Set(['A', 'B']));
      const names = report.results.map((r) => r.name);
      assert.equal(names.filter((n) => n.endsWith('completed')).length, 2);
      assert.equal(
        names.filter((n) => n.includes('exactly the planned ones')).length,
        2,
        'both models posted their plan',
      );
      assert.equal(names.filter((n) => n.startsWith('audit trail (PostgreSQL)')).length, 2);
      assert.deepEqual(
        report.results.filter((r) => !r.ok),
        [],
        transcript,
      );
      assert.equal(report.ok, true);
    },
  );

  it(
    'fails when it should: a journal posted a second time (under another externalId) is caught by the journal and audit checks',
    { timeout: 300_000 },
    async () => {
      const { env: artifactsEnv } = await s3ArtifactEnv('hosts-chaos-broken');
      const auditDb = await freshPgDatabase('hosts_chaos_broken');
      const lines: string[] = [];
      const report = await runHostsChaos({
        cycles: 2,
        kills: 0,
        seed: 4,
        glLines: 2_000,
        artifactsEnv,
        auditDb,
        temporal: 'shared',
        outageMs: 0,
        outageVendor: 'netsuite',
        sabotage: 'duplicate-journal',
        log: (l) => lines.push(l),
      });
      const failed = report.results.filter((r) => !r.ok).map((r) => r.name);
      assert.equal(failed.length, 2, lines.join('\n'));
      assert.match(failed[0]!, /exactly the planned ones/);
      assert.match(failed[1]!, /every journal on the ledger has its accepted row/);
      assert.equal(report.ok, false);
    },
  );
});
