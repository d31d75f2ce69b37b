/**
 * The sandbox account's data: one SQLite database (better-sqlite3, in memory or a file) holding the
 * NetSuite tables, plus the SuiteQL runner over it. Everything the HTTP layer changes goes through
 * here; `version` moves on every write so cached result counts stay correct.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import { INDEX_SQL, MULTI_BOOK_NAMES, SCHEMA_SQL } from './schema';
import { seedGlActivity, seedMasterData } from './seed';
import { translateSuiteQL } from './sql-translate';
import { formatNumber, formatUserDate, registerOracleFunctions, type DateFormat } from './oracle-functions';

export interface StateOptions {
  seed: number;
  /** Accounting lines of seeded GL activity (a few to millions). */
  glLines: number;
  /** SQLite file; omitted → in memory. An existing file is replaced by a fresh seed. */
  dbPath?: string;
  /** The integration user's date preference: how DATE columns render in SuiteQL results. */
  dateFormat?: DateFormat;
  /**
   * The Multi-Book Accounting feature (default off, like most accounts): with it a secondary
   * 'Plan Book' exists and `accountingbook` is queryable; without it SuiteQL naming it gets a 400.
   */
  multiBook?: boolean;
  /** How SuiteQL renders results and which names it knows: alternatives to the observed behaviour. */
  variants?: Partial<SuiteQLVariants>;
}

/**
 * Plausible ways a real account's SuiteQL can differ from the sandbox default (sandbox/FIDELITY.md);
 * settable at start and through `POST /__sandbox/config`.
 */
export interface SuiteQLVariants {
  /** Columns the account does not have, `table.column` (e.g. `account.issummary`, `transaction.externalid`): 400 "Unknown identifier". */
  hiddenFields: string[];
  /** Single-book accounts refuse the `accountingbook` record and column (default), or only the record (N10). */
  singleBookRefuses: 'table-and-column' | 'table';
  /** Numbers as JSON numbers and null columns as explicit `null`, instead of strings and omitted keys (N6). */
  jsonValues: boolean;
}

const DEFAULT_VARIANTS: SuiteQLVariants = {
  hiddenFields: [],
  singleBookRefuses: 'table-and-column',
  jsonValues: false,
};

/** Checks a variants patch from the control plane or options; throws naming the bad field. */
export function parseVariants(
  patch: Record<string, unknown>,
  current: SuiteQLVariants = DEFAULT_VARIANTS,
): SuiteQLVariants {
  const next = { ...current };
  if (patch.hiddenFields !== undefined) {
    const v = patch.hiddenFields;
    if (!Array.isArray(v) || v.some((f) => typeof f !== 'string' || !/^[a-z_]+\.[a-z_]+$/.test(f.toLowerCase())))
      throw new Error('hiddenFields must be a list of table.column names, e.g. ["account.issummary"]');
    next.hiddenFields = v.map((f: string) => f.toLowerCase());
  }
  if (patch.singleBookRefuses !== undefined) {
    if (patch.singleBookRefuses !== 'table-and-column' && patch.singleBookRefuses !== 'table')
      throw new Error("singleBookRefuses must be 'table-and-column' or 'table'");
    next.singleBookRefuses = patch.singleBookRefuses;
  }
  if (patch.jsonValues !== undefined) {
    if (typeof patch.jsonValues !== 'boolean') throw new Error('jsonValues must be true or false');
    next.jsonValues = patch.jsonValues;
  }
  return next;
}

export type SuiteQLRow = Record<string, string | number | null>;

export class SuiteQLExecutionError extends Error {}

const RESULT_CACHE_ENTRIES = 16;
const EXPENSIVE = /\b(GROUP BY|DISTINCT|UNION|INTERSECT|EXCEPT)\b/i;
/** Offset paging never reaches past 100,000 rows (§3.1), so that is all a page cache needs. */
const MATERIALISE_MAX = 100_000;

export class NetSuiteState {
  db!: Database.Database;
  /** Bumped on every write. */
  version = 0;
  readonly dateFormat: DateFormat;
  readonly multiBook: boolean;
  private variantsNow: SuiteQLVariants;
  private hidden = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly results = new Map<string, { rows: SuiteQLRow[]; total: number }>();
  private readonly statements = new Map<string, Database.Statement>();
  /** The sandbox's own statements (fixed SQL), compiled once per database: see `prepared`. */
  private readonly own = new WeakMap<Database.Database, Map<string, Database.Statement>>();

  constructor(readonly options: StateOptions) {
    this.dateFormat = options.dateFormat ?? 'M/D/YYYY';
    this.multiBook = options.multiBook ?? false;
    this.variantsNow = parseVariants(options.variants ?? {});
    this.hidden = new Set(this.variantsNow.hiddenFields);
    this.open();
  }

  private open(): void {
    if (this.options.dbPath)
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(this.options.dbPath + suffix, { force: true });
    this.db = new Database(this.options.dbPath ?? ':memory:');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = OFF');
    registerOracleFunctions(this.db, this.dateFormat);
    this.db.exec(SCHEMA_SQL);
    seedMasterData(this.db, { multiBook: this.multiBook });
    seedGlActivity(this.db, { seed: this.options.seed, lines: this.options.glLines });
    this.db.exec(INDEX_SQL);
    // Statistics for the planner: without them it drives the per-account GL query from the period
    // index (every transaction of the month) instead of the account index — 8× slower at 1M lines.
    this.db.exec('ANALYZE');
    this.db.pragma('optimize');
  }

  get variants(): SuiteQLVariants {
    return { ...this.variantsNow, hiddenFields: [...this.variantsNow.hiddenFields] };
  }

  /** Changes the SuiteQL variants at run time; cached results are dropped (they render differently). */
  setVariants(patch: Record<string, unknown>): SuiteQLVariants {
    this.variantsNow = parseVariants(patch, this.variantsNow);
    this.hidden = new Set(this.variantsNow.hiddenFields);
    this.touch();
    return this.variants;
  }

  /** Back to the freshly seeded company (same seed, same rows). */
  reset(): void {
    this.close();
    this.counts.clear();
    this.results.clear();
    this.version++;
    this.open();
  }

  /**
   * A statement of the sandbox's own SQL (record routes, journal store), prepared once per database
   * and reused: compiling it on every request cost a third of a journal write's CPU.
   */
  prepared(sql: string): Database.Statement {
    let byDb = this.own.get(this.db);
    if (!byDb) this.own.set(this.db, (byDb = new Map()));
    let st = byDb.get(sql);
    if (!st) byDb.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  close(): void {
    this.statements.clear();
    if (this.db?.open) this.db.close();
  }

  touch(): void {
    this.version++;
    this.counts.clear();
    this.results.clear();
  }

  /**
   * One SuiteQL page. Rows come back the way SuiteQL's REST resource renders them: lowercase keys,
   * every value a string, dates in the user's format, null columns omitted (§3.2).
   */
  suiteqlPage(q: string, limit: number, offset: number): { rows: SuiteQLRow[]; totalResults: number } {
    const { sql } = translateSuiteQL(q, {
      multiBook: this.multiBook,
      singleBookRefuses: this.variantsNow.singleBookRefuses,
      hiddenFields: this.hidden,
    });
    try {
      // Aggregations would be recomputed for every page; they are materialised once (at most the
      // 100,000 rows offset paging can reach) and served from memory until the next write.
      if (EXPENSIVE.test(sql)) {
        const m = this.materialise(sql);
        return { rows: m.rows.slice(offset, offset + limit), totalResults: m.total };
      }
      const page = this.prepare(`SELECT * FROM (${sql}) LIMIT ? OFFSET ?`);
      const total = this.count(sql);
      return { rows: this.render(page, [limit, offset]), totalResults: total };
    } catch (err) {
      if (err instanceof SuiteQLExecutionError) throw err;
      throw new SuiteQLExecutionError(describeSqliteError((err as Error).message));
    }
  }

  private materialise(sql: string): { rows: SuiteQLRow[]; total: number } {
    const hit = this.results.get(sql);
    if (hit) return hit;
    const rows = this.render(this.prepare(`SELECT * FROM (${sql}) LIMIT ?`), [MATERIALISE_MAX + 1]);
    const total = rows.length > MATERIALISE_MAX ? this.count(sql) : rows.length;
    rows.length = Math.min(rows.length, MATERIALISE_MAX);
    const entry = { rows, total };
    // Room for every query a client pages concurrently (the concurrency limit, twice over): with
    // fewer, interleaved pagers evict each other and every later page recomputes the aggregation.
    if (this.results.size >= RESULT_CACHE_ENTRIES) this.results.delete(this.results.keys().next().value!);
    this.results.set(sql, entry);
    return entry;
  }

  private render(st: Database.Statement, params: unknown[]): SuiteQLRow[] {
    const cols = st.columns().map((c) => ({
      name: c.name.toLowerCase(),
      date: c.type === 'DATE' || c.type === 'DATETIME',
      // `SELECT *` on an account without the field: not shown (the book column on a single-book account, a hidden field).
      hidden:
        (!this.multiBook &&
          this.variantsNow.singleBookRefuses !== 'table' &&
          MULTI_BOOK_NAMES.has(c.name.toLowerCase())) ||
        (c.table !== null &&
          c.column !== null &&
          this.hidden.has(`${c.table.toLowerCase()}.${c.column.toLowerCase()}`)),
    }));
    const json = this.variantsNow.jsonValues;
    st.raw(true);
    return (st.all(...params) as unknown[][]).map((values) => {
      const row: SuiteQLRow = {};
      values.forEach((v, i) => {
        const col = cols[i]!;
        if (col.hidden) return;
        if (v === null || v === undefined) {
          if (json) row[col.name] = null;
          return;
        }
        row[col.name] =
          typeof v === 'number'
            ? json
              ? Number(formatNumber(v))
              : formatNumber(v)
            : col.date
              ? formatUserDate(String(v), this.dateFormat)
              : String(v);
      });
      return row;
    });
  }

  private count(sql: string): number {
    const hit = this.counts.get(sql);
    if (hit !== undefined) return hit;
    const n = (this.prepare(`SELECT COUNT(*) AS n FROM (${sql})`).get() as { n: number }).n;
    if (this.counts.size > 200) this.counts.clear();
    this.counts.set(sql, n);
    return n;
  }

  private prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      try {
        st = this.db.prepare(sql);
      } catch (err) {
        throw new SuiteQLExecutionError(describeSqliteError((err as Error).message));
      }
      if (!st.readonly) throw new SuiteQLExecutionError('Only SELECT statements are supported.');
      if (this.statements.size > 100) this.statements.clear();
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Read-only raw SQL over everything (control plane, for tests to read totals). */
  readOnlyQuery(sql: string): unknown[] {
    const st = this.db.prepare(sql);
    if (!st.readonly) throw new Error('only read-only statements are allowed');
    return st.reader ? st.all() : [];
  }

  /** Sets the per-subledger locks of a period (`alllocked`, `aplocked`, `arlocked`), leaving `closed` as it is. */
  setPeriodLocks(periodId: number, locks: { all?: boolean; ap?: boolean; ar?: boolean }): boolean {
    const tf = (v: boolean | undefined) => (v === undefined ? null : v ? 'T' : 'F');
    const r = this.db
      .prepare(
        'UPDATE accountingperiod SET alllocked = COALESCE(?, alllocked), aplocked = COALESCE(?, aplocked), arlocked = COALESCE(?, arlocked) WHERE id = ?',
      )
      .run(tf(locks.all), tf(locks.ap), tf(locks.ar), periodId);
    this.touch();
    return r.changes > 0;
  }

  setPeriodClosed(periodId: number, closed: boolean): boolean {
    const r = this.db
      .prepare(
        "UPDATE accountingperiod SET closed = ?, alllocked = ?, aplocked = ?, arlocked = ?, closedondate = CASE WHEN ? = 'T' THEN date('now') ELSE NULL END WHERE id = ?",
      )
      .run(
        closed ? 'T' : 'F',
        closed ? 'T' : 'F',
        closed ? 'T' : 'F',
        closed ? 'T' : 'F',
        closed ? 'T' : 'F',
        periodId,
      );
    this.touch();
    return r.changes > 0;
  }
}

/** SQLite's messages rephrased the way SuiteQL reports them ("Unknown identifier", §3.4). */
function describeSqliteError(message: string): string {
  const col = /no such column: (.+)$/.exec(message);
  if (col) return `Unknown identifier '${col[1]}'. Field may not exist or may not be accessible.`;
  const fn = /no such function: (.+)$/.exec(message);
  if (fn) return `Invalid or unsupported function ${fn[1]}.`;
  return `Invalid or unsupported search. ${message.replace(/^.*?: /, '')}`;
}
