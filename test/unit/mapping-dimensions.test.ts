import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alignDimension, memberMap, type NetSuiteMember } from '../../activities/mapping/dimensions';
import { mapGlRow } from '../../activities/mapping/actuals';

const departments: NetSuiteMember[] = [
  { id: '101', name: 'Sales', parent: '100', isinactive: false },
  { id: '100', name: 'Company', parent: null, isinactive: false },
  { id: '108', name: 'Special Projects', parent: '100', isinactive: false },
];
const accounts: NetSuiteMember[] = [
  { id: '40', number: '6000', name: 'Opex', parent: null, isinactive: false, type: 'Expense', issummary: true },
  { id: '41', number: '6100', name: 'Salaries', parent: '40', isinactive: false, type: 'Expense' },
  { id: '79', number: '6990', name: 'Suspense', parent: '40', isinactive: false, type: 'Expense' },
  { id: '2', number: '1010', name: 'Bank', parent: null, isinactive: false, type: 'Bank' },
];

describe('dimension alignment', () => {
  it('maps a synced list by code, parents before children, honouring null overrides', () => {
    const r = alignDimension(
      'accounts',
      accounts,
      { sync: true, overrides: { '6990': null }, accountTypes: ['Expense'] },
      new Set(),
    );
    assert.deepEqual(
      r.importRows.map((x) => x.code),
      ['6000', '6100'],
    );
    assert.equal(r.importRows[1]!.parent, '6000');
    const m = memberMap(r);
    assert.equal(m.toCode['41'], '6100');
    assert.match(m.unmapped['79']!, /overrides\["6990"\] = null/);
    assert.deepEqual(m.outOfScope, ['2']);
  });

  it('checks a planner-maintained list against Anaplan and reports what is missing', () => {
    const r = alignDimension(
      'departments',
      departments,
      { sync: false, overrides: {} },
      new Set(['DEP-100', 'DEP-101']),
    );
    const m = memberMap(r);
    assert.equal(r.importRows.length, 0, 'nothing is written to a list the connector does not own');
    assert.equal(m.toCode['101'], 'DEP-101');
    assert.match(m.unmapped['108']!, /DEP-108 is not a member/);
  });

  it('quarantines a GL row that references an unmapped member and maps the rest', () => {
    const acc = memberMap(
      alignDimension('accounts', accounts, { sync: true, overrides: {}, accountTypes: ['Expense'] }, new Set()),
    );
    const dep = memberMap(
      alignDimension('departments', departments, { sync: false, overrides: {} }, new Set(['DEP-100', 'DEP-101'])),
    );
    const id = (code: string) => ({ toCode: { '1': code }, fromCode: { [code]: '1' }, unmapped: {}, outOfScope: [] });
    const ctx = {
      maps: {
        accounts: acc,
        departments: dep,
        subsidiaries: id('SUB-1'),
        classes: id('CLS-1'),
        locations: id('LOC-1'),
      },
      unassigned: {},
      periodCode: 'Oct 26',
    };
    const ok = mapGlRow(
      { account_id: '41', subsidiary_id: '1', department_id: '101', class_id: '1', location_id: '1', net: '-12.50' },
      ctx,
    );
    assert.deepEqual(ok, {
      kind: 'row',
      cells: ['6100', 'SUB-1', 'DEP-101', 'CLS-1', 'LOC-1', 'Oct 26', '-12.50'],
      cents: -1250,
    });
    const q = mapGlRow(
      { account_id: '41', subsidiary_id: '1', department_id: '108', class_id: '1', location_id: '1', net: '5' },
      ctx,
    );
    assert.equal(q.kind, 'quarantine');
    assert.equal(q.kind === 'quarantine' && q.dimension, 'departments');
    assert.equal(
      mapGlRow(
        { account_id: '2', subsidiary_id: '1', department_id: '101', class_id: '1', location_id: '1', net: '5' },
        ctx,
      ).kind,
      'out-of-scope',
    );
    const noDept = mapGlRow(
      { account_id: '41', subsidiary_id: '1', department_id: null, class_id: '1', location_id: '1', net: '5' },
      ctx,
    );
    assert.equal(noDept.kind, 'quarantine');
    const withDefault = mapGlRow(
      { account_id: '41', subsidiary_id: '1', department_id: null, class_id: '1', location_id: '1', net: '5' },
      { ...ctx, unassigned: { departments: 'DEP-100' } },
    );
    assert.equal(withDefault.kind === 'row' && withDefault.cells[2], 'DEP-100');
  });
});
