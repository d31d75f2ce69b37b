import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AuditError, AuditRecordInput, AuditTrail, type AuditStore } from '../../activities/store/audit';
import { PgAuditStore } from '../../activities/store/audit-pg';
import { openAuditStore } from '../../activities/store/audit-config';
import { freshPgDatabase } from '../helpers/pg';

/** One backend under test: how to open it, and a raw connection that bypasses the store. */
interface Backend {
  name: string;
  /** A fresh, writable trail (schema applied), with the fixed clock of the suite. */
  open(): Promise<{ store: AuditStore; spec: string }>;
  /** Runs one statement outside the store (to prove the database itself refuses it). */
  raw(spec: string, sql: string): Promise<void>;
}

const NOW = () => new Date('2026-11-27T10:00:00.000Z');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sqlite: Backend = {
  name: 'SQLite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-audit-'));
    dirs.push(dir);
    const file = path.join(dir, 'audit.db');
    return { store: new AuditTrail({ file, now: NOW }), spec: file };
  },
  async raw(spec, sql) {
    const db = new Database(spec);
    try {
      db.prepare(sql).run();
    } finally {
      db.close();
    }
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  async open() {
    const url = await freshPgDatabase('audit');
    const store = new PgAuditStore({ url, now: NOW, batchSize: 5_000, chunkRows: 300 });
    assert.deepEqual(await store.migrate(), [1]);
    return { store, spec: url };
  },
  async raw(spec, sql) {
    const c = new pg.Client({ connectionString: spec });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  },
};

const journal = (
  cycleId: string,
  externalId: string,
  outcome: AuditRecordInput['outcome'],
  extra: Partial<AuditRecordInput> = {},
): AuditRecordInput => ({
  cycleId,
  step: 'post-journals',
  recordKind: 'journal',
  sourceRef: `export:e1#${externalId}`,
  artifactHash: 'a'.repeat(64),
  targetRef: externalId,
  outcome,
  ...extra,
});

for (const backend of [sqlite, postgres]) {
  void describe(`audit trail (${backend.name})`, () => {
    let audit: AuditStore;
    let spec: string;
    before(async () => {
      ({ store: audit, spec } = await backend.open());
    });
    after(async () => {
      await audit.close();
    });

    void it('appends records and calls and answers queries', async () => {
      const n = await audit.appendRecords([
        {
          cycleId: 'c1',
          step: 'import-actuals',
          recordKind: 'actual',
          sourceRef: 'q:abc#1',
          account: '4000',
          amount: '1250.10',
          targetRef: 'task-1',
          outcome: 'accepted',
        },
        {
          cycleId: 'c1',
          step: 'import-actuals',
          recordKind: 'actual',
          sourceRef: 'q:abc#2',
          account: '4000',
          amount: '-3.00',
          targetRef: 'task-1',
          outcome: 'rejected',
          reason: 'Invalid period',
        },
        {
          cycleId: 'c1',
          step: 'import-actuals',
          recordKind: 'actual',
          sourceRef: 'q:abc#3',
          account: '9999',
          amount: '1.00',
          outcome: 'quarantined',
          reason: 'unmapped account',
        },
        journal('c1', 'JE-1', 'accepted', { targetInternalId: '501' }),
        {
          cycleId: 'c2',
          step: 'import-actuals',
          recordKind: 'actual',
          account: '4000',
          amount: 7,
          outcome: 'accepted',
        },
      ]);
      assert.equal(n, 5);
      const acct = await audit.queryRecords({ cycleId: 'c1', account: '4000' });
      assert.deepEqual(
        acct.map((r) => [r.sourceRef, r.amount, r.outcome, r.reason]),
        [
          ['q:abc#1', '1250.10', 'accepted', null],
          ['q:abc#2', '-3.00', 'rejected', 'Invalid period'],
        ],
      );
      assert.equal(acct[0].at, '2026-11-27T10:00:00.000Z');
      assert.equal(typeof acct[0].id, 'number');
      assert.deepEqual(
        (await audit.queryRecords({ externalId: 'JE-1' })).map((r) => [r.recordKind, r.targetInternalId]),
        [['journal', '501']],
      );
      assert.equal((await audit.queryRecords({ cycleId: 'c1', outcome: 'quarantined' }))[0].account, '9999');
      assert.equal((await audit.queryRecords({ cycleId: 'c1', limit: 2 })).length, 2);
      assert.deepEqual(
        (await audit.queryRecords({ cycleId: 'c1', afterId: acct[1].id })).map((r) => r.sourceRef),
        ['q:abc#3', 'export:e1#JE-1'],
      );
      assert.equal((await audit.queryRecords({ cycleId: 'c2' }))[0].amount, '7');
      assert.deepEqual(await audit.countsByOutcome('c1'), { accepted: 2, rejected: 1, quarantined: 1, pending: 0 });
      assert.deepEqual(await audit.countsByOutcome('c1', 'post-journals'), {
        accepted: 1,
        rejected: 0,
        quarantined: 0,
        pending: 0,
      });

      await audit.appendCall({
        system: 'netsuite',
        method: 'POST',
        path: '/services/rest/query/v1/suiteql?limit=1000',
        status: 200,
        attempt: 1,
        durationMs: 41.6,
        cycleId: 'c1',
      });
      await audit.appendCall({
        system: 'anaplan',
        method: 'POST',
        path: '/token/refresh?refresh_token=SECRETVALUE123',
        status: null,
        attempt: 2,
        durationMs: 5,
      });
      const calls = await audit.queryCalls();
      assert.deepEqual(
        calls.map((c) => [c.system, c.status, c.attempt, c.durationMs, c.cycleId]),
        [
          ['netsuite', 200, 1, 42, 'c1'],
          ['anaplan', null, 2, 5, null],
        ],
      );
      assert.ok(!calls[1].path.includes('SECRETVALUE123'));
      assert.equal((await audit.queryCalls({ cycleId: 'c1' })).length, 1);
      assert.equal((await audit.queryCalls({ system: 'anaplan' })).length, 1);
    });

    void it('refuses UPDATE and DELETE on every table', async () => {
      await audit.appendRecord(journal('c3', 'JE-9', 'pending'));
      await audit.appendCall({ system: 'netsuite', method: 'GET', path: '/x', status: 200, attempt: 1, durationMs: 1 });
      await audit.appendEvent({ cycleId: 'c3', kind: 'ledger_write', scope: 's1', actor: 'w1' });
      for (const sql of [
        `UPDATE records SET outcome = 'accepted' WHERE cycle_id = 'c3'`,
        `DELETE FROM records WHERE cycle_id = 'c3'`,
        `DELETE FROM records`,
        `UPDATE calls SET status = 500`,
        `DELETE FROM calls`,
        `UPDATE cycle_events SET actor = 'someone else'`,
        `DELETE FROM cycle_events`,
        ...(backend === postgres ? ['TRUNCATE records', 'TRUNCATE calls, cycle_events'] : []),
      ]) {
        await assert.rejects(backend.raw(spec, sql), /append-only/, sql);
      }
      assert.equal((await audit.queryRecords({ cycleId: 'c3' }))[0].outcome, 'pending');
      assert.ok((await audit.queryCalls()).length >= 1);
      assert.equal((await audit.queryEvents({ cycleId: 'c3' }))[0].actor, 'w1');
    });

    void it('rejects unknown kinds and outcomes, naming the row', async () => {
      const bad = { ...journal('c4', 'JE-1', 'accepted'), outcome: 'posted' as never };
      await assert.rejects(
        audit.appendRecords([journal('c4', 'JE-0', 'accepted'), bad]),
        (e: Error) => e instanceof AuditError && /record 2 refused/.test(e.message),
      );
      assert.equal((await audit.queryRecords({ cycleId: 'c4' })).length, 0, 'the failed batch is rolled back');
      async function* stream() {
        yield journal('c4b', 'JE-0', 'accepted');
        yield journal('c4b', 'JE-1', 'accepted');
        yield { ...journal('c4b', 'JE-2', 'accepted'), recordKind: 'ledger' as never };
      }
      await assert.rejects(
        audit.appendRecordsAsync(stream()),
        (e: Error) => e instanceof AuditError && /record 3 refused/.test(e.message),
      );
      assert.equal(
        (await audit.queryRecords({ cycleId: 'c4b' })).length,
        2,
        'a streamed pass keeps the rows before the refused one',
      );
    });

    void it('bulk appends past one multi-row statement: every row in order; a refused row mid-statement is named', async () => {
      // 200 rows: several 64-row statements on SQLite (300-row chunks on PostgreSQL) and a remainder.
      const rows = Array.from({ length: 200 }, (_, i) => journal('c4c', `JE-${i}`, i % 7 ? 'accepted' : 'rejected'));
      assert.equal(await audit.appendRecords(rows), 200);
      assert.equal(await audit.appendRecordsAsync(rows.map((r) => ({ ...r, cycleId: 'c4d' }))), 200);
      for (const c of ['c4c', 'c4d']) {
        const got = await audit.queryRecords({ cycleId: c, limit: 1000 });
        assert.deepEqual(
          got.map((r) => [r.targetRef, r.outcome]),
          rows.map((r) => [r.targetRef, r.outcome]),
          `${c}: every row, in order`,
        );
      }
      const bad = rows.map((r, i) => ({ ...r, cycleId: 'c4e', ...(i === 99 ? { outcome: 'posted' as never } : {}) }));
      await assert.rejects(
        audit.appendRecords(bad),
        (e: Error) => e instanceof AuditError && /record 100 refused/.test(e.message),
      );
      assert.equal((await audit.queryRecords({ cycleId: 'c4e' })).length, 0, 'the failed batch is rolled back');
      async function* stream() {
        for (const r of bad) yield { ...r, cycleId: 'c4f' };
      }
      await assert.rejects(
        audit.appendRecordsAsync(stream()),
        (e: Error) => e instanceof AuditError && /record 100 refused/.test(e.message),
      );
      const kept = await audit.queryRecords({ cycleId: 'c4f', limit: 1000 });
      assert.deepEqual(
        kept.map((r) => r.targetRef),
        rows.slice(0, 99).map((r) => r.targetRef),
        'a streamed pass keeps exactly the rows before the refused one',
      );
    });

    void it('tells which journals of a step did not post, latest row winning', async () => {
      await audit.appendRecords([
        journal('c5', 'JE-1', 'pending'),
        journal('c5', 'JE-2', 'pending'),
        journal('c5', 'JE-3', 'pending'),
        journal('c5', 'JE-1', 'accepted', { targetInternalId: '901' }),
        journal('c5', 'JE-2', 'rejected', { reason: 'Period closed' }),
        { ...journal('c5', 'JE-1', 'accepted'), recordKind: 'journal_line', account: '4000', amount: '10.00' },
        journal('c6', 'JE-3', 'accepted'),
      ]);
      const latest = await audit.latestOutcomeByTarget('c5', 'post-journals', 'journal');
      assert.deepEqual(
        [...latest].map(([k, v]) => [k, v.outcome, v.targetInternalId, v.reason]),
        [
          ['JE-3', 'pending', null, null],
          ['JE-1', 'accepted', '901', null],
          ['JE-2', 'rejected', null, 'Period closed'],
        ],
      );
      assert.equal(
        (await audit.latestOutcomeByTarget('c5', 'post-journals')).get('JE-1')!.outcome,
        'accepted',
        'without a kind, the journal_line row is the latest',
      );
      // replay fixes JE-2 and JE-3
      await audit.appendRecords([
        journal('c5', 'JE-2', 'accepted', { targetInternalId: '902' }),
        journal('c5', 'JE-3', 'accepted', { targetInternalId: '903' }),
      ]);
      const notPosted = [...(await audit.latestOutcomeByTarget('c5', 'post-journals', 'journal'))].filter(
        ([, v]) => v.outcome !== 'accepted',
      );
      assert.deepEqual(notPosted, []);
    });

    void it('keeps cycle events in order per scope and kind', async () => {
      const a = await audit.appendEvent({ cycleId: 'e1', kind: 'ledger_write', scope: 'L1', actor: 'w-e1' });
      const b = await audit.appendEvent({
        cycleId: 'e2',
        kind: 'ledger_write',
        scope: 'L1',
        actor: 'w-e2',
        at: '2026-11-28T00:00:00.000Z',
      });
      await audit.appendEvent({ cycleId: 'e1', kind: 'approved', actor: 'ana', note: 'ok (diff abc)' });
      assert.ok(b > a);
      assert.deepEqual(
        (await audit.queryEvents({ scope: 'L1', afterId: a })).map((e) => [e.cycleId, e.actor, e.at]),
        [['e2', 'w-e2', '2026-11-28T00:00:00.000Z']],
      );
      assert.deepEqual(
        (await audit.queryEvents({ cycleId: 'e1' })).map((e) => [e.kind, e.scope, e.note]),
        [
          ['ledger_write', 'L1', null],
          ['approved', null, 'ok (diff abc)'],
        ],
      );
      assert.equal((await audit.queryEvents({ cycleId: 'e1', kind: 'approved' })).length, 1);
    });

    void it('bulk-inserts 200k rows in batched transactions, and streams rows as they arrive', async () => {
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
      assert.equal(await audit.appendRecords(rows()), 200_000);
      console.log(`audit (${backend.name}): 200000 rows appended in ${(performance.now() - t0).toFixed(0)} ms`);
      assert.deepEqual(await audit.countsByOutcome('bulk'), {
        accepted: 198_000,
        rejected: 2_000,
        quarantined: 0,
        pending: 0,
      });
      const tail = await audit.queryRecords({
        cycleId: 'bulk',
        afterId: (await audit.queryRecords({ cycleId: 'bulk', limit: 199_998 })).at(-1)!.id,
      });
      assert.deepEqual(
        tail.map((r) => [r.sourceRef, r.amount]),
        [
          ['q:ffff#199998', '49999.50'],
          ['q:ffff#199999', '49999.75'],
        ],
        'insertion order kept',
      );

      async function* few() {
        for (let i = 0; i < 3; i++)
          yield { cycleId: 'async', step: 's', recordKind: 'plan_value' as const, outcome: 'accepted' as const };
      }
      assert.equal(await audit.appendRecordsAsync(few()), 3);
      const ro = openAuditStore(spec, { readonly: true });
      try {
        assert.equal((await ro.queryRecords({ cycleId: 'async' })).length, 3);
        await assert.rejects(
          ro.appendCall({ system: 'x', method: 'GET', path: '/', status: 1, attempt: 1, durationMs: 1 }),
          AuditError,
        );
        await assert.rejects(ro.appendEvent({ cycleId: 'x', kind: 'approved' }), AuditError);
      } finally {
        await ro.close();
      }
    });
  });
}

void describe('audit trail on PostgreSQL: migrations', () => {
  it('refuses an unmigrated database naming the command, then migrates once (idempotent, recorded)', async () => {
    const url = await freshPgDatabase('mig');
    const store = new PgAuditStore({ url });
    try {
      await assert.rejects(
        store.appendRecord(journal('m', 'JE-1', 'accepted')),
        (e: Error) =>
          e instanceof AuditError && /schema version 0/.test(e.message) && /ml-connector audit migrate/.test(e.message),
      );
      await assert.rejects(store.queryRecords({}), /audit migrate/);
      const other = new PgAuditStore({ url });
      const both = await Promise.all([store.migrate(), other.migrate()]).finally(() => other.close());
      assert.deepEqual(both.flat(), [1], 'concurrent migrators apply each version once');
      assert.deepEqual(await store.migrate(), []);
      assert.equal(await store.schemaVersion(), 1);
      await store.appendRecord(journal('m', 'JE-1', 'accepted'));
      assert.equal((await store.queryRecords({ cycleId: 'm' })).length, 1);
    } finally {
      await store.close();
    }
  });

  it('never shows the password of the database URL', () => {
    const store = new PgAuditStore({ url: 'postgres://audit:S3cretPw@db.example:5432/audit?password=S3cretPw' });
    assert.equal(store.location, 'postgres://audit:***@db.example:5432/audit');
    return store.close();
  });
});
