import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PlanGrouping, type PlanValue } from '../../activities/mapping/journals';
import { DiskPlanGrouping } from '../../activities/cycle/plan-grouping-disk';
import { rng } from '../../sandbox/demo-company';

const opts = {
  modelId: '75A40874E6B64FA3AE0743278996BF8D',
  externalIdPrefix: 'mlc',
  offsetAccountId: '90',
  maxLinesPerJournal: 40,
};

/**
 * 120,000 mapped values in export order: 3 versions × 4 months × 5 subsidiaries; 300 accounts
 * (IDs of different lengths, so their order is numeric, not textual) × 12 departments (null
 * included); every line gets ~3 values that fold, some lines sum to zero, and the rows come shuffled.
 */
function values(n = 120_000, seed = 29): PlanValue[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const departments = [null, ...Array.from({ length: 11 }, (_, i) => String(7 + i * 13))];
  const out: PlanValue[] = [];
  for (let i = 0; i < n; i++) {
    const cents = Math.round((r() - 0.4) * 500_000);
    out.push({
      accountId: String(Math.floor(r() * 300) * 37 + 1),
      subsidiaryId: pick(['2', '3', '11', '12', '40']),
      departmentId: pick(departments),
      period: pick(['2026-10', '2026-11', '2026-12', '2027-01']),
      version: pick(['Budget', 'Forecast', 'Réserve €']),
      cents,
      sourceLine: i + 2,
    });
    // A value and its reversal on the same line: lines that fold to zero and must be left out.
    if (i % 997 === 0) out.push({ ...out[out.length - 1]!, cents: -cents, sourceLine: i + 2 });
  }
  return out;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-plan-grouping-'));
}

test('the disk grouping yields the in-memory journals (keys, lines, order, externalIds, balance) on a plan that spills past its cache', () => {
  const vs = values();
  const memory = new PlanGrouping();
  const dir = tempDir();
  // A 64 KiB cache: the scratch file and SQLite's sorter work far past it, in several sorted runs on disk.
  const disk = new DiskPlanGrouping({ dir, cacheKiB: 64 });
  try {
    for (const v of vs) {
      memory.add(v);
      disk.add(v);
    }
    const expected = memory.journals(opts);
    assert.ok(expected.length > 500, `${expected.length} journals: several parts a group`);
    assert.ok(
      expected.some((j) => j.lines.some((l) => l.sourceLines.length > 1)),
      'values fold onto shared lines',
    );
    assert.ok(fs.statSync(disk.file).size > 64 * 1024 * 20, 'the values are on disk, far past the cache');
    const got = [...disk.eachJournal(opts)];
    assert.equal(got.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(got[i], expected[i], `journal ${i}`);
    for (const j of got) assert.equal(j.debitCents, j.creditCents, `${j.externalId} balances`);
    assert.deepEqual(
      disk.heads(opts),
      expected.map(({ externalId, version, period, subsidiaryId, part, parts }) => ({
        externalId,
        version,
        period,
        subsidiaryId,
        part,
        parts,
      })),
    );
    // Held-back scopes (frozen version × month × subsidiary) and a second pass give the same as in memory.
    const keep = (version: string, period: string, sub: string) =>
      !((version === 'Forecast' && period === '2026-11') || sub === '11');
    assert.deepEqual([...disk.eachJournal(opts, keep)], memory.journals(opts, keep));
    assert.deepEqual(disk.heads(opts, keep), memory.heads(opts, keep));
    assert.deepEqual(disk.totals(keep), memory.totals(keep));
    assert.deepEqual(disk.totals(), memory.totals());
    assert.throws(() => disk.add(vs[0]!), /added after the journals were read/);
  } finally {
    disk.close();
  }
  assert.deepEqual(fs.readdirSync(dir), [], 'close() removes the scratch file');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ties keep the order of their first value, as the in-memory stable sort does; empty and tiny plans too', () => {
  // '7' and '007' pad to one key; departments null and '' fold onto one line (the first value's kept).
  const vs: PlanValue[] = [
    { accountId: '007', subsidiaryId: '2', departmentId: '', period: '2026-11', version: 'B', cents: 5, sourceLine: 2 },
    { accountId: '7', subsidiaryId: '2', departmentId: null, period: '2026-11', version: 'B', cents: 3, sourceLine: 3 },
    {
      accountId: '007',
      subsidiaryId: '2',
      departmentId: null,
      period: '2026-11',
      version: 'B',
      cents: 4,
      sourceLine: 4,
    },
    {
      accountId: '12',
      subsidiaryId: '2',
      departmentId: null,
      period: '2026-11',
      version: 'A',
      cents: -9,
      sourceLine: 5,
    },
    // Another group meets the two accounts the other way round: its own first value decides, not the plan's.
    { accountId: '7', subsidiaryId: '2', departmentId: null, period: '2026-12', version: 'A', cents: 1, sourceLine: 6 },
    {
      accountId: '007',
      subsidiaryId: '2',
      departmentId: null,
      period: '2026-12',
      version: 'A',
      cents: 2,
      sourceLine: 7,
    },
  ];
  const dir = tempDir();
  for (const input of [vs, [...vs].reverse(), []]) {
    const memory = new PlanGrouping();
    const disk = new DiskPlanGrouping({ dir });
    try {
      for (const v of input) {
        memory.add(v);
        disk.add(v);
      }
      for (const max of [2, 3, 50]) {
        const o = { ...opts, maxLinesPerJournal: max };
        assert.deepEqual([...disk.eachJournal(o)], memory.journals(o));
        assert.deepEqual(disk.heads(o), memory.heads(o));
      }
    } finally {
      disk.close();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
