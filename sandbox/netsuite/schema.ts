/**
 * SQLite tables named and shaped like the NetSuite2.com SuiteQL data source, so the connector's
 * real queries run unchanged (docs/netsuite.md §4.1). Conventions copied from
 * SuiteQL: booleans are 'T'/'F' text, dates are DATE columns (stored ISO, rendered in the user's
 * date format), amounts are numbers. Tables whose name starts with `sandbox_` are the simulator's
 * own bookkeeping and are not reachable from SuiteQL.
 */
export const SCHEMA_SQL = `
CREATE TABLE currency (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, name TEXT NOT NULL, isinactive TEXT NOT NULL DEFAULT 'F');
CREATE TABLE subsidiary (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, fullname TEXT, parent INTEGER, currency INTEGER NOT NULL,
  country TEXT, iselimination TEXT NOT NULL DEFAULT 'F', isinactive TEXT NOT NULL DEFAULT 'F', externalid TEXT);
CREATE TABLE account (
  id INTEGER PRIMARY KEY, acctnumber TEXT NOT NULL, accountsearchdisplayname TEXT NOT NULL,
  displaynamewithhierarchy TEXT NOT NULL, fullname TEXT NOT NULL, accttype TEXT NOT NULL, parent INTEGER,
  isinactive TEXT NOT NULL, issummary TEXT NOT NULL, subsidiary TEXT, externalid TEXT);
CREATE TABLE accountsubsidiarymap (account INTEGER NOT NULL, subsidiary INTEGER NOT NULL, PRIMARY KEY (account, subsidiary));
CREATE TABLE department (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, fullname TEXT NOT NULL, parent INTEGER, isinactive TEXT NOT NULL,
  subsidiary TEXT, includechildren TEXT NOT NULL DEFAULT 'T', externalid TEXT);
CREATE TABLE classification (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, fullname TEXT NOT NULL, parent INTEGER, isinactive TEXT NOT NULL,
  subsidiary TEXT, includechildren TEXT NOT NULL DEFAULT 'T', externalid TEXT);
CREATE TABLE location (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, fullname TEXT NOT NULL, parent INTEGER, isinactive TEXT NOT NULL,
  subsidiary INTEGER, externalid TEXT);
CREATE TABLE accountingbook (id INTEGER PRIMARY KEY, name TEXT NOT NULL, isprimary TEXT NOT NULL, isinactive TEXT NOT NULL DEFAULT 'F');
CREATE TABLE accountingperiod (
  id INTEGER PRIMARY KEY, periodname TEXT NOT NULL, startdate DATE NOT NULL, enddate DATE NOT NULL,
  isposting TEXT NOT NULL, isadjust TEXT NOT NULL DEFAULT 'F', isquarter TEXT NOT NULL, isyear TEXT NOT NULL,
  closed TEXT NOT NULL, closedondate DATE, alllocked TEXT NOT NULL, aplocked TEXT NOT NULL, arlocked TEXT NOT NULL,
  allownonglchanges TEXT NOT NULL DEFAULT 'F', parent INTEGER, isinactive TEXT NOT NULL DEFAULT 'F', fiscalcalendar INTEGER NOT NULL DEFAULT 1);
CREATE TABLE "transaction" (
  id INTEGER PRIMARY KEY, tranid TEXT NOT NULL, trandate DATE NOT NULL, postingperiod INTEGER, type TEXT NOT NULL,
  posting TEXT NOT NULL, status TEXT, approvalstatus INTEGER, memo TEXT, currency INTEGER, exchangerate REAL NOT NULL DEFAULT 1,
  externalid TEXT UNIQUE, createddate DATETIME NOT NULL, lastmodifieddate DATETIME NOT NULL);
CREATE TABLE transactionline (
  "transaction" INTEGER NOT NULL, id INTEGER NOT NULL, linesequencenumber INTEGER NOT NULL, mainline TEXT NOT NULL DEFAULT 'F',
  subsidiary INTEGER, department INTEGER, class INTEGER, location INTEGER, entity INTEGER, memo TEXT,
  foreignamount REAL, PRIMARY KEY ("transaction", id)) WITHOUT ROWID;
CREATE TABLE transactionaccountingline (
  "transaction" INTEGER NOT NULL, transactionline INTEGER NOT NULL, accountingbook INTEGER NOT NULL, account INTEGER NOT NULL,
  amount REAL, debit REAL, credit REAL, netamount REAL, posting TEXT NOT NULL, exchangerate REAL NOT NULL DEFAULT 1,
  PRIMARY KEY ("transaction", transactionline, accountingbook)) WITHOUT ROWID;
CREATE TABLE sandbox_journal (
  "transaction" INTEGER PRIMARY KEY, externalid TEXT, subsidiary INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, writes INTEGER NOT NULL DEFAULT 1);
`;

/** Built after bulk seeding, so inserts do not maintain them row by row. */
export const INDEX_SQL = `
CREATE INDEX IF NOT EXISTS transaction_period ON "transaction"(postingperiod);
CREATE INDEX IF NOT EXISTS tal_account ON transactionaccountingline(account);
`;

/** Tables SuiteQL may read (anything else, including sandbox_* and sqlite_*, is "not found"). */
export const SUITEQL_TABLES = new Set([
  'currency',
  'subsidiary',
  'account',
  'accountsubsidiarymap',
  'department',
  'classification',
  'location',
  'accountingbook',
  'accountingperiod',
  'transaction',
  'transactionline',
  'transactionaccountingline',
]);

/**
 * Names that exist only with the Multi-Book Accounting feature: the `accountingbook` record and the
 * `accountingbook` columns pointing at it. A single-book account (most accounts) has neither, so
 * SuiteQL naming them fails like any unknown record or field (docs/netsuite.md §12;
 * the exact refusal is inferred, not documented).
 */
export const MULTI_BOOK_NAMES = new Set(['accountingbook']);

/** Display column per table: what `BUILTIN.DF()` shows for a reference to a row of it. */
export const DISPLAY_COLUMN: Record<string, string> = {
  accountingperiod: 'periodname',
  currency: 'name',
  subsidiary: 'name',
  department: 'fullname',
  classification: 'fullname',
  location: 'fullname',
  account: 'displaynamewithhierarchy',
  accountingbook: 'name',
};

/**
 * Reference columns and the table they point to, keyed `table.column` (or `*.column` for every
 * table). `parent` points to the row's own table.
 */
export const REFERENCES: Record<string, string> = {
  'transaction.postingperiod': 'accountingperiod',
  '*.currency': 'currency',
  '*.subsidiary': 'subsidiary',
  '*.department': 'department',
  '*.class': 'classification',
  '*.location': 'location',
  '*.account': 'account',
  '*.accountingbook': 'accountingbook',
  '*.fromsubsidiary': 'subsidiary',
  '*.tosubsidiary': 'subsidiary',
};
