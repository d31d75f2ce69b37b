/**
 * `actuals.tieOut` (issue 16 item 3): `warn` unless set, `block` accepted, anything else refused with
 * the setting's path named; and the per-account tie-out query only ever carries validated IDs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../common/config';
import { glTotalsByAccountSql } from '../../activities/cycle/queries';

const base = {
  name: 'tie-out',
  netsuite: { accountId: '1234567_SB1', credentials: 'tie-out-netsuite' },
  anaplan: { workspaceId: 'a'.repeat(32), modelId: 'B'.repeat(32), credentials: 'tie-out-anaplan' },
  actions: { importActuals: 'Import GL Actuals', exportPlan: 'Export Approved Plan' },
  dimensions: {
    accounts: { list: 'Accounts', sync: false },
    subsidiaries: { list: 'Subsidiaries', sync: false },
    departments: { list: 'Departments', sync: false },
    classes: { list: 'Classes', sync: false },
    locations: { list: 'Locations', sync: false },
  },
  journals: { offsetAccount: '2900' },
};

test('actuals.tieOut defaults to warn (as before the gate) and takes block', () => {
  assert.equal(parseConfig(base).actuals.tieOut, 'warn');
  assert.equal(parseConfig({ ...base, actuals: {} }).actuals.tieOut, 'warn');
  assert.equal(parseConfig({ ...base, actuals: { tieOut: 'block' } }).actuals.tieOut, 'block');
});

test('an unknown actuals.tieOut value or key is refused, naming the setting', () => {
  assert.throws(
    () => parseConfig({ ...base, actuals: { tieOut: 'stop' } }),
    (e: unknown) => e instanceof ConfigError && /actuals\.tieOut/.test(e.message),
  );
  assert.throws(
    () => parseConfig({ ...base, actuals: { tieout: 'block' } }),
    (e: unknown) => e instanceof ConfigError && /actuals/.test(e.message),
  );
});

test('the per-account tie-out query groups by account and refuses a non-numeric account ID', () => {
  assert.match(
    glTotalsByAccountSql('32', ['21', '22'], 'single-book'),
    /tal\.account IN \(21, 22\)\nGROUP BY tal\.account/,
  );
  assert.throws(
    () => glTotalsByAccountSql('32', ['21', '22) OR (1=1'], 'single-book'),
    /account id must be a NetSuite internal ID/,
  );
});
