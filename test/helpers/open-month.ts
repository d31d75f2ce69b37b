/**
 * Tests that run at the real date (the watcher's flash cycles) need today's month open in the
 * NetSuite sandbox, with posted activity. The demo company's posting months are fixed (2025–2026,
 * activity through November 2026): on a later date the month is added as an open posting period
 * with a copy of November 2026's transactions.
 */
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Makes `period` (YYYY-MM) an open NetSuite posting month with posted activity. */
export function openMonthWithActivity(db: Database.Database, period: string): void {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const start = `${period}-01`;
  let row = db
    .prepare(
      `SELECT id, closed, alllocked FROM accountingperiod WHERE startdate = ? AND isquarter = 'F' AND isyear = 'F'`,
    )
    .get(start) as { id: number; closed: string; alllocked: string } | undefined;
  if (!row) {
    const id = (db.prepare('SELECT MAX(id) AS m FROM accountingperiod').get() as { m: number }).m + 1;
    const end = `${period}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
    db.prepare(
      `INSERT INTO accountingperiod (id, periodname, startdate, enddate, isposting, isquarter, isyear, closed, alllocked, aplocked, arlocked) VALUES (?, ?, ?, ?, 'T', 'F', 'F', 'F', 'F', 'F', 'F')`,
    ).run(id, `${MONTHS[m - 1]} ${y}`, start, end);
    row = { id, closed: 'F', alllocked: 'F' };
  }
  assert.equal(row.closed + row.alllocked, 'FF', `${period} is open in the NetSuite sandbox`);
  const posted = (
    db.prepare(`SELECT COUNT(*) AS n FROM "transaction" WHERE postingperiod = ? AND posting = 'T'`).get(row.id) as {
      n: number;
    }
  ).n;
  if (posted > 0) return;
  const src = (db.prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Nov 2026'`).get() as { id: number }).id;
  const off = (db.prepare('SELECT MAX(id) AS m FROM "transaction"').get() as { m: number }).m;
  const dst = row.id;
  db.transaction(() => {
    const of = `SELECT id FROM "transaction" WHERE postingperiod = ${Number(src)}`;
    db.prepare(
      `INSERT INTO transactionline ("transaction", id, linesequencenumber, subsidiary, department, class, location, memo, foreignamount)
       SELECT "transaction" + ?, id, linesequencenumber, subsidiary, department, class, location, memo, foreignamount FROM transactionline WHERE "transaction" IN (${of})`,
    ).run(off);
    db.prepare(
      `INSERT INTO transactionaccountingline ("transaction", transactionline, accountingbook, account, amount, debit, credit, netamount, posting)
       SELECT "transaction" + ?, transactionline, accountingbook, account, amount, debit, credit, netamount, posting FROM transactionaccountingline WHERE "transaction" IN (${of})`,
    ).run(off);
    db.prepare(
      `INSERT INTO "transaction" (id, tranid, trandate, postingperiod, type, posting, status, approvalstatus, memo, currency, createddate, lastmodifieddate)
       SELECT id + ?, tranid || 'F', ?, ?, type, posting, status, approvalstatus, memo, currency, createddate, lastmodifieddate FROM "transaction" WHERE postingperiod = ?`,
    ).run(off, start, dst, src);
  })();
}
