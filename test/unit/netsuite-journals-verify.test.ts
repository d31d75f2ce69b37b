/**
 * Write, then verify (issue 11 item 4; docs/netsuite.md §5.3, §12): `writeJournal` reads every journal back
 * and compares it with what it sent, under each journal switch of the NetSuite sandbox that plays an
 * UNCONFIRMED behaviour — PUT ignoring `?replace=line`, a locked period re-dated to the next open one,
 * the book ignored. The ledger ends equal to what was sent, or the write is refused and nothing wrong
 * is left behind. Also: book-specific journals need both fields; both journal approval modes.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  NetSuiteJournalMismatchError,
  NetSuiteValidationError,
  type JournalEntryInput,
  type NetSuiteClient,
} from '../../activities/netsuite';
import { PLAN_OFFSET_ACCOUNT_ID } from '../../sandbox/demo-company';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

let sb: StartedNetSuiteSandbox;
let client: NetSuiteClient;
let nov: string;
let oct: string;

before(async () => {
  // The Multi-Book seed: the book-specific journal below needs a secondary book (Plan Book, ID 2).
  sb = await startSandbox({ multiBook: true });
  client = clientFor(sb);
  const ids = await sql<{ id: number; periodname: string }>(
    sb,
    "SELECT id, periodname FROM accountingperiod WHERE periodname IN ('Oct 2026', 'Nov 2026')",
  );
  const byName = (n: string) => String(ids.find((p) => p.periodname === n)!.id);
  [oct, nov] = [byName('Oct 2026'), byName('Nov 2026')];
});
after(() => sb.close());
afterEach(() => control(sb, 'POST', 'journal-switches', { reset: true }));

const OFFSET = String(PLAN_OFFSET_ACCOUNT_ID);
const journal = (amount: number, extra: Partial<JournalEntryInput> = {}): JournalEntryInput => ({
  subsidiary: '2',
  tranDate: '2026-11-30',
  postingPeriod: nov,
  memo: `plan ${amount}`,
  lines: [
    { account: '41', debit: amount, department: '101' },
    { account: '46', debit: 10, department: '103' },
    { account: OFFSET, credit: amount + 10 },
  ],
  ...extra,
});
const held = async (externalId: string) => {
  const rec = await client.getJournalByExternalId(externalId);
  return (
    rec && {
      lines: rec.line?.items?.map((l) => [l.account.id, l.debit ?? 0, l.credit ?? 0]),
      period: rec.postingPeriod?.id,
      book: rec.accountingBook?.id,
    }
  );
};
const switches = (s: Record<string, boolean>) => control(sb, 'POST', 'journal-switches', s);
const count = async (externalId: string) =>
  (await sql<{ n: number }>(sb, `SELECT COUNT(*) AS n FROM "transaction" WHERE externalid = '${externalId}'`))[0]!.n;

describe('switch (a): PUT ignores ?replace=line', () => {
  it("the plain upsert doubles a changed journal's lines — the sandbox plays it", async () => {
    await switches({ putIgnoresReplace: true });
    await client.upsertJournal('verify-a-old', journal(100));
    await client.upsertJournal('verify-a-old', journal(200));
    assert.equal((await held('verify-a-old'))!.lines!.length, 6, 'lines appended');
  });

  it("writeJournal replaces an existing journal's lines with PATCH ?replace=line: exactly the new lines", async () => {
    await switches({ putIgnoresReplace: true });
    const first = await client.writeJournal('verify-a-new', journal(100), { exists: false });
    assert.equal(first.created, true);
    assert.equal(first.repaired, undefined);
    const second = await client.writeJournal('verify-a-new', journal(200), { exists: true });
    assert.equal(second.id, first.id);
    assert.equal(second.created, false);
    assert.equal(second.repaired, undefined, 'PATCH ?replace=line needs no repair');
    assert.deepEqual((await held('verify-a-new'))!.lines, [
      ['41', 200, 0],
      ['46', 10, 0],
      [OFFSET, 0, 210],
    ]);
    assert.equal(await count('verify-a-new'), 1);
  });

  it('a PUT that landed on an existing journal and appended is caught by the read-back and repaired once', async () => {
    await client.writeJournal('verify-a-race', journal(100), { exists: false });
    await switches({ putIgnoresReplace: true });
    // The caller believed it new (e.g. it was created in between): PUT appends, the read-back sees 6 lines.
    const w = await client.writeJournal('verify-a-race', journal(300), { exists: false });
    assert.deepEqual(
      w.repaired?.map((d) => [d.field, d.sent, d.held]),
      [
        ['lines', '3', '6'],
        ['debitTotal', '310.00', '420.00'],
        ['creditTotal', '310.00', '420.00'],
      ],
    );
    assert.deepEqual((await held('verify-a-race'))!.lines, [
      ['41', 300, 0],
      ['46', 10, 0],
      [OFFSET, 0, 310],
    ]);
  });
});

describe('switch (b): a write into a locked period is re-dated to the next open period', () => {
  it('without the switch the write is refused (400 at postingPeriod)', async () => {
    await assert.rejects(
      client.writeJournal('verify-b-strict', journal(5, { tranDate: '2026-10-31', postingPeriod: oct }), {
        exists: false,
      }),
      (e: unknown) => e instanceof NetSuiteValidationError && e.errorPath === 'postingPeriod',
    );
    assert.equal(await count('verify-b-strict'), 0);
  });

  it('a new journal NetSuite moved to November is refused with the difference and deleted again', async () => {
    await switches({ redateLockedPeriods: true });
    // The plain upsert shows what the switch does: saved, but in November (October is closed).
    await client.upsertJournal('verify-b-plain', journal(5, { tranDate: '2026-10-31', postingPeriod: oct }));
    assert.equal((await held('verify-b-plain'))!.period, nov, 'the next open period after October is November');
    await assert.rejects(
      client.writeJournal('verify-b', journal(5, { tranDate: '2026-10-31', postingPeriod: oct }), { exists: false }),
      (e: unknown) => {
        assert.ok(e instanceof NetSuiteJournalMismatchError, String(e));
        assert.equal(e.retryable, false);
        assert.equal(e.removed, true);
        assert.deepEqual(
          e.differences.map((d) => [d.field, d.sent, d.held]),
          [['postingPeriod', oct, `${nov} (Nov 2026)`]],
        );
        assert.match(e.message, /verify-b.*postingPeriod sent .* NetSuite holds .*Nov 2026.*deleted again/);
        return true;
      },
    );
    assert.equal(await count('verify-b'), 0, 'nothing left in the wrong period');
  });

  it('an existing journal whose period was locked since is refused and left as found (not deleted)', async () => {
    await client.writeJournal('verify-b-existing', journal(7), { exists: false });
    await control(sb, 'POST', `periods/${nov}/close`);
    try {
      await switches({ redateLockedPeriods: true });
      await assert.rejects(
        client.writeJournal('verify-b-existing', journal(8), { exists: true }),
        (e: unknown) =>
          e instanceof NetSuiteJournalMismatchError &&
          e.removed === false &&
          e.differences.some((d) => d.field === 'postingPeriod'),
      );
      assert.equal(await count('verify-b-existing'), 1);
    } finally {
      await control(sb, 'POST', `periods/${nov}/reopen`);
    }
  });
});

describe('switch (c): the book is ignored; book-specific journals', () => {
  it('a book-specific journal sends isBookSpecific with accountingBook and lands in that book', async () => {
    const w = await client.writeJournal('verify-c-book2', journal(9, { accountingBook: '2' }), { exists: false });
    assert.equal((await held('verify-c-book2'))!.book, '2');
    assert.deepEqual(
      await sql(sb, `SELECT DISTINCT accountingbook FROM transactionaccountingline WHERE "transaction" = ${w.id}`),
      [{ accountingbook: 2 }],
    );
  });

  it('the sandbox requires both fields: accountingBook without isBookSpecific, or the reverse, is refused', async () => {
    const body = {
      subsidiary: { id: '2' },
      tranDate: '2026-11-30',
      line: {
        items: [
          { account: { id: '41' }, debit: 5 },
          { account: { id: OFFSET }, credit: 5 },
        ],
      },
    };
    const put = (extra: Record<string, unknown>) =>
      client.request('PUT', '/services/rest/record/v1/journalentry/eid:verify-c-raw', {
        query: { replace: 'line' },
        json: { ...body, ...extra },
      });
    await assert.rejects(
      put({ accountingBook: { id: '2' } }),
      (e: unknown) => e instanceof NetSuiteValidationError && e.errorPath === 'isBookSpecific',
    );
    await assert.rejects(
      put({ isBookSpecific: true }),
      (e: unknown) => e instanceof NetSuiteValidationError && e.errorPath === 'accountingBook',
    );
    assert.equal(await count('verify-c-raw'), 0);
  });

  it('a book NetSuite ignored is refused with the difference and the journal deleted again', async () => {
    await switches({ ignoreBook: true });
    await assert.rejects(
      client.writeJournal('verify-c', journal(9, { accountingBook: '2' }), { exists: false }),
      (e: unknown) => {
        assert.ok(e instanceof NetSuiteJournalMismatchError, String(e));
        assert.deepEqual(
          e.differences.map((d) => d.field),
          ['accountingBook'],
        );
        assert.equal(e.removed, true);
        return true;
      },
    );
    assert.equal(await count('verify-c'), 0, 'no plan lines left in the primary book');
  });
});

describe('journal approval routing', () => {
  const posting = async (externalId: string) =>
    (
      await sql<{ posting: string; approvalstatus: number }>(
        sb,
        `SELECT posting, approvalstatus FROM "transaction" WHERE externalid = '${externalId}'`,
      )
    )[0];

  it('without routing: approved is honoured and approvalStatus is refused naming the field', async () => {
    await client.writeJournal('verify-appr-off', journal(3, { approved: false }), { exists: false });
    assert.deepEqual(await posting('verify-appr-off'), { posting: 'F', approvalstatus: 1 });
    await assert.rejects(
      client.writeJournal('verify-appr-off-2', journal(3, { approvalStatus: '2' }), { exists: false }),
      (e: unknown) => e instanceof NetSuiteValidationError && e.status === 400 && e.errorPath === 'approvalStatus',
    );
  });

  it('with routing: approvalStatus decides, approved is refused naming the field, GET shows approvalStatus', async () => {
    await switches({ approvalRouting: true });
    await assert.rejects(
      client.writeJournal('verify-appr-on-1', journal(4, { approved: true }), { exists: false }),
      (e: unknown) => e instanceof NetSuiteValidationError && e.status === 400 && e.errorPath === 'approved',
    );
    assert.equal(await count('verify-appr-on-1'), 0);
    await client.writeJournal('verify-appr-on-2', journal(4, { approvalStatus: '2' }), { exists: false });
    assert.deepEqual(await posting('verify-appr-on-2'), { posting: 'T', approvalstatus: 2 });
    await client.writeJournal('verify-appr-on-3', journal(4, { approvalStatus: '1' }), { exists: false });
    assert.deepEqual(await posting('verify-appr-on-3'), { posting: 'F', approvalstatus: 1 });
    const rec = await client.getJournalByExternalId('verify-appr-on-2');
    assert.equal(rec?.approvalStatus?.id, '2');
    assert.equal(rec?.approved, undefined);
  });

  it('the client refuses a journal that carries both approval fields, before sending', async () => {
    await assert.rejects(
      client.writeJournal('verify-appr-both', journal(1, { approved: true, approvalStatus: '2' }), { exists: false }),
      /send approved .* or approvalStatus/,
    );
    assert.equal(await count('verify-appr-both'), 0);
  });
});

describe('control plane', () => {
  it('refuses an unknown switch or a non-boolean value', async () => {
    await assert.rejects(control(sb, 'POST', 'journal-switches', { appendAlways: true }), /unknown journal switch/);
    await assert.rejects(control(sb, 'POST', 'journal-switches', { ignoreBook: 'yes' }), /true or false/);
    assert.deepEqual(await control(sb, 'GET', 'journal-switches'), {
      putIgnoresReplace: false,
      redateLockedPeriods: false,
      ignoreBook: false,
      approvalRouting: false,
      upsertCreated201: false,
    });
  });
});
