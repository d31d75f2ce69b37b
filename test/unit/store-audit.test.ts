import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AuditError, AuditRecordInput, AuditTrail } from '../../activities/store/audit';

let dir: string;
let audit: AuditTrail;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-audit-'));
  audit = new AuditTrail({ file: path.join(dir, 'audit.db'), now: () => new Date('2026-11-27T10:00:00.000Z') });
});
after(() => {
  audit.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const journal = (cycleId: string, externalId: string, outcome: AuditRecordInput['outcome'], extra: Partial<AuditRecordInput> = {}): AuditRecordInput => ({
  cycleId,
  step: 'post-journals',
  recordKind: 'journal',
  sourceRef: `export:e1#${externalId}`,
  artifactHash: 'a'.repeat(64),
  targetRef: externalId,
  outcome,
  ...extra,
});

void describe('audit trail', () => {
  void it('appends records and calls and answers queries', () => {
    const n = audit.appendRecords([
      { cycleId: 'c1', step: 'import-actuals', recordKind: 'actual', sourceRef: 'q:abc#1', account: '4000', amount: '1250.10', targetRef: 'task-1', outcome: 'accepted' },
      { cycleId: 'c1', step: 'import-actuals', recordKind: 'actual', sourceRef: 'q:abc#2', account: '4000', amount: '-3.00', targetRef: 'task-1', outcome: 'rejected', reason: 'Invalid period' },
      { cycleId: 'c1', step: 'import-actuals', recordKind: 'actual', sourceRef: 'q:abc#3', account: '9999', amount: '1.00', outcome: 'quarantined', reason: 'unmapped account' },
      journal('c1', 'JE-1', 'accepted', { targetInternalId: '501' }),
      { cycleId: 'c2', step: 'import-actuals', recordKind: 'actual', account: '4000', amount: 7, outcome: 'accepted' },
    ]);
    assert.equal(n, 5);
    const acct = audit.queryRecords({ cycleId: 'c1', account: '4000' });
    assert.deepEqual(acct.map((r) => [r.sourceRef, r.amount, r.outcome, r.reason]), [
      ['q:abc#1', '1250.10', 'accepted', null],
      ['q:abc#2', '-3.00', 'rejected', 'Invalid period'],
    ]);
    assert.equal(acct[0].at, '2026-11-27T10:00:00.000Z');
    assert.deepEqual(audit.queryRecords({ externalId: 'JE-1' }).map((r) => [r.recordKind, r.targetInternalId]), [['journal', '501']]);
    assert.equal(audit.queryRecords({ cycleId: 'c1', outcome: 'quarantined' })[0].account, '9999');
    assert.equal(audit.queryRecords({ cycleId: 'c1', limit: 2 }).length, 2);
    assert.equal(audit.queryRecords({ cycleId: 'c2' })[0].amount, '7');
    assert.deepEqual(audit.countsByOutcome('c1'), { accepted: 2, rejected: 1, quarantined: 1, pending: 0 });
    assert.deepEqual(audit.countsByOutcome('c1', 'post-journals'), { accepted: 1, rejected: 0, quarantined: 0, pending: 0 });

    audit.appendCall({ system: 'netsuite', method: 'POST', path: '/services/rest/query/v1/suiteql?limit=1000', status: 200, attempt: 1, durationMs: 41.6, cycleId: 'c1' });
    audit.appendCall({ system: 'anaplan', method: 'POST', path: '/token/refresh?refresh_token=SECRETVALUE123', status: null, attempt: 2, durationMs: 5 });
    const calls = audit.queryCalls();
    assert.deepEqual(calls.map((c) => [c.system, c.status, c.attempt, c.durationMs, c.cycleId]), [
      ['netsuite', 200, 1, 42, 'c1'],
      ['anaplan', null, 2, 5, null],
    ]);
    assert.ok(!calls[1].path.includes('SECRETVALUE123'));
    assert.equal(audit.queryCalls({ cycleId: 'c1' }).length, 1);
  });

  void it('refuses UPDATE and DELETE on both tables', () => {
    audit.appendRecord(journal('c3', 'JE-9', 'pending'));
    audit.appendCall({ system: 'netsuite', method: 'GET', path: '/x', status: 200, attempt: 1, durationMs: 1 });
    const raw = new Database(audit.file);
    try {
      for (const sql of [
        `UPDATE records SET outcome = 'accepted' WHERE cycle_id = 'c3'`,
        `DELETE FROM records WHERE cycle_id = 'c3'`,
        `DELETE FROM records`,
        `UPDATE calls SET status = 500`,
        `DELETE FROM calls`,
      ]) {
        assert.throws(() => raw.prepare(sql).run(), /append-only/, sql);
      }
    } finally {
      raw.close();
    }
    assert.equal(audit.queryRecords({ cycleId: 'c3' })[0].outcome, 'pending');
    assert.ok(audit.queryCalls().length >= 1);
  });

  void it('rejects unknown kinds and outcomes, naming the row', () => {
    const bad = { ...journal('c4', 'JE-1', 'accepted'), outcome: 'posted' as never };
    assert.throws(() => audit.appendRecords([journal('c4', 'JE-0', 'accepted'), bad]), (e: Error) => e instanceof AuditError && /record 2 refused/.test(e.message));
    assert.equal(audit.queryRecords({ cycleId: 'c4' }).length, 0, 'the failed batch is rolled back');
  });

  void it('tells which journals of a step did not post, latest row winning', () => {
    audit.appendRecords([
      journal('c5', 'JE-1', 'pending'),
      journal('c5', 'JE-2', 'pending'),
      journal('c5', 'JE-3', 'pending'),
      journal('c5', 'JE-1', 'accepted', { targetInternalId: '901' }),
      journal('c5', 'JE-2', 'rejected', { reason: 'Period closed' }),
      { ...journal('c5', 'JE-1', 'accepted'), recordKind: 'journal_line', account: '4000', amount: '10.00' },
      journal('c6', 'JE-3', 'accepted'),
    ]);
    const latest = audit.latestOutcomeByTarget('c5', 'post-journals', 'journal');
    assert.deepEqual([...latest].map(([k, v]) => [k, v.outcome, v.targetInternalId, v.reason]), [
      ['JE-3', 'pending', null, null],
      ['JE-1', 'accepted', '901', null],
      ['JE-2', 'rejected', null, 'Period closed'],
    ]);
    // replay fixes JE-2 and JE-3
    audit.appendRecords([journal('c5', 'JE-2', 'accepted', { targetInternalId: '902' }), journal('c5', 'JE-3', 'accepted', { targetInternalId: '903' })]);
    const notPosted = [...audit.latestOutcomeByTarget('c5', 'post-journals', 'journal')].filter(([, v]) => v.outcome !== 'accepted');
    assert.deepEqual(notPosted, []);
  });

  void it('bulk-inserts 200k rows in batched transactions', async () => {
    function* rows(): Generator<AuditRecordInput> {
      for (let i = 0; i < 200_000; i++) {
        yield {
          cycleId: 'bulk',
          step: 'import-actuals',
          recordKind: 'actual',
          sourceRef: `q:ffff#${i}`,
          artifactHash: 'b'.repeat(64),
          targetRef: 'task-77',
          outcome: i % 100 === 0 ? 'rejected' : 'accepted',
          account: String(4000 + (i % 50)),
          amount: (i / 4).toFixed(2),
        };
      }
    }
    const t0 = performance.now();
    assert.equal(audit.appendRecords(rows()), 200_000);
    const ms = performance.now() - t0;
    console.log(`audit: 200000 rows appended in ${ms.toFixed(0)} ms`);
    assert.deepEqual(audit.countsByOutcome('bulk'), { accepted: 198_000, rejected: 2_000, quarantined: 0, pending: 0 });
    assert.ok(ms < 30_000, `bulk insert took ${ms} ms`);

    async function* few() {
      for (let i = 0; i < 3; i++) yield { cycleId: 'async', step: 's', recordKind: 'plan_value' as const, outcome: 'accepted' as const };
    }
    assert.equal(await audit.appendRecordsAsync(few()), 3);
    const ro = new AuditTrail({ file: audit.file, readonly: true });
    try {
      assert.equal(ro.queryRecords({ cycleId: 'async' }).length, 3);
      assert.throws(() => ro.appendCall({ system: 'x', method: 'GET', path: '/', status: 1, attempt: 1, durationMs: 1 }), AuditError);
    } finally {
      ro.close();
    }
  });
});
