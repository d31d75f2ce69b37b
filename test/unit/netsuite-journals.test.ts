import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetSuiteValidationError, type JournalEntryInput, type NetSuiteClient } from '../../activities/netsuite';
import { PLAN_OFFSET_ACCOUNT_ID } from '../../sandbox/demo-company';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

let sb: StartedNetSuiteSandbox;
let client: NetSuiteClient;

before(async () => {
  sb = await startSandbox();
  client = clientFor(sb);
});
after(() => sb.close());

const journal = (amount: number, extra: Partial<JournalEntryInput> = {}): JournalEntryInput => ({
  subsidiary: '2',
  tranDate: '2026-11-30',
  memo: `plan ${amount}`,
  lines: [
    { account: '41', debit: amount, department: '101', class: '201', location: '301' },
    { account: '46', debit: 10, department: '103' },
    { account: String(PLAN_OFFSET_ACCOUNT_ID), credit: amount + 10 },
  ],
  ...extra,
});

function rejection(code: string, path: string) {
  return (err: unknown) => {
    assert.ok(err instanceof NetSuiteValidationError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.code, code);
    assert.equal(err.errorPath, path);
    return true;
  };
}

test('a journal upserted twice by the same externalId exists once, with the second content', async () => {
  const first = await client.upsertJournal('plan-ms1-fy26-202611-s2-p1', journal(1000));
  const second = await client.upsertJournal('plan-ms1-fy26-202611-s2-p1', {
    ...journal(250.55),
    lines: [
      { account: '41', debit: 250.55 },
      { account: '90', credit: 250.55 },
    ],
  });
  assert.equal(first.id, second.id);

  const rec = await client.getJournalByExternalId('plan-ms1-fy26-202611-s2-p1');
  assert.ok(rec);
  assert.equal(rec.id, first.id);
  assert.equal(rec.memo, 'plan 250.55');
  assert.equal(rec.postingPeriod?.refName, 'Nov 2026');
  assert.deepEqual(
    rec.line?.items?.map((l) => [l.account.id, l.debit ?? 0, l.credit ?? 0]),
    [
      ['41', 250.55, 0],
      ['90', 0, 250.55],
    ],
  );

  const rows = await sql<{ n: number }>(
    sb,
    'SELECT COUNT(*) AS n FROM "transaction" WHERE externalid = \'plan-ms1-fy26-202611-s2-p1\'',
  );
  assert.equal(rows[0]!.n, 1);
  const journals = await control<Array<{ externalId: string }>>(sb, 'GET', 'journals');
  assert.equal(journals.filter((j) => j.externalId === 'plan-ms1-fy26-202611-s2-p1').length, 1);
  assert.equal(await client.getJournalByExternalId('never-written'), undefined);
});

test('a posted journal is visible to SuiteQL through its accounting lines', async () => {
  const { id } = await client.upsertJournal('plan-visible-1', journal(777.77));
  const lines = await client.suiteqlAll(`
    SELECT tal.account, tal.debit, tal.credit, tl.department, BUILTIN.DF(tl.department) AS department_name, t.externalid
    FROM transactionaccountingline tal
      INNER JOIN transaction t ON t.id = tal.transaction
      INNER JOIN transactionline tl ON tl.transaction = tal.transaction AND tl.id = tal.transactionline
    WHERE t.id = ${id} AND tal.posting = 'T' ORDER BY tal.transactionline`);
  assert.deepEqual(
    lines.map((l) => [l.account, l.debit, l.credit]),
    [
      ['41', '777.77', undefined],
      ['46', '10', undefined],
      ['90', undefined, '787.77'],
    ],
  );
  assert.equal(lines[0]!.department_name, 'Company : Sales');
  assert.equal(lines[0]!.externalid, 'plan-visible-1');
});

test('unbalanced and unknown-account journals are refused with the documented error', async () => {
  await assert.rejects(
    client.upsertJournal('plan-unbalanced', {
      ...journal(100),
      lines: [
        { account: '41', debit: 100 },
        { account: '90', credit: 99.99 },
      ],
    }),
    rejection('USER_ERROR', 'line'),
  );
  await assert.rejects(
    client.upsertJournal('plan-unknown-account', {
      ...journal(100),
      lines: [
        { account: '41', debit: 100 },
        { account: '999', credit: 100 },
      ],
    }),
    rejection('USER_ERROR', 'line.items[1].account'),
  );
  await assert.rejects(
    client.upsertJournal('plan-summary', {
      ...journal(5),
      lines: [
        { account: '40', debit: 5 },
        { account: '90', credit: 5 },
      ],
    }),
    rejection('USER_ERROR', 'line.items[0].account'),
  );
  await assert.rejects(
    client.upsertJournal('plan-inactive', {
      ...journal(5),
      lines: [
        { account: '53', debit: 5 },
        { account: '90', credit: 5 },
      ],
    }),
    rejection('USER_ERROR', 'line.items[0].account'),
  );
  await assert.rejects(
    client.upsertJournal('plan-bad-dept', {
      ...journal(5),
      lines: [
        { account: '41', debit: 5 },
        { account: '90', credit: 5, department: '4242' },
      ],
    }),
    rejection('USER_ERROR', 'line.items[1].department'),
  );
  await assert.rejects(
    client.upsertJournal('plan-bad-sub', { ...journal(5), subsidiary: '77' }),
    rejection('USER_ERROR', 'subsidiary'),
  );
  const tooMany = Array.from({ length: 201 }, (_, i) =>
    i === 200 ? { account: '90', credit: 200 } : { account: '41', debit: 1 },
  );
  // The client refuses > 200 lines before sending; the sandbox enforces it too.
  await assert.rejects(client.upsertJournal('plan-too-long', { ...journal(1), lines: tooMany }));
  const raw = await client
    .request('PUT', '/services/rest/record/v1/journalentry/eid:plan-too-long', {
      query: { replace: 'line' },
      json: {
        subsidiary: { id: '2' },
        tranDate: '2026-11-30',
        line: { items: tooMany.map((l) => ({ ...l, account: { id: l.account } })) },
      },
    })
    .catch((e: unknown) => e);
  assert.ok(raw instanceof NetSuiteValidationError && raw.errorPath === 'line');
  const none = await sql<{ n: number }>(
    sb,
    "SELECT COUNT(*) AS n FROM \"transaction\" WHERE externalid LIKE 'plan-unbalanced' OR externalid LIKE 'plan-unknown-account'",
  );
  assert.equal(none[0]!.n, 0, 'nothing was written');
});

test('journals into a closed period are refused until it is reopened', async () => {
  await assert.rejects(
    client.upsertJournal('plan-closed-oct', journal(10, { tranDate: '2026-10-15' })),
    rejection('USER_ERROR', 'postingPeriod'),
  );
  const [oct] = await sql<{ id: number }>(sb, "SELECT id FROM accountingperiod WHERE periodname = 'Oct 2026'");
  await control(sb, 'POST', `periods/${oct!.id}/reopen`);
  const { id } = await client.upsertJournal('plan-closed-oct', journal(10, { tranDate: '2026-10-15' }));
  assert.ok(Number(id) > 0);
  await control(sb, 'POST', `periods/${oct!.id}/close`);
  const closed = await client.suiteqlAll(`SELECT closed, alllocked FROM accountingperiod WHERE id = ${oct!.id}`);
  assert.deepEqual(closed[0], { closed: 'T', alllocked: 'T' });
  await assert.rejects(
    client.upsertJournal('plan-closed-oct', journal(11, { tranDate: '2026-10-15' })),
    rejection('USER_ERROR', 'postingPeriod'),
  );
  // Nor can it be deleted while its period is closed.
  await assert.rejects(client.deleteJournalByExternalId('plan-closed-oct'), rejection('USER_ERROR', 'postingPeriod'));
  assert.ok(await client.getJournalByExternalId('plan-closed-oct'));
});

test('deleting by externalId removes the journal and its lines; a second delete reports there was none', async () => {
  const { id } = await client.upsertJournal('plan-delete-me', journal(25));
  assert.equal(await client.deleteJournalByExternalId('plan-delete-me'), true);
  assert.equal(await client.getJournalByExternalId('plan-delete-me'), undefined);
  assert.deepEqual(await sql(sb, `SELECT COUNT(*) AS n FROM transactionaccountingline WHERE "transaction" = ${id}`), [
    { n: 0 },
  ]);
  assert.equal(await client.deleteJournalByExternalId('plan-delete-me'), false);
});

test('an update without ?replace=line appends lines, as NetSuite does for non-keyed sublists', async () => {
  const body = {
    subsidiary: { id: '3' },
    tranDate: '2026-11-02',
    line: {
      items: [
        { account: { id: '41' }, debit: 5 },
        { account: { id: '90' }, credit: 5 },
      ],
    },
  };
  const r1 = await client.request('PUT', '/services/rest/record/v1/journalEntry/eid:append-demo', { json: body });
  assert.equal(r1.status, 204);
  assert.match(r1.location ?? '', /\/services\/rest\/record\/v1\/journalentry\/\d+$/);
  await client.request('PUT', '/services/rest/record/v1/journalEntry/eid:append-demo', { json: body });
  const rec = await client.getJournalByExternalId('append-demo');
  assert.equal(rec?.line?.items?.length, 4);
});
