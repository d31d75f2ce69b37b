import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertDistinctExternalIds,
  collidingVersions,
  DuplicateExternalIdError,
  journalExternalId,
  MAX_JOURNAL_EXTERNAL_ID_LENGTH,
  parseJournalExternalId,
  planJournals,
  journalBody,
  versionSlug,
  VERSION_SLUG_MAX,
  type PlanValue,
} from '../../activities/mapping/journals';
import { centsToString, parseCents } from '../../activities/mapping/amounts';

const opts = {
  modelId: '75A40874E6B64FA3AE0743278996BF8D',
  externalIdPrefix: 'mlc',
  offsetAccountId: '90',
  maxLinesPerJournal: 4,
};

function values(n: number, sub = '2', version = 'Budget'): PlanValue[] {
  return Array.from({ length: n }, (_, i) => ({
    accountId: String(40 + i),
    subsidiaryId: sub,
    departmentId: i % 2 ? '101' : null,
    period: '2026-11',
    version,
    cents: (i + 1) * 1000 * (i % 3 === 0 ? -1 : 1),
    sourceLine: i + 2,
  }));
}

describe('plan → journals', () => {
  it('balances every part against the offset account and splits deterministically at the line limit', () => {
    const js = planJournals(values(7), opts);
    assert.equal(js.length, 3, '7 lines at 3 per part (plus offset) → 3 parts');
    for (const j of js) {
      assert.equal(j.debitCents, j.creditCents, `${j.externalId} balances`);
      assert.ok(j.lines.length <= opts.maxLinesPerJournal);
      assert.equal(j.parts, 3);
    }
    assert.deepEqual(
      js.map((j) => j.externalId),
      [
        'mlc-75a40874e6b6-budget-202611-s2-p1',
        'mlc-75a40874e6b6-budget-202611-s2-p2',
        'mlc-75a40874e6b6-budget-202611-s2-p3',
      ],
    );
    const total = js
      .flatMap((j) => j.lines.filter((l) => !l.isOffset))
      .reduce((s, l) => s + l.debitCents - l.creditCents, 0);
    assert.equal(
      total,
      values(7).reduce((s, v) => s + v.cents, 0),
      'non-offset lines carry the plan exactly',
    );
  });

  it('gives the same journals for the same plan in any input order', () => {
    const a = planJournals(values(7), opts);
    const b = planJournals(values(7).reverse(), opts);
    assert.deepEqual(
      b.map((j) => [j.externalId, j.lines.map((l) => [l.accountId, l.debitCents, l.creditCents])]),
      a.map((j) => [j.externalId, j.lines.map((l) => [l.accountId, l.debitCents, l.creditCents])]),
    );
  });

  it('groups by subsidiary × period × version and folds duplicate cells onto one line', () => {
    const vs = [
      ...values(2, '2'),
      ...values(2, '3'),
      ...values(2, '2', 'Forecast'),
      { ...values(1)[0]!, sourceLine: 99 },
    ];
    const js = planJournals(vs, { ...opts, maxLinesPerJournal: 200 });
    assert.deepEqual(js.map((j) => j.externalId).sort(), [
      'mlc-75a40874e6b6-budget-202611-s2-p1',
      'mlc-75a40874e6b6-budget-202611-s3-p1',
      'mlc-75a40874e6b6-forecast-202611-s2-p1',
    ]);
    const b2 = js.find((j) => j.externalId.endsWith('budget-202611-s2-p1'))!;
    const folded = b2.lines.find((l) => l.accountId === '40')!;
    assert.equal(folded.creditCents, 2000, 'two -10.00 cells fold into one 20.00 credit');
    assert.deepEqual(folded.sourceLines, [2, 99]);
  });

  it('renders the REST body with debit/credit numbers and no zero lines', () => {
    const [j] = planJournals(values(2), { ...opts, maxLinesPerJournal: 200 });
    const body = journalBody(j!, { postingPeriodId: '23', tranDate: '2026-11-30', memo: 'plan', approved: true });
    const items = (body.line as { items: Array<Record<string, unknown>> }).items;
    assert.equal(items.length, 3);
    const debit = items.reduce((s, l) => s + ((l.debit as number) ?? 0), 0);
    const credit = items.reduce((s, l) => s + ((l.credit as number) ?? 0), 0);
    assert.equal(debit, credit);
    assert.deepEqual(body.postingPeriod, { id: '23' });
    assert.equal(body.externalId, j!.externalId);
  });

  it('parses amounts strictly into cents', () => {
    assert.equal(parseCents('1234.56'), 123456);
    assert.equal(parseCents('-0.5'), -50);
    assert.equal(parseCents('1e3'), 100000);
    assert.ok(Number.isNaN(parseCents('12,00')!));
    assert.ok(Number.isNaN(parseCents('abc')!));
    assert.equal(parseCents(''), null);
    assert.equal(centsToString(-123456), '-1234.56');
    assert.equal(centsToString(5), '0.05');
  });

  it("reads back the parts of its own external IDs and no other model's or prefix's", () => {
    const id = journalExternalId(opts, 'Forecast Q4', '2026-11', '3', 12);
    assert.equal(id, 'mlc-75a40874e6b6-forecast_q4-202611-s3-p12');
    assert.deepEqual(parseJournalExternalId(opts, id), {
      version: 'forecast_q4',
      period: '2026-11',
      subsidiaryId: '3',
      part: 12,
    });
    assert.equal(
      parseJournalExternalId({ ...opts, modelId: 'FFFFFFFFFFFF4FA3AE0743278996BF8D' }, id),
      null,
      'another model',
    );
    assert.equal(
      parseJournalExternalId({ ...opts, externalIdPrefix: 'ml' }, id),
      null,
      'a shorter prefix does not claim it',
    );
    assert.equal(
      parseJournalExternalId(opts, 'mlc-75a40874e6b6-budget-202611-s3-p1-copy'),
      null,
      'hand-made look-alikes are left alone',
    );
  });
});

describe('journal external IDs that cannot collide', () => {
  const ids = { modelId: opts.modelId, externalIdPrefix: opts.externalIdPrefix };

  it('keeps the IDs of short ASCII version names exactly as earlier releases made them (ledgers already posted stay recognised)', () => {
    assert.equal(versionSlug('Budget'), 'budget');
    assert.equal(versionSlug('Forecast Q1'), 'forecast_q1');
    assert.equal(versionSlug('FY27 Plan (v2)'), 'fy27_plan_v2');
    assert.equal(journalExternalId(ids, 'Budget', '2026-11', '2', 1), 'mlc-75a40874e6b6-budget-202611-s2-p1');
  });

  it('gives non-Latin names distinct slugs (they used to collapse to "v"), readable back by the parser', () => {
    const names = ['Бюджет', 'Прогноз', '予算', 'Prévision', 'Prevision'];
    const slugs = names.map(versionSlug);
    assert.equal(new Set(slugs).size, names.length, slugs.join(', '));
    for (const s of slugs) assert.match(s, /^[a-z0-9_]+$/);
    assert.equal(versionSlug('Prevision'), 'prevision', 'ASCII unchanged');
    assert.match(versionSlug('Prévision'), /^pr_vision_[0-9a-f]{8}$/);
    const id = journalExternalId(ids, 'Бюджет', '2026-11', '2', 1);
    assert.deepEqual(parseJournalExternalId(ids, id), {
      version: versionSlug('Бюджет'),
      period: '2026-11',
      subsidiaryId: '2',
      part: 1,
    });
  });

  it('keeps long names unique with a hash suffix and every ID within the documented maximum', () => {
    const a = 'Rolling forecast for the EMEA region scenario A';
    const b = 'Rolling forecast for the EMEA region scenario B';
    assert.notEqual(versionSlug(a), versionSlug(b));
    assert.ok(versionSlug(a).length <= VERSION_SLUG_MAX);
    const longest = journalExternalId(
      { modelId: opts.modelId, externalIdPrefix: 'p'.repeat(20) },
      a,
      '2026-11',
      '9'.repeat(12),
      99_999,
    );
    assert.ok(longest.length <= MAX_JOURNAL_EXTERNAL_ID_LENGTH, `${longest.length}: ${longest}`);
  });

  it('names the configured versions that would share IDs: case, separators, non-Latin case', () => {
    assert.deepEqual(
      collidingVersions(['Forecast Q1', 'Forecast-Q1', 'Budget', 'BUDGET', 'Бюджет', 'бюджет', 'Прогноз']),
      [
        ['Forecast Q1', 'Forecast-Q1'],
        ['Budget', 'BUDGET'],
        ['Бюджет', 'бюджет'],
      ],
    );
    assert.deepEqual(collidingVersions(['Budget', 'Forecast', 'Бюджет', 'Прогноз']), []);
  });

  it('refuses a plan in which two journals share an externalId (NetSuite compares them case-insensitively)', () => {
    const js = planJournals([...values(2, '2', 'Budget'), ...values(2, '2', 'BUDGET')], opts);
    assert.throws(
      () => assertDistinctExternalIds(js),
      (e: Error) =>
        e instanceof DuplicateExternalIdError &&
        /mlc-75a40874e6b6-budget-202611-s2-p1/.test(e.message) &&
        /Budget 2026-11/.test(e.message) &&
        /BUDGET 2026-11/.test(e.message),
    );
    assert.doesNotThrow(() =>
      assertDistinctExternalIds(planJournals([...values(2, '2', 'Budget'), ...values(2, '3', 'Budget')], opts)),
    );
  });
});
