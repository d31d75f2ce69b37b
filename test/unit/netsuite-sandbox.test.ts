import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetSuiteState } from '../../sandbox/netsuite/state';
import { SuiteQLSyntaxError, translateSuiteQL } from '../../sandbox/netsuite/sql-translate';
import { toChar, toDate } from '../../sandbox/netsuite/oracle-functions';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

const digest = (st: NetSuiteState) =>
  st.db
    .prepare(
      `SELECT COUNT(*) AS n, SUM(debit) AS d, SUM(credit) AS c, SUM(account * transactionline) AS k,
    (SELECT SUM(postingperiod * id) FROM "transaction") AS p FROM transactionaccountingline`,
    )
    .get();

test('the seeded company is deterministic by seed and has exactly glLines accounting lines', () => {
  const a = new NetSuiteState({ seed: 3, glLines: 5_001 });
  const b = new NetSuiteState({ seed: 3, glLines: 5_001 });
  const c = new NetSuiteState({ seed: 4, glLines: 5_001 });
  try {
    assert.deepEqual(digest(a), digest(b));
    assert.notDeepEqual(digest(a), digest(c));
    assert.equal((digest(a) as { n: number }).n, 5_001);
    const unbalanced = a.db
      .prepare(
        `SELECT "transaction" FROM transactionaccountingline GROUP BY "transaction"
      HAVING ROUND(SUM(IFNULL(debit, 0)) - SUM(IFNULL(credit, 0)), 2) <> 0`,
      )
      .all();
    assert.deepEqual(unbalanced, [], 'every seeded transaction balances');
    const periods = a.suiteqlPage(
      "SELECT COUNT(*) AS n FROM accountingperiod WHERE closed = 'T' AND isposting = 'T'",
      10,
      0,
    );
    assert.equal(periods.rows[0]!.n, '22', 'Jan 2025 – Oct 2026 closed');
  } finally {
    a.close();
    b.close();
    c.close();
  }
});

test('SuiteQL translation leaves string literals alone and refuses what SuiteQL refuses', () => {
  const t = translateSuiteQL(
    "SELECT NVL(memo, 'NVL(x) BUILTIN.DF(y); [z] ''q''') AS m FROM transaction WHERE memo <> '--' ORDER BY id",
  );
  assert.match(t.sql, /IFNULL\(memo, 'NVL\(x\) BUILTIN\.DF\(y\); \[z\] ''q'''\)/);
  assert.match(t.sql, /FROM "transaction" WHERE memo <> '--' ORDER BY id NULLS LAST$/);
  const df = translateSuiteQL('SELECT BUILTIN.DF(tl.department) FROM transactionline tl');
  assert.match(df.sql, /\(SELECT ns_df\.fullname FROM department ns_df WHERE ns_df\.id = tl\.department\)/);
  // A bare reference column in a table whose name is an SQLite keyword is qualified and quoted.
  assert.match(
    translateSuiteQL('SELECT BUILTIN.DF(currency) FROM transaction').sql,
    /WHERE ns_df\.id = "transaction"\.currency\)/,
  );
  for (const bad of [
    'UPDATE account SET name = 1',
    'WITH a AS (SELECT 1) SELECT * FROM a',
    'SELECT [id] FROM account',
    'SELECT id FROM account; SELECT 1',
    'SELECT id FROM account WHERE id = ?',
    'SELECT id FROM sqlite_master',
    'SELECT ROWNUM FROM account',
    "SELECT 'open FROM account",
  ]) {
    assert.throws(() => translateSuiteQL(bad), SuiteQLSyntaxError, bad);
  }
});

test('Oracle date masks and NULL ordering behave as in SuiteQL', () => {
  assert.equal(toDate('31.01.2026', 'DD.MM.YYYY', 'M/D/YYYY'), '2026-01-31');
  assert.equal(toDate('1/31/2026', undefined, 'M/D/YYYY'), '2026-01-31');
  assert.equal(toDate('15-Mar-2026 14:05', 'DD-Mon-YYYY HH24:MI', 'M/D/YYYY'), '2026-03-15 14:05:00');
  assert.throws(() => toDate('2026-02-30', 'YYYY-MM-DD', 'M/D/YYYY'));
  assert.equal(toChar('2026-03-05', 'YYYY-MM', 'M/D/YYYY'), '2026-03');
  assert.equal(toChar('2026-03-05', 'Mon YYYY', 'M/D/YYYY'), 'Mar 2026');
  const st = new NetSuiteState({ seed: 1, glLines: 0 });
  try {
    const asc = st.suiteqlPage('SELECT id, parent FROM department ORDER BY parent, id', 100, 0).rows;
    assert.equal(asc[asc.length - 1]!.parent, undefined, 'NULL parent sorts last ascending');
    const desc = st.suiteqlPage('SELECT id, parent FROM department ORDER BY parent DESC, id', 100, 0).rows;
    assert.equal(desc[0]!.parent, undefined, 'and first descending');
    const run = st.suiteqlPage(
      'SELECT id, SUM(id) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run FROM account ORDER BY id FETCH FIRST 3 ROWS ONLY',
      10,
      0,
    ).rows;
    assert.deepEqual(
      run.map((r) => r.run),
      ['1', '3', '6'],
      'SUM works as a window function',
    );
    assert.equal(Object.keys(st.suiteqlPage('SELECT COUNT(*) FROM account', 1, 0).rows[0]!)[0], 'count(*)');
  } finally {
    st.close();
  }
});

test('reset restores the seeded company and keeps the demo client usable', async () => {
  const sb = await startSandbox();
  try {
    const client = clientFor(sb);
    await client.upsertJournal('reset-me', {
      subsidiary: '4',
      tranDate: '2026-11-10',
      lines: [
        { account: '41', debit: 1 },
        { account: '90', credit: 1 },
      ],
    });
    assert.equal((await control<unknown[]>(sb, 'GET', 'journals')).length, 1);
    await control(sb, 'POST', 'reset');
    assert.equal((await control<unknown[]>(sb, 'GET', 'journals')).length, 0);
    assert.deepEqual(await sql(sb, 'SELECT id FROM "transaction" WHERE externalid = \'reset-me\''), []);
    const fresh = clientFor(sb);
    assert.equal((await fresh.governanceLimits()).accountConcurrencyLimit, 5);
    await assert.rejects(control(sb, 'POST', 'sql', { sql: 'DELETE FROM account' }), /read-only/);
  } finally {
    await sb.close();
  }
});

test('the REST routes (kit router): auth first, 405 for a known path under another method, 404 for sub-resources and unknown paths', async () => {
  const sb = await startSandbox();
  try {
    const token = await clientFor(sb).tokens.token();
    const call = async (method: string, path: string, auth = true) => {
      const res = await fetch(`${sb.url}${path}`, {
        method,
        headers: auth ? { authorization: `Bearer ${token}` } : {},
      });
      const body = (await res.json().catch(() => undefined)) as
        | { 'o:errorDetails'?: Array<{ 'o:errorCode'?: string }> }
        | undefined;
      return `${res.status} ${body?.['o:errorDetails']?.[0]?.['o:errorCode'] ?? ''}`.trim();
    };
    assert.equal(await call('GET', '/services/rest/query/v1/suiteql'), '405 METHOD_NOT_ALLOWED');
    assert.equal(await call('GET', '/services/rest/auth/oauth2/v1/token', false), '405 METHOD_NOT_ALLOWED');
    assert.equal(await call('GET', '/services/rest/no/such/thing', false), '401 INVALID_LOGIN', 'auth before routing');
    assert.equal(await call('GET', '/services/rest/no/such/thing'), '404 NONEXISTENT_URL');
    assert.equal(
      await call('GET', '/services/rest/record/v1/journalEntry/eid:none'),
      '404 NONEXISTENT_ID',
      'type names are case-insensitive',
    );
    assert.equal(await call('GET', '/services/rest/record/v1/journalentry/1/line'), '404 NONEXISTENT_URL');
    assert.equal(await call('GET', '/services/rest/record/v1/customer/1'), '404 NONEXISTENT_URL');
    assert.equal(await call('GET', '/services/rest/system/v1/governanceLimits'), '200');
    assert.equal(await call('POST', '/services/rest/system/v1/governanceLimits'), '405 METHOD_NOT_ALLOWED');
  } finally {
    await sb.close();
  }
});
