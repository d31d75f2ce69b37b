/**
 * The record of who wrote a ledger scope (audit `cycle_events`) and the question replay asks of it:
 * which other cycles wrote the scope after the replayed one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { makeLedgerWrites } from '../../activities/cycle/lock';
import { AuditTrail } from '../../activities/store/audit';

describe('ledger-write record', () => {
  let dir: string;
  let audit: AuditTrail;
  let clock = Date.parse('2026-11-01T00:00:00.000Z');
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-ledger-'));
    audit = new AuditTrail({ file: path.join(dir, 'audit.db'), now: () => new Date((clock += 1_000)) });
  });
  after(async () => {
    await audit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is append-only and kept per scope in write order', async () => {
    const id1 = await audit.appendEvent({ cycleId: 'A', kind: 'ledger_write', scope: 'S', actor: 'A' });
    const id2 = await audit.appendEvent({ cycleId: 'B', kind: 'ledger_write', scope: 'T', actor: 'B' });
    assert.ok(id2 > id1);
    assert.deepEqual(
      (await audit.queryEvents({ scope: 'S' })).map((e) => e.cycleId),
      ['A'],
    );
    const db = new Database(path.join(dir, 'audit.db'));
    try {
      assert.throws(() => db.prepare('UPDATE cycle_events SET actor = ? WHERE id = ?').run('x', id1), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM cycle_events WHERE id = ?').run(id1), /append-only/);
      assert.throws(
        () => db.prepare("INSERT INTO cycle_events (cycle_id, kind, at) VALUES ('A', 'bogus', 'now')").run(),
        /CHECK/,
      );
    } finally {
      db.close();
    }
  });

  it('names the cycles that wrote the scope after the replayed one, and only those', async () => {
    const w = makeLedgerWrites({ audit });
    await w.recordLedgerWrite({ scope: 'L', cycleId: 'old', writer: 'old' });
    const oldStart = new Date(clock - 5_000).toISOString();
    await w.recordLedgerWrite({ scope: 'L', cycleId: 'new', writer: 'new' });
    await w.recordLedgerWrite({ scope: 'other-scope', cycleId: 'elsewhere', writer: 'elsewhere' });
    assert.deepEqual(
      (await w.newerLedgerWriters({ scope: 'L', cycleId: 'old', since: oldStart })).map((n) => n.cycleId),
      ['new'],
    );
    assert.deepEqual(
      await w.newerLedgerWriters({ scope: 'L', cycleId: 'new', since: oldStart }),
      [],
      'the latest writer may replay',
    );
    // A replay of `new` writes again (as `new`): `old` stays behind it.
    await w.recordLedgerWrite({ scope: 'L', cycleId: 'new', writer: 'replay:new:postJournals' });
    assert.deepEqual(
      (await w.newerLedgerWriters({ scope: 'L', cycleId: 'old', since: oldStart })).map((n) => n.writer),
      ['replay:new:postJournals'],
    );
    // A cycle that never wrote: anything after its start counts; before it does not.
    const neverStart = new Date(clock + 500).toISOString();
    assert.deepEqual(await w.newerLedgerWriters({ scope: 'L', cycleId: 'never', since: neverStart }), []);
    await w.recordLedgerWrite({ scope: 'L', cycleId: 'later', writer: 'later' });
    assert.deepEqual(
      (await w.newerLedgerWriters({ scope: 'L', cycleId: 'never', since: neverStart })).map((n) => n.cycleId),
      ['later'],
    );
    // sinceOnly (approval gate): an earlier run's own write does not move the reference point.
    assert.deepEqual(
      (await w.newerLedgerWriters({ scope: 'L', cycleId: 'new', since: neverStart, sinceOnly: true })).map(
        (n) => n.cycleId,
      ),
      ['later'],
    );
  });
});
