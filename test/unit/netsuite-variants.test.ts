/**
 * Real-tenant variants of NetSuite behaviours the reference marks UNCONFIRMED (sandbox/FIDELITY.md
 * N2, N3, N6, N10, N17, N21, N25): each sandbox switch plays the other plausible behaviour, and the
 * connector's path is run against it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalSettingConflict,
  NetSuiteAuthError,
  NetSuiteValidationError,
  readJournalApprovalMode,
  type NetSuiteClient,
} from '../../activities/netsuite';
import { netsuitePort } from '../../activities/cycle/netsuite-port';
import { accountRows } from '../../activities/cycle/align';
import { bookSupport, glBookScope } from '../../activities/cycle/books';
import { accountsWithActivitySql, glTotalSql } from '../../activities/cycle/queries';
import { toCents } from '../../activities/mapping/amounts';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { TOKEN_ERROR_SHAPES } from '../../sandbox/netsuite/auth';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

const SUITEQL = 'POST /services/rest/query/v1/suiteql';
const TOKEN = 'POST /services/rest/auth/oauth2/v1/token';
const refusedSuiteQl = async (sb: StartedNetSuiteSandbox) =>
  (await control(sb, 'GET', 'stats')).requests[SUITEQL]?.['400'] ?? 0;

describe('an account whose SuiteQL has no account.issummary (N25)', () => {
  let sb: StartedNetSuiteSandbox;
  let client: NetSuiteClient;
  before(async () => {
    sb = await startSandbox({ variants: { hiddenFields: ['account.issummary'] } });
    client = clientFor(sb);
  });
  after(() => sb.close());

  test('SuiteQL naming the field gets the 400 of an unknown identifier; SELECT * does not show it', async () => {
    for (const [q, name] of [
      ['SELECT id, issummary FROM account', 'issummary'],
      ["SELECT a.id FROM account a WHERE a.issummary = 'F'", 'a.issummary'],
    ] as const) {
      await assert.rejects(
        client.suiteqlAll(q),
        (e: unknown) =>
          e instanceof NetSuiteValidationError &&
          e.status === 400 &&
          e.message.includes(`Unknown identifier '${name}'`),
        q,
      );
    }
    const [row] = await client.suiteqlAll('SELECT * FROM account FETCH FIRST 1 ROWS ONLY');
    assert.ok(row && 'acctnumber' in row && !('issummary' in row), JSON.stringify(row));
    // Another table's column of the same name is not affected, nor an output alias.
    assert.equal(
      (await client.suiteqlAll("SELECT 'T' AS issummary FROM subsidiary FETCH FIRST 1 ROWS ONLY"))[0]!.issummary,
      'T',
    );
  });

  test('the connector reads the chart of accounts without it, asking once per connection', async () => {
    const port = netsuitePort(client);
    const before = await refusedSuiteQl(sb);
    const read = async () => {
      const rows = [];
      for await (const page of accountRows(port)) rows.push(...page);
      return rows;
    };
    const first = await read();
    const second = await read();
    const [{ n }] = await sql<{ n: number }>(sb, 'SELECT COUNT(*) AS n FROM account');
    assert.equal(first.length, n);
    assert.deepEqual(second, first);
    assert.ok(first.every((r) => r.issummary === undefined && r.acctnumber));
    assert.equal((await refusedSuiteQl(sb)) - before, 1, 'one refused query per connection, then the plain read');
  });
});

describe('SuiteQL values as JSON numbers with explicit nulls (N6)', () => {
  let sb: StartedNetSuiteSandbox;
  before(async () => {
    sb = await startSandbox({ glLines: 1_500 });
  });
  after(() => sb.close());

  test("the wire carries numbers and nulls, and the connector's totals still tie to the cent", async () => {
    await control(sb, 'POST', 'config', { jsonValues: true });
    const client = clientFor(sb);
    const token = await client.tokens.token();
    const raw = (await (
      await fetch(`${sb.url}/services/rest/query/v1/suiteql?limit=5`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, prefer: 'transient', 'content-type': 'application/json' },
        body: JSON.stringify({ q: 'SELECT id, parent, acctnumber FROM account WHERE parent IS NULL ORDER BY id' }),
      })
    ).json()) as { items: Array<Record<string, unknown>> };
    assert.equal(typeof raw.items[0]!.id, 'number', JSON.stringify(raw.items[0]));
    assert.ok('parent' in raw.items[0]! && raw.items[0]!.parent === null, 'null column present as null');
    assert.equal(typeof raw.items[0]!.acctnumber, 'string', 'text stays text');

    const port = netsuitePort(client);
    const [{ id }] = await sql<{ id: number }>(sb, "SELECT id FROM accountingperiod WHERE periodname = 'Oct 2026'");
    const accounts: string[] = [];
    for await (const page of port.query(accountsWithActivitySql(String(id), 'single-book')))
      for (const r of page) accounts.push(String(r.account_id));
    assert.ok(accounts.length > 5 && accounts.every((a) => /^\d+$/.test(a)), accounts.join());
    let cents = 0;
    for await (const page of port.query(glTotalSql(String(id), accounts, 'single-book')))
      cents += toCents(page[0]!.net!);
    const [{ net }] = await sql<{ net: number }>(
      sb,
      `SELECT ROUND(SUM(IFNULL(tal.debit,0) - IFNULL(tal.credit,0)) * 100) AS net FROM transactionaccountingline tal
      JOIN "transaction" t ON t.id = tal."transaction" WHERE tal.posting = 'T' AND t.postingperiod = ${id}`,
    );
    assert.equal(cents, net);
    assert.equal((await control(sb, 'POST', 'config', { jsonValues: false })).jsonValues, false);
  });
});

describe('a single-book account that refuses only the accountingbook record, not the column (N10)', () => {
  let sb: StartedNetSuiteSandbox;
  before(async () => {
    sb = await startSandbox({ glLines: 1_000, variants: { singleBookRefuses: 'table' } });
  });
  after(() => sb.close());

  test('the probe still finds a single-book account and the GL queries name no book', async () => {
    const client = clientFor(sb);
    assert.equal(
      (
        await client.suiteqlAll('SELECT tal.accountingbook FROM transactionaccountingline tal FETCH FIRST 1 ROWS ONLY')
      )[0]!.accountingbook,
      '1',
      'the column is there',
    );
    await assert.rejects(
      client.suiteqlAll("SELECT id FROM accountingbook WHERE isprimary = 'T'"),
      /Record 'accountingbook' was not found/,
    );
    const support = await bookSupport(netsuitePort(client));
    assert.deepEqual(support, { multiBook: false, source: 'probe' });
    assert.equal(
      glBookScope(support, { name: 'x', netsuite: { accountId: sb.accountId }, journals: {} } as never),
      'single-book',
    );
  });
});

describe('token endpoint variants (N2, N3)', () => {
  let sb: StartedNetSuiteSandbox;
  before(async () => {
    sb = await startSandbox({ expiresIn: 'number' });
  });
  after(() => sb.close());

  test('expires_in as a JSON number is honoured: the client re-mints before that lifetime ends', async () => {
    // A 2 s token: re-minted from 1.8 s on. Were the number ignored (3600 s assumed), the same token
    // would be sent again after 1.9 s.
    await control(sb, 'POST', 'config', { tokenLifetimeSec: 2 });
    const client = clientFor(sb);
    const issued = async () => (await control(sb, 'GET', 'stats')).tokensIssued as number;
    const start = await issued();
    await client.suiteqlAll('SELECT id FROM subsidiary');
    assert.equal((await issued()) - start, 1);
    await new Promise((r) => setTimeout(r, 1_900));
    await client.suiteqlAll('SELECT id FROM subsidiary');
    assert.equal((await issued()) - start, 2, 'a new token before the old one ran out');
    assert.equal((await control(sb, 'POST', 'config', { tokenLifetimeSec: 3600 })).expiresIn, 'number');
  });

  for (const shape of TOKEN_ERROR_SHAPES) {
    test(`a refused assertion answered as '${shape}' is a credentials error naming the certificate, asked once`, async () => {
      await control(sb, 'POST', 'config', { tokenErrorShape: shape });
      await control(sb, 'POST', 'stats/reset');
      const client = clientFor(sb, { credentials: { ...sb.demoClient, certificateId: 'not-uploaded-cert' } });
      await assert.rejects(client.suiteqlAll('SELECT id FROM subsidiary'), (e: unknown) => {
        assert.ok(e instanceof NetSuiteAuthError, `${shape}: ${String(e)}`);
        assert.equal(e.retryable, false);
        assert.match(e.message, /certificate not-uploaded-cert/);
        assert.match(e.message, /Login Audit Trail/);
        return true;
      });
      const tokenRequests = Object.values((await control(sb, 'GET', 'stats')).requests[TOKEN] ?? {}).reduce(
        (a: number, b) => a + Number(b),
        0,
      );
      assert.equal(tokenRequests, 1, 'no retry storm against the token endpoint');
      assert.equal((await control(sb, 'GET', 'login-audit')).at(-1).detail, 'InvalidCertificateId: not-uploaded-cert');
    });
  }
});

describe('upsert answered 201 Created instead of 204 (N17)', () => {
  let sb: StartedNetSuiteSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());

  test('the connector takes the record ID from Location and writes the journal once', async () => {
    await control(sb, 'POST', 'journal-switches', { upsertCreated201: true });
    const client = clientFor(sb);
    const port = netsuitePort(client);
    const [a, b] = await sql<{ id: number }>(
      sb,
      "SELECT id FROM account WHERE issummary = 'F' AND isinactive = 'F' AND accttype = 'Expense' ORDER BY id LIMIT 2",
    );
    const body = (amount: number) => ({
      subsidiary: { id: '2' },
      tranDate: '2026-11-15',
      memo: 'variant 201',
      line: {
        items: [
          { account: { id: String(a!.id) }, debit: amount },
          { account: { id: String(b!.id) }, credit: amount },
        ],
      },
    });
    const created = await port.upsertJournal('variant-201-a', body(10));
    const [row] = await sql<{ id: number }>(sb, 'SELECT id FROM "transaction" WHERE externalid = \'variant-201-a\'');
    assert.equal(created.internalId, String(row!.id));
    const stats = (await control(sb, 'GET', 'stats')).requests;
    assert.equal(stats['PUT /services/rest/record/v1/journalentry/{eid}']?.['201'], 1, JSON.stringify(stats));
    const updated = await port.upsertJournal('variant-201-a', body(12), { exists: true });
    assert.equal(updated.internalId, created.internalId);
    const [{ n }] = await sql<{ n: number }>(
      sb,
      'SELECT COUNT(*) AS n FROM "transaction" WHERE externalid = \'variant-201-a\'',
    );
    assert.equal(n, 1);
  });
});

describe('journal approval mode from the REST metadata catalog (issue 12 item 4)', () => {
  let sb: StartedNetSuiteSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());
  const config = (approvalRouting: boolean) => ({
    name: 'demo',
    netsuite: { accountId: sb.accountId },
    journals: { approvalRouting },
  });

  test("the journal schema shows the approval field of the account's mode, and a contradicting setting is named", async () => {
    const client = clientFor(sb);
    const checkbox = await readJournalApprovalMode(client);
    assert.equal(checkbox.mode, 'checkbox', checkbox.detail);
    assert.equal(approvalSettingConflict(checkbox, config(false)), undefined);
    assert.match(
      approvalSettingConflict(checkbox, config(true)) ?? '',
      /has no journal approval routing .*journals\.approvalRouting is true: set journals\.approvalRouting: false/,
    );

    await control(sb, 'POST', 'journal-switches', { approvalRouting: true });
    const routing = await readJournalApprovalMode(client);
    assert.equal(routing.mode, 'routing', routing.detail);
    assert.equal(approvalSettingConflict(routing, config(true)), undefined);
    assert.match(
      approvalSettingConflict(routing, config(false)) ?? '',
      /routes journal approval through SuiteFlow .*set journals\.approvalRouting: true/,
    );
    await control(sb, 'POST', 'journal-switches', { approvalRouting: false });
  });

  test('a catalog the role may not read says nothing: no mode, no conflict, the reason kept', async () => {
    await control(sb, 'POST', 'faults', {
      match: { method: 'GET', path: '/services/rest/record/v1/metadata-catalog/journalentry' },
      status: 403,
      count: 1,
    });
    const reading = await readJournalApprovalMode(clientFor(sb));
    assert.equal(reading.mode, undefined);
    assert.match(reading.detail, /metadata catalog could not be read .*403/);
    assert.equal(approvalSettingConflict(reading, config(true)), undefined);
    assert.equal(approvalSettingConflict(reading, config(false)), undefined);
  });
});
