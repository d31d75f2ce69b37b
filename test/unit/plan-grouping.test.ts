import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanGrouping, planJournals, type PlanValue } from '../../activities/mapping/journals';
import { rng } from '../../sandbox/demo-company';

const opts = {
  modelId: '75A40874E6B64FA3AE0743278996BF8D',
  externalIdPrefix: 'mlc',
  offsetAccountId: '90',
  maxLinesPerJournal: 5,
};

/** A plan export's mapped values in file order: 3 versions × 3 months × 3 subsidiaries, accounts that fold (two members → one account). */
function values(n: number, seed = 3): PlanValue[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => ({
    accountId: String(40 + Math.floor(r() * 12)),
    subsidiaryId: pick(['2', '3', '4']),
    departmentId: pick(['101', '102', null]),
    period: pick(['2026-10', '2026-11', '2026-12']),
    version: pick(['Budget', 'Forecast', 'Stretch']),
    cents: Math.round((r() - 0.3) * 1_000_000),
    sourceLine: i + 2,
  }));
}

test('values folded as they stream give the journals planJournals gives for the whole list, groups held back included', () => {
  const vs = values(2000);
  const grouping = new PlanGrouping();
  for (const v of vs) grouping.add(v);
  assert.deepEqual(grouping.journals(opts), planJournals(vs, opts));
  // Holding back whole scopes later (frozen version × month × subsidiary) equals leaving their values out.
  const held = (version: string, period: string, sub: string) =>
    (version === 'Forecast' && period === '2026-11') || sub === '4';
  const kept = vs.filter((v) => !held(v.version, v.period, v.subsidiaryId));
  assert.ok(kept.length > 0 && kept.length < vs.length);
  assert.deepEqual(
    grouping.journals(opts, (a, b, c) => !held(a, b, c)),
    planJournals(kept, opts),
  );
  assert.deepEqual(
    grouping.totals((a, b, c) => !held(a, b, c)),
    { values: kept.length, cents: kept.reduce((s, v) => s + v.cents, 0) },
  );
  assert.deepEqual(grouping.totals(), { values: vs.length, cents: vs.reduce((s, v) => s + v.cents, 0) });
});

test('a grouping keeps one entry per journal line, not per value: 20,000 values on 12 accounts × 3 departments fold to at most 36 lines a group', () => {
  const vs = values(20_000, 5);
  const grouping = new PlanGrouping();
  for (const v of vs) grouping.add(v);
  const js = grouping.journals({ ...opts, maxLinesPerJournal: 1000 });
  assert.equal(js.length, 27, 'one journal per version × month × subsidiary');
  for (const j of js)
    assert.ok(j.lines.filter((l) => !l.isOffset).length <= 36, `${j.externalId}: ${j.lines.length} lines`);
  // Every value's source line is still traceable to exactly one journal line.
  const lines = js.flatMap((j) => j.lines.flatMap((l) => l.sourceLines));
  const nonZeroGroups = new Set(lines);
  assert.ok(nonZeroGroups.size === lines.length, 'no source line twice');
});
