/**
 * Seeds the demo company (sandbox/demo-company.ts, shared with the Anaplan sandbox) into the
 * NetSuite tables, then generates posted GL activity. Activity is deterministic by seed and is
 * written in batches inside transactions with prepared statements, so millions of accounting lines
 * stream into SQLite with constant memory.
 */
import type Database from 'better-sqlite3';
import {
  ACCOUNTS,
  CLASSES,
  CURRENCIES,
  DEPARTMENTS,
  LOCATIONS,
  POSTING_SUBSIDIARIES,
  SUBSIDIARIES,
  SUBSIDIARY_LOCATIONS,
  buildPeriods,
  leaves,
  postingAccounts,
  rng,
  type DemoSegment,
} from '../demo-company';

const tf = (b: boolean) => (b ? 'T' : 'F');

function fullName<T extends { id: number; parent: number | null; name: string }>(
  list: T[],
  item: T,
  label = (x: T) => x.name,
): string {
  const parts: string[] = [];
  for (
    let cur: T | undefined = item;
    cur;
    cur = cur.parent === null ? undefined : list.find((x) => x.id === cur!.parent)
  )
    parts.unshift(label(cur));
  return parts.join(' : ');
}

/**
 * Master data: currencies, subsidiaries, chart of accounts, segments, books, periods. The primary
 * book row always exists internally (every accounting line belongs to book 1); only a Multi-Book
 * account also has the secondary 'Plan Book', and only there is `accountingbook` visible to SuiteQL.
 */
export function seedMasterData(db: Database.Database, options: { multiBook?: boolean } = {}): void {
  const tx = db.transaction(() => {
    const cur = db.prepare('INSERT INTO currency (id, symbol, name) VALUES (?, ?, ?)');
    for (const c of CURRENCIES) cur.run(c.id, c.symbol, c.name);

    const sub = db.prepare(
      'INSERT INTO subsidiary (id, name, fullname, parent, currency, country, externalid) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const s of SUBSIDIARIES)
      sub.run(s.id, s.name, fullName(SUBSIDIARIES, s), s.parent, s.currency, s.country, s.code);

    const allSubs = SUBSIDIARIES.map((s) => s.id);
    const acct =
      db.prepare(`INSERT INTO account (id, acctnumber, accountsearchdisplayname, displaynamewithhierarchy, fullname, accttype, parent, isinactive, issummary, subsidiary, externalid)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const map = db.prepare('INSERT INTO accountsubsidiarymap (account, subsidiary) VALUES (?, ?)');
    for (const a of ACCOUNTS) {
      const withNumbers = fullName(
        ACCOUNTS.map((x) => ({ ...x, name: `${x.acctnumber} ${x.name}` })),
        { ...a, name: `${a.acctnumber} ${a.name}` },
      );
      // account.subsidiary is multi-valued: a comma list in SuiteQL (§3.4); filter via accountsubsidiarymap.
      acct.run(
        a.id,
        a.acctnumber,
        a.name,
        withNumbers,
        fullName(ACCOUNTS, a),
        a.accttype,
        a.parent,
        tf(a.isinactive),
        tf(a.issummary),
        allSubs.join(', '),
        `ACCT-${a.acctnumber}`,
      );
      for (const s of allSubs) map.run(a.id, s);
    }

    const segment = (table: string, list: DemoSegment[], subsidiaryOf: (s: DemoSegment) => string | number | null) => {
      const st = db.prepare(
        `INSERT INTO ${table} (id, name, fullname, parent, isinactive, subsidiary, externalid) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const s of list)
        st.run(s.id, s.name, fullName(list, s), s.parent, tf(s.isinactive), subsidiaryOf(s), s.code);
    };
    segment('department', DEPARTMENTS, () => allSubs.join(', '));
    segment('classification', CLASSES, () => allSubs.join(', '));
    const locationSub = (s: DemoSegment) =>
      Number(Object.entries(SUBSIDIARY_LOCATIONS).find(([, ids]) => ids.includes(s.id))?.[0] ?? 1);
    segment('location', LOCATIONS, locationSub);

    db.prepare("INSERT INTO accountingbook (id, name, isprimary) VALUES (1, 'Primary Book', 'T')").run();
    // A secondary book (Multi-Book): plans can post there instead of the primary ledger.
    if (options.multiBook)
      db.prepare("INSERT INTO accountingbook (id, name, isprimary) VALUES (2, 'Plan Book', 'F')").run();

    const per =
      db.prepare(`INSERT INTO accountingperiod (id, periodname, startdate, enddate, isposting, isquarter, isyear, closed, closedondate, alllocked, aplocked, arlocked, parent)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const p of buildPeriods()) {
      const isPosting = !p.isquarter && !p.isyear;
      per.run(
        p.id,
        p.periodname,
        p.startdate,
        p.enddate,
        tf(isPosting),
        tf(p.isquarter),
        tf(p.isyear),
        tf(p.closed),
        p.closed ? addDays(p.enddate, 10) : null,
        tf(p.closed),
        tf(p.closed),
        tf(p.closed),
        p.parent,
      );
    }
  });
  tx();
}

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export interface GlActivityOptions {
  seed: number;
  /** Exact number of accounting lines to generate (each transaction has 2–6 balanced lines). */
  lines: number;
  /** Transactions per SQLite transaction. */
  batchSize?: number;
  /** Last month (YYYY-MM) that receives activity. */
  through?: string;
}

/** Posted GL activity across the posting months; returns how many transactions were written. */
export function seedGlActivity(db: Database.Database, options: GlActivityOptions): number {
  const random = rng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const through = options.through ?? '2026-11';
  const months = buildPeriods().filter((p) => !p.isquarter && !p.isyear && p.startdate.slice(0, 7) <= through);
  const accounts = postingAccounts().map((a) => a.id);
  const departments = leaves(DEPARTMENTS).map((d) => d.id);
  const classes = leaves(CLASSES).map((c) => c.id);
  const currencyOf = new Map(SUBSIDIARIES.map((s) => [s.id, s.currency]));
  const types: Array<[string, string]> = [
    ['Journal', 'JE'],
    ['Journal', 'JE'],
    ['VendBill', 'BILL'],
    ['CustInvc', 'INV'],
  ];

  const insTxn =
    db.prepare(`INSERT INTO "transaction" (id, tranid, trandate, postingperiod, type, posting, status, approvalstatus, memo, currency, createddate, lastmodifieddate)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insLine = db.prepare(
    'INSERT INTO transactionline ("transaction", id, linesequencenumber, subsidiary, department, class, location, memo, foreignamount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insTal = db.prepare(
    'INSERT INTO transactionaccountingline ("transaction", transactionline, accountingbook, account, amount, debit, credit, netamount, posting) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)',
  );

  const startId = ((db.prepare('SELECT MAX(id) AS m FROM "transaction"').get() as { m: number | null }).m ?? 0) + 1;
  let remaining = Math.max(0, Math.floor(options.lines));
  let id = startId;
  const batchSize = options.batchSize ?? 2000;
  const cents: number[] = [];

  const writeBatch = db.transaction((count: number) => {
    for (let n = 0; n < count && remaining >= 2; n++, id++) {
      let k = 2 + Math.floor(random() * 5);
      if (k > remaining || remaining - k === 1) k = remaining - k === 1 ? k + 1 : remaining;
      if (k > remaining) k = remaining;
      remaining -= k;
      const sub = pick(POSTING_SUBSIDIARIES);
      const period = pick(months);
      const day = 1 + Math.floor(random() * Number(period.enddate.slice(8, 10)));
      const trandate = `${period.startdate.slice(0, 8)}${String(day).padStart(2, '0')}`;
      const [type, prefix] = pick(types);
      // ~2% pending approval: present in SuiteQL but not posted (filter posting = 'T', §4.1).
      const posted = random() >= 0.02;
      insTxn.run(
        id,
        `${prefix}${id}`,
        trandate,
        period.id,
        type,
        posted ? 'T' : 'F',
        posted ? 'B' : 'A',
        posted ? 2 : 1,
        `Seeded ${type} ${id}`,
        currencyOf.get(sub) ?? 1,
        `${trandate}T12:00:00Z`,
        `${trandate}T12:00:00Z`,
      );
      cents.length = 0;
      let net = 0;
      for (let i = 0; i < k - 1; i++) {
        const c = (100 + Math.floor(random() * 500_000)) * (random() < 0.5 ? 1 : -1);
        cents.push(c);
        net += c;
      }
      if (net === 0) {
        cents[0] = cents[0]! * 2;
        net = cents.reduce((a, b) => a + b, 0);
      }
      cents.push(-net);
      const locations = SUBSIDIARY_LOCATIONS[sub] ?? [null];
      for (let i = 0; i < k; i++) {
        const amount = cents[i]! / 100;
        insLine.run(id, i, i, sub, pick(departments), pick(classes), pick(locations), null, amount);
        insTal.run(
          id,
          i,
          pick(accounts),
          amount,
          amount > 0 ? amount : null,
          amount < 0 ? -amount : null,
          amount,
          posted ? 'T' : 'F',
        );
      }
    }
  });
  while (remaining >= 2) writeBatch(batchSize);
  return id - startId;
}
