/**
 * Plans posted to a secondary accounting book (journals.accountingBook): every line of the plan
 * journals lands in that book (sent as a book-specific journal: isBookSpecific + accountingBook, which
 * the sandbox requires), the primary book's actuals are untouched, and a book NetSuite does not have is
 * refused with the vendor's error naming the field. When NetSuite ignores the book (sandbox switch
 * ignoreBook), the read-back catches it: the journals are refused and audited, none stays in the primary book.
 * Runs on the Multi-Book seed (`ml-connector sandbox --multibook`); the actuals of that account filter on
 * the primary book.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { statusQuery } from '../../common/messages';
import { NetSuiteClient } from '../../activities/netsuite';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('plan journals in a secondary accounting book', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  before(async () => {
    t = await testTemporal();
    // A secondary book exists only with Multi-Book Accounting: the --multibook seed.
    env = await cycleEnv(t, {
      netsuite: { glLines: 1_500, multiBook: true },
      configOverrides: { journals: { offsetAccount: '2900', accountingBook: 2 } },
    });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('posts every plan line to book 2 and leaves the primary book alone', async () => {
    const db = env.sandboxes.netsuite.state.db;
    const primaryBefore = (
      db.prepare('SELECT COUNT(*) AS n FROM transactionaccountingline WHERE accountingbook = 1').get() as { n: number }
    ).n;
    const r = await (await startCycle(t.client, env.config, '2026-10', 'plan', undefined, env.taskQueue)).result();
    assert.ok(r.journals!.posted > 0);
    const byBook = db
      .prepare(
        `SELECT tal.accountingbook AS book, COUNT(*) AS n FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction" WHERE t.externalid LIKE 'mlc-%' GROUP BY 1`,
      )
      .all() as Array<{ book: number; n: number }>;
    assert.deepEqual(
      byBook.map((b) => b.book),
      [2],
      'plan lines are in the plan book only',
    );
    assert.equal(
      (
        db.prepare('SELECT COUNT(*) AS n FROM transactionaccountingline WHERE accountingbook = 1').get() as {
          n: number;
        }
      ).n,
      primaryBefore,
    );
    // The same plan again: recognised as unchanged in book 2.
    const again = await (await startCycle(t.client, env.config, '2026-10', 'plan', undefined, env.taskQueue)).result();
    assert.equal(again.journals!.unchanged, r.journals!.posted);
  });

  it('ties out a full cycle on the primary book while plan journals sit in the Plan Book', async () => {
    const db = env.sandboxes.netsuite.state.db;
    // The month holding the most Plan Book lines written by the plan cycle above.
    const busiest = db
      .prepare(
        `SELECT t.postingperiod AS id, ap.startdate AS start FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction"
        JOIN accountingperiod ap ON ap.id = t.postingperiod WHERE tal.accountingbook = 2 GROUP BY 1, 2 ORDER BY COUNT(*) DESC LIMIT 1`,
      )
      .get() as { id: number; start: string };
    assert.ok(busiest, 'the plan cycle wrote Plan Book lines');
    const netOf = (bookClause: string) =>
      (
        db
          .prepare(
            `SELECT ROUND(SUM(IFNULL(tal.debit,0) - IFNULL(tal.credit,0)) * 100) AS c FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction"
        JOIN account a ON a.id = tal.account WHERE tal.posting = 'T' AND t.postingperiod = ? AND a.accttype IN ('Income','COGS','Expense','OthIncome','OthExpense') ${bookClause}`,
          )
          .get(busiest.id) as { c: number }
      ).c;
    const primary = netOf('AND tal.accountingbook = 1');
    assert.notEqual(netOf(''), primary, 'summing every book would differ');
    const r = await (
      await startCycle(t.client, env.config, busiest.start.slice(0, 7), 'full', undefined, env.taskQueue)
    ).result();
    assert.equal(r.status, 'completed');
    assert.equal(r.tieOut!.balanced, true, JSON.stringify(r.tieOut));
    assert.equal(r.tieOut!.netsuiteCents, primary, 'NetSuite total is the primary book only');
  });

  it('refuses a book NetSuite does not have, naming the field', async () => {
    const d = env.sandboxes.netsuite.demoClient;
    const client = new NetSuiteClient({
      accountId: env.sandboxes.netsuite.accountId,
      baseUrl: env.sandboxes.netsuite.url,
      credentials: d,
    });
    await assert.rejects(
      client.upsertJournal('mlc-test-book-9', {
        subsidiary: '2',
        tranDate: '2026-11-30',
        accountingBook: '9',
        lines: [
          { account: '41', debit: 10 },
          { account: '90', credit: 10 },
        ],
      }),
      (err: { status?: number; message?: string }) => err.status === 400 && /accountingBook/.test(err.message ?? ''),
    );
  });

  it('refuses and removes plan journals NetSuite saved in the primary book (book ignored), reporting none posted', async () => {
    const ns = env.sandboxes.netsuite;
    const post = (path: string, body?: unknown) =>
      fetch(`${ns.url}/__sandbox/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal((await post('reset')).status, 200);
    assert.equal((await post('journal-switches', { ignoreBook: true })).status, 200);
    const db = ns.state.db;
    const primaryBefore = (
      db.prepare('SELECT COUNT(*) AS n FROM transactionaccountingline WHERE accountingbook = 1').get() as { n: number }
    ).n;
    const h = await startCycle(t.client, env.config, '2026-10', 'plan', undefined, env.taskQueue);
    await assert.rejects(
      h.result(),
      (e: { cause?: { type?: string; message?: string } }) =>
        e.cause?.type === 'JournalsRefused' && /accountingBook sent 2, NetSuite holds 1/.test(e.cause.message ?? ''),
    );
    assert.equal(
      (db.prepare(`SELECT COUNT(*) AS n FROM "transaction" WHERE externalid LIKE 'mlc-%'`).get() as { n: number }).n,
      0,
      'no plan journal left in the ledger',
    );
    assert.equal(
      (
        db.prepare('SELECT COUNT(*) AS n FROM transactionaccountingline WHERE accountingbook = 1').get() as {
          n: number;
        }
      ).n,
      primaryBefore,
      'the primary book is as before',
    );
    const status = await h.query(statusQuery);
    const step = status.steps.find((s) => s.name === 'postJournals')!;
    assert.equal(step.counts?.posted, 0);
    assert.ok((step.counts?.failed ?? 0) > 0);
    assert.equal((await post('journal-switches', { reset: true })).status, 200);
  });
});
