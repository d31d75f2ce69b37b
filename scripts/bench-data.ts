/**
 * Benchmark data on top of the seeded demo company. The demo company has ~1,800 possible GL
 * combinations per month; the benchmark needs up to a million distinct SuiteQL result rows, so it
 * generates extra members on both sides and concentrates GL activity in the benchmark month:
 *
 * - NetSuite (the sandbox's SQLite, before any query): extra P&L accounts `B0001…` (Expense, under
 *   6000), departments, classes and locations (each location belongs to one posting subsidiary),
 *   and balanced two-line journals in one period, each line on a random account × department ×
 *   class × location, so result rows ≈ lines when the combination space is ≥ 10× the lines.
 * - Anaplan (the sandbox's model, in-process): the same members in the lists where a plan needs
 *   them before alignment runs, and approved Budget/Forecast cells in PLN01 Plan for plan write-back.
 *
 * Anaplan sandbox list capacities (Accounts 1,024, Departments 256, others 128; sandbox README)
 * bound the extra members; the connector's own alignment loads them (Departments synced in the
 * benchmark config).
 */
import { rng } from '../sandbox/demo-company';
import type { Sandboxes } from '../sandbox/embedded';

export interface ExtraMembers {
  accounts: number;
  departments: number;
  classes: number;
  locations: number;
}

const POSTING_SUBS = [2, 3, 4];
export const BASE_ID = { account: 1000, department: 1000, class: 1000, location: 1000 };

export const acctNumber = (i: number) => `B${String(i + 1).padStart(5, '0')}`;

/** Extra master data in NetSuite (ids from 1000 up, codes follow the connector's defaults). */
export function addNetSuiteMembers(s: Sandboxes, extra: ExtraMembers): void {
  const db = s.netsuite.state.db;
  const allSubs = '1, 2, 3, 4';
  db.transaction(() => {
    const acct =
      db.prepare(`INSERT INTO account (id, acctnumber, accountsearchdisplayname, displaynamewithhierarchy, fullname, accttype, parent, isinactive, issummary, subsidiary, externalid)
      VALUES (?, ?, ?, ?, ?, 'Expense', 40, 'F', 'F', ?, ?)`);
    const map = db.prepare('INSERT INTO accountsubsidiarymap (account, subsidiary) VALUES (?, ?)');
    for (let i = 0; i < extra.accounts; i++) {
      const id = BASE_ID.account + i;
      const n = acctNumber(i);
      acct.run(
        id,
        n,
        `Bench expense ${i + 1}`,
        `6000 Operating Expenses : ${n} Bench expense ${i + 1}`,
        `Operating Expenses : Bench expense ${i + 1}`,
        allSubs,
        `ACCT-${n}`,
      );
      for (const sub of [1, 2, 3, 4]) map.run(id, sub);
    }
    const seg = (
      table: string,
      count: number,
      base: number,
      label: string,
      parent: number,
      sub: (i: number) => string | number,
    ) => {
      const st = db.prepare(
        `INSERT INTO ${table} (id, name, fullname, parent, isinactive, subsidiary, externalid) VALUES (?, ?, ?, ?, 'F', ?, ?)`,
      );
      for (let i = 0; i < count; i++)
        st.run(base + i, `${label} ${i + 1}`, `${label} ${i + 1}`, parent, sub(i), `${label}-${i + 1}`);
    };
    seg('department', extra.departments, BASE_ID.department, 'Bench dept', 100, () => allSubs);
    seg('classification', extra.classes, BASE_ID.class, 'Bench class', 200, () => allSubs);
    seg(
      'location',
      extra.locations,
      BASE_ID.location,
      'Bench office',
      300,
      (i) => POSTING_SUBS[i % POSTING_SUBS.length]!,
    );
  })();
  s.netsuite.state.touch();
}

/**
 * `lines` accounting lines (two per journal, balanced) in `periodName`, on the extra members only.
 * Returns the number of distinct combinations written (= SuiteQL result rows of the period).
 */
export function addGlActivity(s: Sandboxes, extra: ExtraMembers, periodName: string, lines: number, seed = 7): number {
  const db = s.netsuite.state.db;
  const period = db.prepare('SELECT id, startdate FROM accountingperiod WHERE periodname = ?').get(periodName) as {
    id: number;
    startdate: string;
  };
  const random = rng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const insTxn =
    db.prepare(`INSERT INTO "transaction" (id, tranid, trandate, postingperiod, type, posting, status, approvalstatus, memo, currency, createddate, lastmodifieddate)
    VALUES (?, ?, ?, ?, 'Journal', 'T', 'B', 2, 'bench', 1, ?, ?)`);
  const insLine = db.prepare(
    'INSERT INTO transactionline ("transaction", id, linesequencenumber, subsidiary, department, class, location, memo, foreignamount) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)',
  );
  const insTal = db.prepare(
    `INSERT INTO transactionaccountingline ("transaction", transactionline, accountingbook, account, amount, debit, credit, netamount, posting) VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'T')`,
  );
  let id = ((db.prepare('SELECT MAX(id) AS m FROM "transaction"').get() as { m: number | null }).m ?? 0) + 1;
  const combos = new Set<string>();
  const date = period.startdate.slice(0, 8) + '15';
  const batch = db.transaction((n: number) => {
    for (let t = 0; t < n; t++, id++) {
      const cents = 100 + int(1_000_000);
      insTxn.run(id, `BJ${id}`, date, period.id, date, date);
      for (let l = 0; l < 2; l++) {
        const loc = int(extra.locations);
        const sub = POSTING_SUBS[loc % POSTING_SUBS.length]!;
        const acct = BASE_ID.account + int(extra.accounts);
        const dep = BASE_ID.department + int(extra.departments);
        const cls = BASE_ID.class + int(extra.classes);
        combos.add(`${acct}|${dep}|${cls}|${loc}`);
        const amount = (l === 0 ? cents : -cents) / 100;
        insLine.run(id, l, l, sub, dep, cls, BASE_ID.location + loc, amount);
        insTal.run(id, l, acct, amount, amount > 0 ? amount : null, amount < 0 ? -amount : null, amount);
      }
    }
  });
  for (let left = Math.floor(lines / 2); left > 0; left -= 5_000) batch(Math.min(5_000, left));
  // Fresh planner statistics for the generated volume (the sandbox analyzed only its seed).
  db.exec('ANALYZE');
  s.netsuite.state.touch();
  return combos.size;
}

/** Adds the extra members to the Anaplan lists (what alignment would load) so plan cells can exist on them. */
export function addAnaplanMembers(s: Sandboxes, extra: Pick<ExtraMembers, 'accounts' | 'departments'>): void {
  const model = s.anaplan.state.model;
  const accounts = model.lists.get('Accounts')!;
  // Accounts is a composite hierarchy by default: its summary parents (6000 Operating Expenses) live
  // in the parent list (Account Groups), as the connector's alignment loads them.
  const parent = (accounts.parentList ?? accounts).getByCode('6000');
  if (!parent)
    throw new Error(
      `bench data: parent account 6000 is in neither Accounts nor its parent list (${accounts.parentList?.name ?? 'none'})`,
    );
  for (let i = 0; i < extra.accounts; i++)
    if (!accounts.getByCode(acctNumber(i))) accounts.add(acctNumber(i), `Bench expense ${i + 1}`, parent);
  const deps = model.lists.get('Departments')!;
  const company = deps.getByCode('DEP-100');
  for (let i = 0; i < extra.departments; i++) {
    const code = `DEP-${BASE_ID.department + i}`;
    if (!deps.getByCode(code)) deps.add(code, `Bench dept ${i + 1}`, company);
  }
}

/**
 * Approved plan values on the extra accounts × departments × posting subsidiaries, for the given
 * months and both versions: `accounts × departments × 3 × months × 2` values. Returns that count.
 */
export function addPlanValues(
  s: Sandboxes,
  extra: Pick<ExtraMembers, 'accounts' | 'departments'>,
  months: string[],
  seed = 11,
): number {
  const model = s.anaplan.state.model;
  const pln = model.modules.get('PLN01 Plan')!;
  const amount = pln.lineItem('Amount')!.cells;
  const approved = pln.lineItem('Approved')!.cells;
  const accounts = model.lists.get('Accounts')!;
  const deps = model.lists.get('Departments')!;
  const subs = model.lists.get('Subsidiaries')!;
  const versions = [model.version('Budget')!, model.version('Forecast')!];
  const random = rng(seed);
  let n = 0;
  for (const month of months) {
    const p = model.time.find((t) => t.code === month)!;
    for (let a = 0; a < extra.accounts; a++) {
      const ai = accounts.getByCode(acctNumber(a))!.index;
      for (let d = 0; d < extra.departments; d++) {
        const di = deps.getByCode(`DEP-${BASE_ID.department + d}`)!.index;
        for (const sub of POSTING_SUBS) {
          const si = subs.getByCode(`SUB-${sub}`)!.index;
          for (const v of versions) {
            const k = pln.key([ai, si, di, p.index, v.index]);
            amount.set(k, Math.round((100 + random() * 10_000) * 100) / 100);
            approved.set(k, 1);
            n++;
          }
        }
      }
    }
  }
  return n;
}
