import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  NetSuiteResultLimitError,
  NetSuiteValidationError,
  keysetPredicate,
  suiteqlLiteral,
  type NetSuiteClient,
} from '../../activities/netsuite';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

const LINES = 250_000;
let sb: StartedNetSuiteSandbox;
let client: NetSuiteClient;
let token: string;

before(async () => {
  // Multi-Book: the queries below use the book table and column (§4.2); single-book is in netsuite-books.test.ts.
  sb = await startSandbox({ glLines: LINES, seed: 7, multiBook: true });
  client = clientFor(sb);
  token = await client.tokens.get();
});
after(() => sb.close());

async function raw(
  q: string,
  qs = '',
  headers: Record<string, string> = { prefer: 'transient' },
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.url}/services/rest/query/v1/suiteql${qs}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ q }),
  });
  return { status: res.status, body: await res.json() };
}

test('250,000 accounting lines page past the 100,000 ceiling with keyset paging, none lost or repeated', async () => {
  const Row = z.object({
    transaction: z.string(),
    transactionline: z.string(),
    debit: z.string().optional(),
    credit: z.string().optional(),
  });
  type Key = [number, number];
  const seen = new Set<string>();
  let rows = 0;
  let windows = 0;
  let cents = 0;
  let prev = '';
  for await (const page of client.suiteqlKeyset<z.infer<typeof Row>, Key>({
    schema: Row,
    build: (a) => `SELECT tal.transaction, tal.transactionline, tal.debit, tal.credit FROM transactionaccountingline tal
      WHERE tal.accountingbook = 1 AND ${keysetPredicate(['tal.transaction', 'tal.transactionline'], a)}
      ORDER BY tal.transaction, tal.transactionline`,
    key: (r) => [Number(r.transaction), Number(r.transactionline)],
  })) {
    if (page.offset === 0) windows++;
    for (const r of page.rows) {
      const k = `${r.transaction.padStart(9, '0')}:${r.transactionline.padStart(3, '0')}`;
      assert.ok(k > prev, `rows arrive in order (${prev} then ${k})`);
      prev = k;
      seen.add(k);
      cents += Math.round(Number(r.debit ?? 0) * 100) - Math.round(Number(r.credit ?? 0) * 100);
      rows++;
    }
  }
  assert.equal(rows, LINES);
  assert.equal(seen.size, LINES, 'no row repeated');
  assert.ok(windows >= 3, `keyset windows: ${windows}`);
  assert.equal(cents, 0, 'seeded activity balances');
  const [{ n }] = await sql<{ n: number }>(sb, 'SELECT COUNT(*) AS n FROM transactionaccountingline');
  assert.equal(n, LINES);
});

test('offset paging refuses a result bigger than the ceiling instead of truncating it', async () => {
  const pages = client.suiteql(
    'SELECT transaction, transactionline FROM transactionaccountingline ORDER BY transaction, transactionline',
  );
  await assert.rejects(pages.next(), NetSuiteResultLimitError);
  const direct = await raw('SELECT id FROM transaction ORDER BY id', '?limit=1000&offset=100000');
  assert.equal(direct.status, 400);
  assert.equal(direct.body['o:errorDetails'][0]['o:errorQueryParam'], 'offset');
});

test('offset pages are fetched concurrently and yielded in order', async () => {
  const q = "SELECT id, tranid FROM transaction WHERE type = 'Journal' AND id <= 3000 ORDER BY id";
  const [{ n }] = await sql<{ n: number }>(
    sb,
    'SELECT COUNT(*) AS n FROM "transaction" WHERE type = \'Journal\' AND id <= 3000',
  );
  const fresh = clientFor(sb);
  const ids: number[] = [];
  for await (const page of fresh.suiteql(q, { pageSize: 50 })) {
    assert.equal(page.offset, ids.length);
    ids.push(...page.rows.map((r) => Number(r.id)));
  }
  assert.equal(ids.length, n);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  assert.ok(fresh.limiter.peak >= 2, `pages were fetched concurrently (peak ${fresh.limiter.peak})`);
  assert.ok(fresh.limiter.peak <= 5);
});

test('the response envelope, value rendering and limits follow the documented SuiteQL shape', async () => {
  const res = await raw(
    "SELECT ID, PeriodName, startdate, closedondate, isquarter FROM accountingperiod WHERE isyear = 'F' AND isquarter = 'F' ORDER BY id",
    '?limit=5&offset=5',
  );
  assert.equal(res.status, 200);
  const b = res.body;
  assert.deepEqual(Object.keys(b).sort(), ['count', 'hasMore', 'items', 'links', 'offset', 'totalResults']);
  assert.equal(b.count, 5);
  assert.equal(b.offset, 5);
  assert.equal(b.totalResults, 24);
  assert.equal(b.hasMore, true);
  assert.ok(b.links.some((l: any) => l.rel === 'next' && l.href.endsWith('limit=5&offset=10')));
  const item = b.items[0];
  assert.deepEqual(item.links, []);
  assert.equal(typeof item.id, 'string', 'numbers are strings');
  assert.equal(item.periodname, 'Jun 2025', 'keys are lowercase');
  assert.equal(item.startdate, '6/1/2025', 'dates follow the user date format');
  assert.equal(item.isquarter, 'F');
  const open = await raw("SELECT id, closedondate FROM accountingperiod WHERE periodname = 'Dec 2026'");
  assert.equal('closedondate' in open.body.items[0], false, 'null columns are omitted');

  assert.equal((await raw('SELECT id FROM account', '?limit=1001')).status, 400);
  assert.equal((await raw('SELECT id FROM account', '?limit=10&offset=15')).status, 400);
  const noPrefer = await raw('SELECT id FROM account', '', {});
  assert.equal(noPrefer.status, 400);
});

test('connector SuiteQL constructs run: NVL, BUILTIN.DF, TO_DATE/TO_CHAR, T/F booleans, literals with SQL inside', async () => {
  const rows = await client.suiteqlAll(`
    SELECT t.postingperiod AS period_id, BUILTIN.DF(t.postingperiod) AS period_name, TO_CHAR(ap.startdate, 'YYYY-MM-DD') AS period_start,
           tl.subsidiary AS subsidiary_id, SUM(NVL(tal.debit, 0)) AS debit, SUM(NVL(tal.credit, 0)) AS credit,
           SUM(NVL(tal.debit, 0) - NVL(tal.credit, 0)) AS net
    FROM transactionaccountingline tal
      INNER JOIN transaction t ON t.id = tal.transaction
      INNER JOIN transactionline tl ON tl.transaction = tal.transaction AND tl.id = tal.transactionline
      INNER JOIN accountingbook ab ON ab.id = tal.accountingbook
      INNER JOIN accountingperiod ap ON ap.id = t.postingperiod
    WHERE tal.posting = 'T' AND ab.isprimary = 'T' AND ap.isquarter = 'F' AND ap.isyear = 'F'
      AND ap.startdate >= TO_DATE('2026-01-01', 'YYYY-MM-DD') AND ap.enddate <= TO_DATE('2026-03-31', 'YYYY-MM-DD')
      AND NVL(t.memo, 'x') <> ${suiteqlLiteral("it's -- not; a [comment] NVL( BUILTIN.DF(")}
    GROUP BY t.postingperiod, BUILTIN.DF(t.postingperiod), ap.startdate, tl.subsidiary
    ORDER BY t.postingperiod, tl.subsidiary`);
  assert.equal(rows.length, 9, '3 months × 3 posting subsidiaries');
  assert.deepEqual([...new Set(rows.map((r) => r.period_name))], ['Jan 2026', 'Feb 2026', 'Mar 2026']);
  assert.equal(rows[0]!.period_start, '2026-01-01');
  const [expected] = await sql<{ net: number }>(
    sb,
    `SELECT SUM(IFNULL(tal.debit,0) - IFNULL(tal.credit,0)) AS net FROM transactionaccountingline tal
    JOIN "transaction" t ON t.id = tal."transaction" WHERE tal.posting = 'T' AND t.postingperiod = ${rows[0]!.period_id}
    AND tal."transaction" IN (SELECT "transaction" FROM transactionline WHERE subsidiary = ${rows[0]!.subsidiary_id})`,
  );
  assert.equal(Number(rows[0]!.net).toFixed(2), expected!.net.toFixed(2));
  for (const r of rows) assert.match(r.debit!, /^\d+(\.\d{1,2})?$/, 'sums render as exact decimals');

  await assert.rejects(
    client.suiteqlAll('DELETE FROM account'),
    (e: unknown) => e instanceof NetSuiteValidationError && e.code === 'USER_ERROR',
  );
  await assert.rejects(client.suiteqlAll('SELECT id FROM sandbox_journal'), /was not found/);
  await assert.rejects(client.suiteqlAll('SELECT nosuchcolumn FROM account'), /Unknown identifier/);
  const accounts = await client.suiteqlAll(
    "SELECT id, BUILTIN.DF(parent) AS parent_name FROM account WHERE acctnumber = '6100'",
  );
  assert.equal(accounts[0]!.parent_name, '6000 Operating Expenses');
  const stats = await control(sb, 'GET', 'stats');
  assert.ok(stats.requests['POST /services/rest/query/v1/suiteql']['200'] > 250);
});

test('literals and keyset predicates are built safely', () => {
  assert.equal(suiteqlLiteral("O'Brien"), "'O''Brien'");
  assert.equal(suiteqlLiteral(true), "'T'");
  assert.equal(suiteqlLiteral(new Date('2026-11-30T23:00:00Z')), "TO_DATE('2026-11-30', 'YYYY-MM-DD')");
  assert.throws(() => suiteqlLiteral(Number.NaN), RangeError);
  assert.equal(keysetPredicate(['a', 'b'], undefined), '1 = 1');
  assert.equal(keysetPredicate(['t.a', 'b'], [1, "x'"]), "((t.a > 1) OR (t.a = 1 AND b > 'x'''))");
  assert.throws(() => keysetPredicate(['a; DROP'], [1]), RangeError);
});
