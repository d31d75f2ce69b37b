/**
 * Reconciliation report figures (issue 16 item 4) from a real audit database: rows written twice
 * (a retried activity, a replay) count once, journals are placed by their externalId, and a replay
 * that finds a journal this cycle posted "unchanged" still counts it as created.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditTrail, type AuditRecordInput } from '../../activities/store';
import { buildReportData, journalScope } from '../../activities/report/data';

describe('report data', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-report-unit-'));
  const audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
  const c = 'cycle:x:2026-10:full';
  const a = (r: Partial<AuditRecordInput>): AuditRecordInput => ({
    cycleId: c,
    step: 'importActuals',
    recordKind: 'actual',
    outcome: 'accepted',
    ...r,
  });
  const actuals = [
    a({ sourceRef: 'csv#2', artifactHash: 'h1', account: '4010', amount: '100.10' }),
    a({
      sourceRef: 'csv#3',
      artifactHash: 'h1',
      account: '4010',
      amount: '-0.10',
      outcome: 'rejected',
      reason: 'bad member',
    }),
    a({
      sourceRef: 'gl:7:79#1',
      artifactHash: 'q1',
      account: '79',
      amount: '5.00',
      outcome: 'quarantined',
      reason: 'excluded',
    }),
  ];
  const eid = (sub: string, part: number) => `mlc-abcdef123456-budget-202611-s${sub}-p${part}`;
  await audit.appendRecords([
    {
      cycleId: c,
      step: 'alignDimensions',
      recordKind: 'list_member',
      sourceRef: 'accounts:79',
      outcome: 'quarantined',
      reason: 'excluded by accounts.overrides["6990"] = null',
    },
    ...actuals,
    // The import activity was retried after its audit pass: the same rows again.
    ...actuals,
    {
      cycleId: c,
      step: 'postJournals',
      recordKind: 'journal',
      sourceRef: 'journal:0@a',
      targetRef: eid('2', 1),
      outcome: 'accepted',
      reason: 'posted',
      amount: '50.00',
    },
    {
      cycleId: c,
      step: 'postJournals',
      recordKind: 'journal',
      sourceRef: 'journal:1@b',
      targetRef: eid('3', 1),
      outcome: 'accepted',
      reason: 'updated; repaired after read-back: lines',
      amount: '20.00',
    },
    {
      cycleId: c,
      step: 'postJournals',
      recordKind: 'journal',
      sourceRef: `retire:${eid('2', 2)}`,
      targetRef: eid('2', 2),
      outcome: 'accepted',
      reason: 'retired: no longer in the plan',
    },
    // A replay of postJournals finds the first journal as posted before.
    {
      cycleId: c,
      step: 'postJournals',
      recordKind: 'journal',
      sourceRef: 'journal:0@a',
      targetRef: eid('2', 1),
      outcome: 'accepted',
      reason: 'unchanged',
      amount: '50.00',
    },
    {
      cycleId: 'another',
      step: 'importActuals',
      recordKind: 'actual',
      outcome: 'accepted',
      account: '4010',
      amount: '999',
    },
  ]);
  await audit.appendCall({
    system: 'netsuite',
    method: 'GET',
    path: '/x',
    status: 404,
    attempt: 1,
    durationMs: 12,
    cycleId: c,
  });

  it('counts each record once, per account, with reasons and the difference', async () => {
    const d = await buildReportData({ cycleId: c, audit });
    assert.deepEqual(
      d.actuals.map((l) => [
        l.account,
        l.netsuiteCents,
        l.loadedCents,
        l.quarantinedCents,
        l.rejectedCents,
        l.differenceCents,
      ]),
      [
        ['4010', 10000, 10010, 0, -10, -10],
        ['6990', 500, 0, 500, 0, 500],
      ],
    );
    assert.deepEqual(d.actuals[1]!.reasons, { excluded: 1 });
    assert.deepEqual(d.totals, {
      netsuiteCents: 10500,
      loadedCents: 10010,
      quarantinedCents: 500,
      rejectedCents: -10,
      differenceCents: 490,
    });
    assert.deepEqual(d.byAccount, [
      { account: '4010', netsuiteCents: 10000, anaplanCents: 10010 },
      { account: '6990', netsuiteCents: 500, anaplanCents: 0 },
    ]);
    assert.deepEqual(d.calls, [{ system: 'netsuite', calls: 1, failed: 1, totalMs: 12 }]);
  });

  it('places journals by version × period × subsidiary; a replayed one stays created', async () => {
    const d = await buildReportData({ cycleId: c, audit });
    assert.deepEqual(
      d.journals.map((g) => [
        g.version,
        g.period,
        g.subsidiary,
        g.created,
        g.createdCents,
        g.updated,
        g.updatedCents,
        g.unchanged,
        g.retired,
      ]),
      [
        ['budget', '2026-11', '2', 1, 5000, 0, 0, 0, 1],
        ['budget', '2026-11', '3', 0, 0, 1, 2000, 0, 0],
      ],
    );
    assert.equal(d.journalTotals.created, 1);
    assert.deepEqual(journalScope('mlc-abc-forecast_q1_1a2b3c4d-202701-s12-p3'), {
      version: 'forecast_q1_1a2b3c4d',
      period: '2027-01',
      subsidiary: '12',
    });
    assert.equal(journalScope('someone-elses-journal'), null);
  });

  it('pages through more rows than one query returns', async () => {
    const big = new AuditTrail({ file: path.join(dir, 'big.db') });
    await big.appendRecords(
      Array.from({ length: 12_001 }, (_, i) =>
        a({ sourceRef: `csv#${i + 2}`, artifactHash: 'h', account: String(4000 + (i % 3)), amount: '0.01' }),
      ),
    );
    const d = await buildReportData({ cycleId: c, audit: big });
    await big.close();
    assert.equal(d.auditRows, 12_001);
    assert.equal(d.totals.loadedCents, 12_001);
  });
});
