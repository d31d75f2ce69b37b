import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PlanGrouping, planJournals, type PlanValue } from '../../activities/mapping/journals';
import {
  readStoredJournals,
  StoredJournalsFormatError,
  writeStoredJournals,
  type StoredJournals,
} from '../../activities/cycle/stored-journals';
import { FsArtifactStore } from '../../activities/store';
import { rng } from '../../sandbox/demo-company';

const opts = {
  modelId: '75A40874E6B64FA3AE0743278996BF8D',
  externalIdPrefix: 'mlc',
  offsetAccountId: '90',
  maxLinesPerJournal: 50,
};

/** 60,000 mapped plan values, each its own line (account × department distinct within a group), in file order. */
function values(): PlanValue[] {
  const r = rng(17);
  const out: PlanValue[] = [];
  let line = 2;
  for (const version of ['Budget', 'Forecast'])
    for (const period of ['2026-11', '2026-12', '2027-01'])
      for (const subsidiaryId of ['2', '3'])
        for (let a = 0; a < 100; a++)
          for (let d = 0; d < 50; d++)
            out.push({
              accountId: String(4000 + a),
              subsidiaryId,
              departmentId: d === 0 ? null : String(100 + d),
              period,
              version,
              cents: Math.round((r() - 0.3) * 1_000_000),
              sourceLine: line++,
            });
  // The export's row order is not the journal order: shuffle so grouping has to sort.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const periods = {
  '2026-11': { id: '111', endDate: '2026-11-30' },
  '2026-12': { id: '112', endDate: '2026-12-31' },
  '2027-01': { id: '113', endDate: '2027-01-31' },
};
const retire = [{ externalId: 'mlc-75a40874e6b6-budget-202612-s4-p1', period: '2026-12' }];

async function withStore(use: (store: FsArtifactStore) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-stored-journals-'));
  try {
    await use(new FsArtifactStore(path.join(dir, 'artifacts')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a 60,000-value plan written journal by journal reads back as the journals planJournals makes of the whole list, in order, whole or batch by batch', async () => {
  await withStore(async (store) => {
    const vs = values();
    const expected = planJournals(vs, opts);
    assert.ok(expected.length > 1000, `${expected.length} journals: enough parts for batches to matter`);
    const grouping = new PlanGrouping();
    for (const v of vs) grouping.add(v);
    const hash = await writeStoredJournals(
      store,
      { period: '2026-10', periods, retire, count: expected.length },
      grouping.eachJournal(opts),
    );
    const all = await readStoredJournals(store, hash);
    assert.equal(all.count, expected.length);
    assert.equal(all.first, 0);
    assert.equal(all.period, '2026-10');
    assert.deepEqual(all.periods, periods);
    assert.deepEqual(all.retire, retire);
    assert.deepEqual(all.journals, expected);
    for (const j of all.journals) assert.equal(j.debitCents, j.creditCents, `${j.externalId} balances`);
    // Batches as postJournals reads them (a resumed one starts mid-batch); together they are the plan once.
    const seen: string[] = [];
    for (let from = 0; from < expected.length + retire.length; from += 97) {
      const b = await readStoredJournals(store, hash, from, from + 97);
      assert.equal(b.count, expected.length);
      assert.equal(b.first, Math.min(from, expected.length));
      assert.deepEqual(b.journals, expected.slice(from, from + 97));
      seen.push(...b.journals.map((j) => j.externalId));
    }
    assert.deepEqual(
      seen,
      expected.map((j) => j.externalId),
    );
    // The artifact is lines: no line holds more than one journal (what keeps a batch read small).
    const text = (await store.read(hash)).toString('utf8');
    assert.equal(text.split('\n').filter(Boolean).length, expected.length + 1);
  });
});

test('an artifact of the earlier single-object format (an in-flight cycle, a later replay) still reads, whole and by batch', async () => {
  await withStore(async (store) => {
    const journals = planJournals(values().slice(0, 3000), opts);
    const old: StoredJournals = { period: '2026-10', journals, periods, retire };
    const hash = (await store.put(JSON.stringify(old))).hash;
    const all = await readStoredJournals(store, hash);
    assert.deepEqual({ ...all }, { ...old, count: journals.length, first: 0 });
    const b = await readStoredJournals(store, hash, 10, 20);
    assert.deepEqual(b.journals, journals.slice(10, 20));
    assert.equal(b.first, 10);
    const past = await readStoredJournals(store, hash, journals.length, journals.length + 1);
    assert.deepEqual(past.journals, []);
    assert.equal(past.first, journals.length);
    assert.deepEqual(past.retire, retire);
  });
});

test('a header whose count does not match the journals is refused, on write and on read', async () => {
  await withStore(async (store) => {
    const journals = planJournals(values().slice(0, 500), opts);
    await assert.rejects(
      writeStoredJournals(store, { period: '2026-10', periods, retire: [], count: journals.length + 1 }, journals),
      StoredJournalsFormatError,
    );
    const lines = [
      JSON.stringify({ format: 'ml-connector.journals.jsonl.v2', period: '2026-10', periods, retire: [], count: 3 }),
      ...journals.slice(0, 2).map((j) => JSON.stringify(j)),
    ];
    const hash = (await store.put(lines.join('\n') + '\n')).hash;
    await assert.rejects(readStoredJournals(store, hash), /header says 3 journals, the file holds 2/);
  });
});
