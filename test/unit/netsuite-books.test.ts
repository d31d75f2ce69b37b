/**
 * Single-book and Multi-Book accounts (docs/netsuite.md §12): the default sandbox company has no
 * `accountingbook`, and SuiteQL naming it gets the 400 an unknown record or field gets; the
 * `multiBook` seed keeps the book table and a secondary book. The connector detects which one it
 * talks to once per connection and builds its GL queries so both tie out.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetSuiteValidationError, type NetSuiteClient } from '../../activities/netsuite';
import { netsuitePort } from '../../activities/cycle/netsuite-port';
import type { NetSuitePort } from '../../activities/cycle/ports';
import { AccountingBookSettingError, bookSupport, glBookScope } from '../../activities/cycle/books';
import { accountsWithActivitySql, glActivitySql, glTotalSql, type BookScope } from '../../activities/cycle/queries';
import { parseConfig } from '../../common/config';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

const PERIOD = 32; // Oct 2026 in the seeded calendar (checked below)

function configWith(netsuite: Record<string, unknown> = {}, journals: Record<string, unknown> = {}) {
  return parseConfig({
    name: 'books',
    netsuite: { accountId: '1234567_SB1', credentials: 'books-netsuite', ...netsuite },
    anaplan: { workspaceId: 'a'.repeat(32), modelId: 'B'.repeat(32), credentials: 'books-anaplan' },
    actions: { importActuals: 'Import GL Actuals', exportPlan: 'Export Approved Plan' },
    dimensions: {
      accounts: { list: 'Accounts', sync: false },
      subsidiaries: { list: 'Subsidiaries', sync: false },
      departments: { list: 'Departments', sync: false },
      classes: { list: 'Classes', sync: false },
      locations: { list: 'Locations', sync: false },
    },
    journals: { offsetAccount: '2900', ...journals },
  });
}

/** Sum of the GL queries' net over every account with activity, in cents, as the connector runs them. */
async function glNetCents(
  port: NetSuitePort,
  book: BookScope,
  periodId: string,
): Promise<{ perAccount: number; total: number; accounts: number }> {
  const accounts: string[] = [];
  for await (const page of port.query(accountsWithActivitySql(periodId, book)))
    for (const r of page) accounts.push(String(r.account_id));
  let perAccount = 0;
  for (const a of accounts)
    for await (const page of port.query(glActivitySql(periodId, a, book)))
      for (const r of page) perAccount += Math.round(Number(r.net) * 100);
  let total = 0;
  for await (const page of port.query(glTotalSql(periodId, accounts, book)))
    total += Math.round(Number(page[0]?.net ?? 0) * 100);
  return { perAccount, total, accounts: accounts.length };
}

describe('a single-book account (the default seed)', () => {
  let sb: StartedNetSuiteSandbox;
  let client: NetSuiteClient;
  before(async () => {
    sb = await startSandbox({ glLines: 3_000 });
    client = clientFor(sb);
  });
  after(() => sb.close());

  test('SuiteQL naming accountingbook, as a record or as a field, gets the 400 of an unknown name', async () => {
    const refused = async (q: string, pattern: RegExp) =>
      assert.rejects(
        client.suiteqlAll(q),
        (e: unknown) =>
          e instanceof NetSuiteValidationError &&
          e.status === 400 &&
          e.code === 'USER_ERROR' &&
          pattern.test(e.message),
        q,
      );
    await refused("SELECT id FROM accountingbook WHERE isprimary = 'T'", /Record 'accountingbook' was not found/);
    await refused(
      'SELECT tal.account FROM transactionaccountingline tal WHERE tal.accountingbook = 1',
      /Unknown identifier 'tal\.accountingbook'/,
    );
    await refused(
      'SELECT BUILTIN.DF(accountingbook) FROM transactionaccountingline',
      /Unknown identifier 'accountingbook'/,
    );
    // A literal that merely contains the word is not a reference.
    assert.equal(
      (await client.suiteqlAll("SELECT COUNT(*) AS n FROM account WHERE acctnumber = 'accountingbook'"))[0]!.n,
      '0',
    );
    // SELECT * does not reveal the internal column either.
    const [row] = await client.suiteqlAll('SELECT * FROM transactionaccountingline FETCH FIRST 1 ROWS ONLY');
    assert.ok(row && !('accountingbook' in row) && 'account' in row, JSON.stringify(row));
    assert.equal((await control(sb, 'GET', 'config')).multiBook, false);
  });

  test('the connector detects it once per connection and its GL queries tie out without a book filter', async () => {
    const port = netsuitePort(client);
    const before = (await control(sb, 'GET', 'stats')).requests['POST /services/rest/query/v1/suiteql']?.['400'] ?? 0;
    const support = await bookSupport(port);
    assert.deepEqual(support, { multiBook: false, source: 'probe' });
    await bookSupport(port);
    await bookSupport(port);
    const after = (await control(sb, 'GET', 'stats')).requests['POST /services/rest/query/v1/suiteql']['400'];
    assert.equal(after - before, 1, 'one probe per connection, cached');

    const scope = glBookScope(support, configWith());
    assert.equal(scope, 'single-book');
    const [{ id }] = await sql<{ id: number }>(sb, "SELECT id FROM accountingperiod WHERE periodname = 'Oct 2026'");
    assert.equal(id, PERIOD);
    const got = await glNetCents(port, scope, String(id));
    const [{ net }] = await sql<{ net: number }>(
      sb,
      `SELECT ROUND(SUM(IFNULL(tal.debit,0) - IFNULL(tal.credit,0)) * 100) AS net FROM transactionaccountingline tal
      JOIN "transaction" t ON t.id = tal."transaction" WHERE tal.posting = 'T' AND t.postingperiod = ${id}`,
    );
    assert.ok(got.accounts > 10);
    assert.equal(got.perAccount, net);
    assert.equal(got.total, net);
    // The queries of a Multi-Book account are exactly what this account refuses.
    await assert.rejects(glNetCents(port, 'primary', String(id)), /accountingbook/);
  });

  test('a configured accounting book is refused, naming the setting', () => {
    const single = { multiBook: false, source: 'probe' } as const;
    assert.throws(
      () => glBookScope(single, configWith({ accountingBook: 2 })),
      (e: unknown) =>
        e instanceof AccountingBookSettingError &&
        /netsuite\.accountingBook \(2\)/.test(e.message) &&
        /no Multi-Book/.test(e.message),
    );
    assert.throws(
      () => glBookScope(single, configWith({}, { accountingBook: 2 })),
      /journals\.accountingBook \(2\) cannot be used/,
    );
    assert.throws(
      () => glBookScope({ multiBook: false, source: 'config' }, configWith({ multiBook: 'off', accountingBook: 3 })),
      /netsuite\.multiBook: off/,
    );
  });

  test('netsuite.multiBook on/off is taken as given, without a probe', async () => {
    const port = netsuitePort(client);
    const before = (await control(sb, 'GET', 'stats')).requests['POST /services/rest/query/v1/suiteql'] ?? {};
    assert.ok(
      Object.keys(before).length > 0,
      'the earlier probes were counted under this route (else the comparison below could not fail)',
    );
    assert.deepEqual(await bookSupport(port, 'off'), { multiBook: false, source: 'config' });
    assert.deepEqual(await bookSupport(port, 'on'), { multiBook: true, source: 'config' });
    assert.deepEqual(
      (await control(sb, 'GET', 'stats')).requests['POST /services/rest/query/v1/suiteql'] ?? {},
      before,
    );
    assert.equal(configWith().netsuite.multiBook, 'auto', 'auto by default');
  });
});

describe('a Multi-Book account (the --multibook seed)', () => {
  let sb: StartedNetSuiteSandbox;
  let client: NetSuiteClient;
  before(async () => {
    sb = await startSandbox({ glLines: 3_000, multiBook: true });
    client = clientFor(sb);
  });
  after(() => sb.close());

  test('has the primary and the secondary Plan Book, and the connector filters on the primary book', async () => {
    const books = await client.suiteqlAll('SELECT id, name, isprimary FROM accountingbook ORDER BY id');
    assert.deepEqual(
      books.map((b) => [b.id, b.name, b.isprimary]),
      [
        ['1', 'Primary Book', 'T'],
        ['2', 'Plan Book', 'F'],
      ],
    );
    const port = netsuitePort(client);
    const support = await bookSupport(port);
    assert.deepEqual(support, { multiBook: true, primaryBookId: 1, source: 'probe' });
    assert.equal(glBookScope(support, configWith()), 1);
    assert.equal(glBookScope(support, configWith({ accountingBook: 2 })), 2, 'a configured book wins');

    // A secondary-book copy of every posted October line: only the primary book's lines may count.
    const id = String(PERIOD);
    const primaryOnly = await glNetCents(port, 1, id);
    sb.state.db
      .exec(`INSERT INTO transactionaccountingline ("transaction", transactionline, accountingbook, account, amount, debit, credit, netamount, posting)
      SELECT tal."transaction", tal.transactionline, 2, tal.account, tal.amount * 3, tal.debit * 3, tal.credit * 3, tal.netamount * 3, tal.posting
      FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction" WHERE t.postingperiod = ${id} AND tal.account IN (SELECT MIN(account) FROM transactionaccountingline)`);
    sb.state.touch();
    const [{ net }] = await sql<{ net: number }>(
      sb,
      `SELECT ROUND(SUM(IFNULL(tal.debit,0) - IFNULL(tal.credit,0)) * 100) AS net FROM transactionaccountingline tal
      JOIN "transaction" t ON t.id = tal."transaction" WHERE tal.posting = 'T' AND t.postingperiod = ${id} AND tal.accountingbook = 1`,
    );
    for (const scope of [1, 'primary'] as const) {
      const got = await glNetCents(port, scope, id);
      assert.equal(got.perAccount, net);
      assert.equal(got.total, net);
      assert.deepEqual(got, primaryOnly);
    }
    const [{ n }] = await sql<{ n: number }>(
      sb,
      'SELECT COUNT(*) AS n FROM transactionaccountingline WHERE accountingbook = 2',
    );
    assert.ok(n > 0, 'the secondary book has lines the connector left out');
  });
});
