/**
 * The demo company both sandboxes are seeded from, so that NetSuite's master data and the Anaplan
 * model's lists describe the same business. Master data is fixed; amounts are drawn from `rng(seed)`.
 *
 * Deliberate gaps (so quarantine can be demonstrated and tested):
 * - department 'Special Projects' (id 108) exists and posts in NetSuite but is missing from the
 *   Anaplan Departments list, which planners maintain by hand (not synced by the connector);
 * - account 6990 'Suspense - Unreconciled' (id 79) posts in NetSuite but is excluded from the
 *   plan's chart by the default config's account map (mapped to nothing).
 */

export interface DemoSubsidiary {
  id: number;
  name: string;
  parent: number | null;
  currency: number;
  country: string;
  code: string;
}
export interface DemoAccount {
  id: number;
  acctnumber: string;
  name: string;
  accttype: string;
  parent: number | null;
  issummary: boolean;
  isinactive: boolean;
}
export interface DemoSegment {
  id: number;
  name: string;
  parent: number | null;
  isinactive: boolean;
  code: string;
  inAnaplan: boolean;
}
export interface DemoPeriod {
  id: number;
  periodname: string;
  startdate: string;
  enddate: string;
  isquarter: boolean;
  isyear: boolean;
  closed: boolean;
  parent: number | null;
  anaplanCode: string | null;
}

export const CURRENCIES = [
  { id: 1, symbol: 'USD', name: 'US Dollar' },
  { id: 2, symbol: 'GBP', name: 'British Pound' },
  { id: 3, symbol: 'EUR', name: 'Euro' },
];

export const SUBSIDIARIES: DemoSubsidiary[] = [
  { id: 1, name: 'Meridian Holdings', parent: null, currency: 1, country: 'US', code: 'SUB-1' },
  { id: 2, name: 'Meridian US', parent: 1, currency: 1, country: 'US', code: 'SUB-2' },
  { id: 3, name: 'Meridian UK', parent: 1, currency: 2, country: 'GB', code: 'SUB-3' },
  { id: 4, name: 'Meridian GmbH', parent: 1, currency: 3, country: 'DE', code: 'SUB-4' },
];
/** Subsidiaries that post transactions (the parent is a consolidation node). */
export const POSTING_SUBSIDIARIES = [2, 3, 4];

const A = (
  id: number,
  acctnumber: string,
  name: string,
  accttype: string,
  parent: number | null,
  issummary = false,
  isinactive = false,
): DemoAccount => ({ id, acctnumber, name, accttype, parent, issummary, isinactive });

/** Chart of accounts; summary accounts carry children, only non-summary accounts post. */
export const ACCOUNTS: DemoAccount[] = [
  A(1, '1000', 'Cash and Equivalents', 'Bank', null, true),
  A(2, '1010', 'Operating Account', 'Bank', 1),
  A(3, '1020', 'Payroll Account', 'Bank', 1),
  A(4, '1200', 'Accounts Receivable', 'AcctRec', null),
  A(5, '1500', 'Fixed Assets', 'FixedAsset', null, true),
  A(6, '1510', 'Computer Equipment', 'FixedAsset', 5),
  A(7, '1520', 'Furniture and Fixtures', 'FixedAsset', 5),
  A(8, '2000', 'Accounts Payable', 'AcctPay', null),
  A(9, '2100', 'Accrued Liabilities', 'OthCurrLiab', null),
  A(10, '3000', 'Retained Earnings', 'Equity', null),
  A(20, '4000', 'Revenue', 'Income', null, true),
  A(21, '4010', 'Subscription Revenue', 'Income', 20),
  A(22, '4020', 'Services Revenue', 'Income', 20),
  A(23, '4030', 'Hardware Revenue', 'Income', 20),
  A(30, '5000', 'Cost of Revenue', 'COGS', null, true),
  A(31, '5010', 'Hosting Costs', 'COGS', 30),
  A(32, '5020', 'Services Delivery', 'COGS', 30),
  A(33, '5030', 'Hardware Cost', 'COGS', 30),
  A(40, '6000', 'Operating Expenses', 'Expense', null, true),
  A(41, '6100', 'Salaries and Wages', 'Expense', 40),
  A(42, '6110', 'Payroll Taxes', 'Expense', 40),
  A(43, '6120', 'Benefits', 'Expense', 40),
  A(44, '6200', 'Rent', 'Expense', 40),
  A(45, '6210', 'Utilities', 'Expense', 40),
  A(46, '6300', 'Travel', 'Expense', 40),
  A(47, '6310', 'Meals and Entertainment', 'Expense', 40),
  A(48, '6400', 'Software Subscriptions', 'Expense', 40),
  A(49, '6500', 'Marketing Programs', 'Expense', 40),
  A(50, '6600', 'Professional Fees', 'Expense', 40),
  A(51, '6700', 'Depreciation', 'Expense', 40),
  A(52, '6800', 'Office Supplies', 'Expense', 40),
  A(53, '6850', 'Legacy Telecom', 'Expense', 40, false, true),
  A(60, '7000', 'Other Income and Expense', 'OthExpense', null, true),
  A(61, '7010', 'Interest Income', 'OthIncome', 60),
  A(62, '7020', 'Interest Expense', 'OthExpense', 60),
  A(63, '7030', 'FX Gain/Loss', 'OthExpense', 60),
  A(79, '6990', 'Suspense - Unreconciled', 'Expense', 40),
  A(90, '2900', 'Plan Offset (Statistical)', 'OthCurrLiab', null),
];

/** Income-statement account types: the ones the planning model's P&L covers. */
export const PL_ACCOUNT_TYPES = new Set(['Income', 'COGS', 'Expense', 'OthIncome', 'OthExpense']);
/** Account excluded from the plan chart (quarantined by the default config). */
export const UNMAPPED_ACCOUNT_ID = 79;
/** Offset account the default config balances plan journals against. */
export const PLAN_OFFSET_ACCOUNT_ID = 90;

const S = (
  id: number,
  name: string,
  parent: number | null,
  code: string,
  inAnaplan = true,
  isinactive = false,
): DemoSegment => ({ id, name, parent, isinactive, code, inAnaplan });

export const DEPARTMENTS: DemoSegment[] = [
  S(100, 'Company', null, 'DEP-100'),
  S(101, 'Sales', 100, 'DEP-101'),
  S(102, 'Marketing', 100, 'DEP-102'),
  S(103, 'Engineering', 100, 'DEP-103'),
  S(104, 'Platform', 103, 'DEP-104'),
  S(105, 'Product', 103, 'DEP-105'),
  S(106, 'Customer Success', 100, 'DEP-106'),
  S(107, 'G&A', 100, 'DEP-107'),
  S(108, 'Special Projects', 100, 'DEP-108', false),
];
/** Department that exists in NetSuite but not in the Anaplan model (planner-maintained list). */
export const UNMAPPED_DEPARTMENT_ID = 108;

export const CLASSES: DemoSegment[] = [
  S(200, 'All Products', null, 'CLS-200'),
  S(201, 'Cloud', 200, 'CLS-201'),
  S(202, 'On-Premise', 200, 'CLS-202'),
  S(203, 'Services', 200, 'CLS-203'),
];

export const LOCATIONS: DemoSegment[] = [
  S(300, 'Global', null, 'LOC-300'),
  S(301, 'New York', 300, 'LOC-301'),
  S(302, 'San Francisco', 300, 'LOC-302'),
  S(303, 'London', 300, 'LOC-303'),
  S(304, 'Berlin', 300, 'LOC-304'),
];
/** Location per posting subsidiary (lines of a subsidiary post to its own offices). */
export const SUBSIDIARY_LOCATIONS: Record<number, number[]> = { 2: [301, 302], 3: [303], 4: [304] };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Fiscal years 2025 and 2026 (calendar), with quarter and year rows as NetSuite keeps them.
 * Months up to and including `closedThrough` (YYYY-MM) are closed. NetSuite names months
 * 'Oct 2026'; the Anaplan model's month codes are 'Oct 26'.
 */
export function buildPeriods(closedThrough = '2026-10', years = [2025, 2026]): DemoPeriod[] {
  const out: DemoPeriod[] = [];
  let id = 1;
  for (const y of years) {
    const yearId = id++;
    out.push({
      id: yearId,
      periodname: `FY ${y}`,
      startdate: `${y}-01-01`,
      enddate: `${y}-12-31`,
      isquarter: false,
      isyear: true,
      closed: `${y}-12` <= closedThrough,
      parent: null,
      anaplanCode: null,
    });
    for (let q = 0; q < 4; q++) {
      const qId = id++;
      const qEndMonth = q * 3 + 3;
      out.push({
        id: qId,
        periodname: `Q${q + 1} ${y}`,
        startdate: `${y}-${pad(q * 3 + 1)}-01`,
        enddate: `${y}-${pad(qEndMonth)}-${pad(daysIn(y, qEndMonth))}`,
        isquarter: true,
        isyear: false,
        closed: `${y}-${pad(qEndMonth)}` <= closedThrough,
        parent: yearId,
        anaplanCode: null,
      });
      for (let m = q * 3 + 1; m <= q * 3 + 3; m++) {
        out.push({
          id: id++,
          periodname: `${MONTHS[m - 1]} ${y}`,
          startdate: `${y}-${pad(m)}-01`,
          enddate: `${y}-${pad(m)}-${pad(daysIn(y, m))}`,
          isquarter: false,
          isyear: false,
          closed: `${y}-${pad(m)}` <= closedThrough,
          parent: qId,
          anaplanCode: `${MONTHS[m - 1]} ${String(y).slice(2)}`,
        });
      }
    }
  }
  return out;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Deterministic PRNG (mulberry32): same seed, same company, on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Accounts that GL activity and plans post to: active, non-summary. */
export function postingAccounts(): DemoAccount[] {
  return ACCOUNTS.filter((a) => !a.issummary && !a.isinactive && a.id !== PLAN_OFFSET_ACCOUNT_ID);
}
/** Leaf members of a segment list (data lives on leaves). */
export function leaves(list: DemoSegment[]): DemoSegment[] {
  return list.filter((s) => !s.isinactive && !list.some((c) => c.parent === s.id));
}
