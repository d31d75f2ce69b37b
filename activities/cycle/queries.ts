/**
 * The SuiteQL the connector runs (docs/netsuite.md §4). Values that come from
 * outside (period IDs, account IDs) are validated as integers before they reach a query string:
 * SuiteQL over REST has no bind parameters, so nothing else is ever concatenated.
 */
export function sqlInt(value: string | number, what: string): string {
  const s = String(value);
  if (!/^\d{1,12}$/.test(s))
    throw new TypeError(`${what} must be a NetSuite internal ID (digits), got ${JSON.stringify(s).slice(0, 40)}`);
  return s;
}

/**
 * Monthly posting periods (quarters and years excluded). Dates as YYYY-MM-DD whatever the user's date
 * preference. `alllocked`: a period locked for all transactions takes no journal (docs/netsuite.md §8.2).
 */
export const PERIODS_SQL = `SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, closed, alllocked
FROM accountingperiod WHERE isquarter = 'F' AND isyear = 'F' ORDER BY startdate, id`;

/**
 * The chart of accounts. `issummary` is in third-party SuiteQL table lists and public SuiteQL
 * (docs/netsuite.md §4.1) but in no Oracle page found, so an account (or role) without it is expected:
 * `ACCOUNTS_SQL_WITHOUT_SUMMARY` is the same read without it (align.ts falls back once per connection).
 */
export const ACCOUNTS_SQL = `SELECT id, acctnumber, accountsearchdisplayname AS name, accttype, parent, isinactive, issummary FROM account ORDER BY id`;
export const ACCOUNTS_SQL_WITHOUT_SUMMARY = `SELECT id, acctnumber, accountsearchdisplayname AS name, accttype, parent, isinactive FROM account ORDER BY id`;

export const LIST_SQL: Record<'subsidiaries' | 'departments' | 'classes' | 'locations', string> = {
  subsidiaries: `SELECT id, name, parent, isinactive FROM subsidiary ORDER BY id`,
  departments: `SELECT id, name, parent, isinactive FROM department ORDER BY id`,
  classes: `SELECT id, name, parent, isinactive FROM classification ORDER BY id`,
  locations: `SELECT id, name, parent, isinactive FROM location ORDER BY id`,
};

/**
 * The accounting-book filter of the GL queries. Most accounts lack Multi-Book Accounting and have no
 * `accountingbook` record or column at all, so naming it fails with a 400 (docs/netsuite.md §12):
 * `'single-book'` leaves it out. In Multi-Book accounts every line exists once per book, so without a
 * filter secondary-book lines are summed too (§4.1): `'primary'` filters on the primary book by
 * sub-select, a number on that book's internal ID.
 */
export type BookScope = 'single-book' | 'primary' | number;

function bookFilter(book: BookScope): string {
  if (book === 'single-book') return '';
  if (book === 'primary') return ` AND tal.accountingbook = (SELECT id FROM accountingbook WHERE isprimary = 'T')`;
  return ` AND tal.accountingbook = ${sqlInt(book, 'accounting book')}`;
}

/** The primary book's ID, or a 400 on accounts without Multi-Book (the feature probe, one row). */
export const PRIMARY_BOOK_SQL = `SELECT id FROM accountingbook WHERE isprimary = 'T' ORDER BY id`;

/**
 * Posted GL activity of one period and one account, aggregated by subsidiary × department × class ×
 * location. Net = debit − credit (sign-safe, docs/netsuite.md §4.1). Partitioning by account keeps each
 * result well under the 100,000-row offset ceiling and gives a resumable cursor.
 */
export function glActivitySql(periodId: string, accountId: string, book: BookScope = 'primary'): string {
  return `SELECT tal.account AS account_id, tl.subsidiary AS subsidiary_id, tl.department AS department_id, tl.class AS class_id, tl.location AS location_id,
  SUM(NVL(tal.debit, 0)) AS debit, SUM(NVL(tal.credit, 0)) AS credit, SUM(NVL(tal.debit, 0) - NVL(tal.credit, 0)) AS net
FROM transactionaccountingline tal
  INNER JOIN transaction t ON t.id = tal.transaction
  INNER JOIN transactionline tl ON tl.transaction = tal.transaction AND tl.id = tal.transactionline
WHERE tal.posting = 'T' AND t.postingperiod = ${sqlInt(periodId, 'period id')} AND tal.account = ${sqlInt(accountId, 'account id')}${bookFilter(book)}
GROUP BY tal.account, tl.subsidiary, tl.department, tl.class, tl.location
ORDER BY tl.subsidiary, tl.department, tl.class, tl.location`;
}

/** Accounts that have posted activity in the period: the partitions of the extraction. */
export function accountsWithActivitySql(periodId: string, book: BookScope = 'primary'): string {
  return `SELECT DISTINCT tal.account AS account_id FROM transactionaccountingline tal INNER JOIN transaction t ON t.id = tal.transaction
WHERE tal.posting = 'T' AND t.postingperiod = ${sqlInt(periodId, 'period id')}${bookFilter(book)} ORDER BY tal.account`;
}

/** NetSuite's own total for the tie-out: the same scope, summed by the server. */
export function glTotalSql(periodId: string, accountIds: string[], book: BookScope = 'primary'): string {
  const ids = accountIds.map((a) => sqlInt(a, 'account id')).join(', ') || '-1';
  return `SELECT SUM(NVL(tal.debit, 0) - NVL(tal.credit, 0)) AS net, COUNT(*) AS lines
FROM transactionaccountingline tal INNER JOIN transaction t ON t.id = tal.transaction
WHERE tal.posting = 'T' AND t.postingperiod = ${sqlInt(periodId, 'period id')} AND tal.account IN (${ids})${bookFilter(book)}`;
}

/** NetSuite's totals per account over the tie-out's scope: where a tie-out mismatch sits (the tie-out gate). */
export function glTotalsByAccountSql(periodId: string, accountIds: string[], book: BookScope = 'primary'): string {
  const ids = accountIds.map((a) => sqlInt(a, 'account id')).join(', ') || '-1';
  return `SELECT tal.account AS account_id, SUM(NVL(tal.debit, 0) - NVL(tal.credit, 0)) AS net, COUNT(*) AS lines
FROM transactionaccountingline tal INNER JOIN transaction t ON t.id = tal.transaction
WHERE tal.posting = 'T' AND t.postingperiod = ${sqlInt(periodId, 'period id')} AND tal.account IN (${ids})${bookFilter(book)}
GROUP BY tal.account ORDER BY tal.account`;
}

/**
 * Journals whose external ID starts with `prefix` (the connector's `<prefix>-<model12>-`), to find
 * plan journals a smaller plan no longer needs. `transaction.externalid` in SuiteQL is UNCONFIRMED
 * (docs/netsuite.md §4 table); LIKE's `_` wildcard only widens the match, so callers re-check the prefix.
 */
export function connectorJournalsSql(prefix: string): string {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix))
    throw new TypeError(
      `journal external ID prefix must be letters, digits, _ or -, got ${JSON.stringify(prefix).slice(0, 60)}`,
    );
  return `SELECT t.id, t.externalid FROM transaction t WHERE t.type = 'Journal' AND t.externalid LIKE '${prefix}%' ORDER BY t.id`;
}

/**
 * The connector's journals (external ID starting with `prefix`) with a line on one of the given
 * accounts or departments: members the current mapping cannot express, so those journals' scopes
 * are frozen (plan-scopes.ts). Callers pass only unmapped IDs (few), in batches.
 */
export function connectorJournalsOnMembersSql(prefix: string, accountIds: string[], departmentIds: string[]): string {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix))
    throw new TypeError(
      `journal external ID prefix must be letters, digits, _ or -, got ${JSON.stringify(prefix).slice(0, 60)}`,
    );
  const list = (ids: string[], what: string) => ids.map((i) => sqlInt(i, what)).join(', ') || '-1';
  return `SELECT DISTINCT t.externalid, tal.account AS account_id, tl.department AS department_id
FROM transaction t
  INNER JOIN transactionaccountingline tal ON tal.transaction = t.id
  INNER JOIN transactionline tl ON tl.transaction = tal.transaction AND tl.id = tal.transactionline
WHERE t.type = 'Journal' AND t.externalid LIKE '${prefix}%' AND (tal.account IN (${list(accountIds, 'account id')}) OR tl.department IN (${list(departmentIds, 'department id')}))
ORDER BY t.externalid`;
}
