/**
 * Journal entries as rows: one `transaction` (type 'Journal'), one `transactionline` per line and
 * one `transactionaccountingline` per line in the primary book, so a posted journal is visible to
 * the same SuiteQL the connector reads actuals with (docs/netsuite.md §4.1).
 */
import type { NetSuiteState } from './state';

export interface JournalLine {
  account: number;
  debit: number;
  credit: number;
  department?: number;
  class?: number;
  location?: number;
  entity?: number;
  memo?: string;
}

export interface JournalData {
  externalId?: string;
  subsidiary: number;
  tranDate: string;
  postingPeriod: number;
  currency: number;
  exchangeRate: number;
  memo?: string;
  approved: boolean;
  /** With journal approval routing: 1 pending approval, 2 approved, 3 rejected (values UNCONFIRMED, §5.4). */
  approvalStatus?: number;
  /** Accounting book the lines post to (1 = primary); Multi-Book accounts post plans to a secondary book. */
  accountingBook: number;
  lines: JournalLine[];
}

export interface StoredJournal extends JournalData {
  id: number;
  tranId: string;
  createdDate: string;
  lastModifiedDate: string;
}

const nowIso = () => new Date().toISOString().replace('T', ' ').slice(0, 19);
const cents = (n: number) => Math.round(n * 100);

/** Inserts or fully rewrites a journal in one SQLite transaction; returns its internal id. */
export function saveJournal(state: NetSuiteState, data: JournalData, existingId?: number): number {
  const db = state.db;
  const run = db.transaction((): number => {
    const now = nowIso();
    let id: number;
    const posting = data.approved ? 'T' : 'F';
    const approvalStatus = data.approvalStatus ?? (data.approved ? 2 : 1);
    // The header columns both statements set, in their column order (trandate … exchangerate).
    const header = [
      data.tranDate,
      data.postingPeriod,
      posting,
      data.approved ? 'B' : 'A',
      approvalStatus,
      data.memo ?? null,
      data.currency,
      data.exchangeRate,
    ];
    if (existingId === undefined) {
      id = ((state.prepared('SELECT MAX(id) AS m FROM "transaction"').get() as { m: number | null }).m ?? 0) + 1;
      state
        .prepared(
          `INSERT INTO "transaction" (id, tranid, trandate, postingperiod, type, posting, status, approvalstatus, memo, currency, exchangerate, externalid, createddate, lastmodifieddate)
        VALUES (?, ?, ?, ?, 'Journal', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, `JE${id}`, ...header, data.externalId ?? null, now, now);
      state
        .prepared(
          'INSERT INTO sandbox_journal ("transaction", externalid, subsidiary, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, data.externalId ?? null, data.subsidiary, now, now);
    } else {
      id = existingId;
      state
        .prepared(
          'UPDATE "transaction" SET trandate = ?, postingperiod = ?, posting = ?, status = ?, approvalstatus = ?, memo = ?, currency = ?, exchangerate = ?, lastmodifieddate = ? WHERE id = ?',
        )
        .run(...header, now, id);
      state
        .prepared(
          'UPDATE sandbox_journal SET subsidiary = ?, updated_at = ?, writes = writes + 1 WHERE "transaction" = ?',
        )
        .run(data.subsidiary, now, id);
      state.prepared('DELETE FROM transactionline WHERE "transaction" = ?').run(id);
      state.prepared('DELETE FROM transactionaccountingline WHERE "transaction" = ?').run(id);
    }
    const tl = state.prepared(
      'INSERT INTO transactionline ("transaction", id, linesequencenumber, subsidiary, department, class, location, entity, memo, foreignamount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const tal = state.prepared(
      'INSERT INTO transactionaccountingline ("transaction", transactionline, accountingbook, account, amount, debit, credit, netamount, posting, exchangerate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    data.lines.forEach((l, i) => {
      const foreign = (cents(l.debit) - cents(l.credit)) / 100;
      const base = Math.round(foreign * data.exchangeRate * 100) / 100;
      tl.run(
        id,
        i,
        i,
        data.subsidiary,
        l.department ?? null,
        l.class ?? null,
        l.location ?? null,
        l.entity ?? null,
        l.memo ?? null,
        foreign,
      );
      tal.run(
        id,
        i,
        data.accountingBook,
        l.account,
        base,
        base > 0 ? base : null,
        base < 0 ? -base : null,
        base,
        posting,
        data.exchangeRate,
      );
    });
    return id;
  });
  const id = run();
  state.touch();
  return id;
}

export function deleteJournal(state: NetSuiteState, id: number): boolean {
  const db = state.db;
  const changes = db.transaction(() => {
    state.prepared('DELETE FROM transactionline WHERE "transaction" = ?').run(id);
    state.prepared('DELETE FROM transactionaccountingline WHERE "transaction" = ?').run(id);
    state.prepared('DELETE FROM sandbox_journal WHERE "transaction" = ?').run(id);
    return state.prepared('DELETE FROM "transaction" WHERE id = ? AND type = \'Journal\'').run(id).changes;
  })();
  state.touch();
  return changes > 0;
}

export function findJournalId(state: NetSuiteState, ref: { id?: number; externalId?: string }): number | undefined {
  const row =
    ref.externalId !== undefined
      ? state.prepared('SELECT id FROM "transaction" WHERE externalid = ? AND type = \'Journal\'').get(ref.externalId)
      : state.prepared('SELECT id FROM "transaction" WHERE id = ? AND type = \'Journal\'').get(ref.id);
  return (row as { id: number } | undefined)?.id;
}

export function loadJournal(state: NetSuiteState, id: number): StoredJournal | undefined {
  const t = state.prepared('SELECT * FROM "transaction" WHERE id = ? AND type = \'Journal\'').get(id) as
    | Record<string, any>
    | undefined;
  if (!t) return undefined;
  const lines = state
    .prepared(
      `SELECT tl.id, tl.subsidiary, tl.department, tl.class, tl.location, tl.entity, tl.memo, tal.account, tal.debit, tal.credit, tal.accountingbook, tl.foreignamount
    FROM transactionline tl JOIN transactionaccountingline tal ON tal."transaction" = tl."transaction" AND tal.transactionline = tl.id
    WHERE tl."transaction" = ? ORDER BY tl.id`,
    )
    .all(id) as Array<Record<string, any>>;
  const opt = (v: unknown) => (v === null ? undefined : (v as any));
  return {
    id,
    tranId: t.tranid,
    externalId: opt(t.externalid),
    subsidiary:
      lines[0]?.subsidiary ??
      (
        state.prepared('SELECT subsidiary FROM sandbox_journal WHERE "transaction" = ?').get(id) as
          | { subsidiary: number }
          | undefined
      )?.subsidiary ??
      0,
    tranDate: t.trandate,
    postingPeriod: t.postingperiod,
    currency: t.currency,
    exchangeRate: t.exchangerate,
    memo: opt(t.memo),
    approved: t.posting === 'T',
    approvalStatus: opt(t.approvalstatus),
    accountingBook: lines[0]?.accountingbook ?? 1,
    createdDate: t.createddate,
    lastModifiedDate: t.lastmodifieddate,
    lines: lines.map((l) => ({
      account: l.account,
      // Amounts are stored in base currency on the accounting line; the record shows transaction currency.
      debit: l.foreignamount > 0 ? l.foreignamount : 0,
      credit: l.foreignamount < 0 ? -l.foreignamount : 0,
      department: opt(l.department),
      class: opt(l.class),
      location: opt(l.location),
      entity: opt(l.entity),
      memo: opt(l.memo),
    })),
  };
}

/** Journals written through the record API (not the seeded activity), newest first. */
export function listApiJournals(state: NetSuiteState, limit = 1000): StoredJournal[] {
  const ids = state
    .prepared('SELECT "transaction" AS id FROM sandbox_journal ORDER BY "transaction" DESC LIMIT ?')
    .all(limit) as Array<{ id: number }>;
  return ids.map((r) => loadJournal(state, r.id)).filter((j): j is StoredJournal => j !== undefined);
}
