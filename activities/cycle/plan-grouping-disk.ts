/**
 * The plan export folded into journals through a scratch SQLite file instead of the heap: each mapped
 * value is one row on disk, and SQLite folds the rows into journal lines and sorts them into posting
 * order with its own external sort (spilling sorted runs to temporary files past `cacheKiB`). The
 * worker holds one journal's lines at a time plus one small entry per journal group, account and
 * department, so preparePlan's memory does not grow with the plan (issue 15; a 300k-value plan held
 * ~300k folded lines in `PlanGrouping`).
 *
 * It yields exactly the journals `PlanGrouping` (mapping/journals.ts) yields for the same values:
 * the order is decided in JavaScript, with the same comparisons, and handed to SQLite as integer
 * ranks (group, account, department), so SQLite's byte-wise text collation never decides it; lines
 * with equal keys keep the order of their first value, as the in-memory stable sort does.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import {
  accountOrderKey,
  cmp,
  groupKey,
  groupTotals,
  journalHeads,
  linesPerPart,
  partJournal,
  splitGroupKey,
  type FoldedLine,
  type GroupFilter,
  type JournalPlanOptions,
  type PlanGroups,
  type PlannedJournal,
  type PlannedJournalHead,
  type PlanValue,
} from '../mapping/journals';

export interface DiskPlanGroupingOptions {
  /** Directory of the scratch file (default the OS temp dir; the worker passes `<data dir>/tmp`). */
  dir?: string;
  /** SQLite page cache, which also caps the sorter's memory before it spills (KiB). */
  cacheKiB?: number;
}

/** Rows inserted per transaction: one commit per row would cost a write per value. */
const INSERT_BATCH = 5_000;
const DEFAULT_CACHE_KIB = 4 * 1024;

/** Small interning table: string → dense integer id, and back. */
class Interned {
  readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      this.ids.set(value, (id = this.values.length));
      this.values.push(value);
    }
    return id;
  }
  /** Rank of each id when the values are ordered by `key` (equal keys share a rank). */
  ranks(key: (value: string) => string): Array<[id: number, rank: number]> {
    const sorted = this.values.map((v, id) => ({ id, k: key(v) })).sort((a, b) => cmp(a.k, b.k));
    let rank = -1;
    let last: string | undefined;
    return sorted.map(({ id, k }) => {
      if (k !== last) rank++;
      last = k;
      return [id, rank];
    });
  }
}

export class DiskPlanGrouping implements PlanGroups {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly groups = new Map<string, { id: number; values: number; cents: number }>();
  private readonly accounts = new Interned();
  /** Departments by `departmentId ?? ''`: the line key `PlanGrouping` folds on. */
  private readonly departments = new Interned();
  private pending = 0;
  /** Set once the lines are folded (the first read): no value may be added after. */
  private folded?: { groupKeys: string[]; lineCounts: Map<number, number> };

  constructor(opts: DiskPlanGroupingOptions = {}) {
    const dir = opts.dir ?? os.tmpdir();
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `mlc-plan-${process.pid}-${randomBytes(8).toString('hex')}.db`);
    this.db = new Database(this.file);
    // Scratch data, rebuilt from the export on any retry: no journal, no fsync, nobody else opens it.
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('temp_store = FILE');
    this.db.pragma(`cache_size = -${Math.max(64, Math.round(opts.cacheKiB ?? DEFAULT_CACHE_KIB))}`);
    // `dnull`: the value's department was null rather than '' (both fold onto one line, as in memory).
    this.db.exec(
      'CREATE TABLE v (seq INTEGER PRIMARY KEY, g INTEGER NOT NULL, a INTEGER NOT NULL, d INTEGER NOT NULL, dnull INTEGER NOT NULL, cents INTEGER NOT NULL, line INTEGER NOT NULL)',
    );
    this.insert = this.db.prepare('INSERT INTO v (g, a, d, dnull, cents, line) VALUES (?, ?, ?, ?, ?, ?)');
  }

  add(v: PlanValue): void {
    if (this.folded) throw new Error('DiskPlanGrouping: a value was added after the journals were read');
    const key = groupKey(v.version, v.period, v.subsidiaryId);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { id: this.groups.size, values: 0, cents: 0 }));
    group.values++;
    group.cents += v.cents;
    if (this.pending === 0) this.db.exec('BEGIN');
    this.insert.run(
      group.id,
      this.accounts.id(v.accountId),
      this.departments.id(v.departmentId ?? ''),
      v.departmentId === null ? 1 : 0,
      v.cents,
      v.sourceLine,
    );
    if (++this.pending === INSERT_BATCH) this.commit();
  }

  totals(include?: GroupFilter): { values: number; cents: number } {
    return groupTotals(this.groups, include);
  }

  heads(o: JournalPlanOptions, include?: GroupFilter): PlannedJournalHead[] {
    const { groupKeys, lineCounts } = this.fold();
    return journalHeads(
      groupKeys.map((key) => ({ key, lines: lineCounts.get(this.groups.get(key)!.id) ?? 0 })),
      o,
      include,
    );
  }

  *eachJournal(o: JournalPlanOptions, include: GroupFilter = () => true): Generator<PlannedJournal> {
    const { lineCounts } = this.fold();
    const perPart = linesPerPart(o);
    const keyOf = new Map([...this.groups].map(([key, g]) => [g.id, key]));
    const rows = this.db
      .prepare(
        `SELECT l.g AS g, l.a AS a, l.d AS d, l.dnull AS dnull, l.cents AS cents, l.lines AS lines
           FROM l JOIN gr ON gr.id = l.g JOIN ar ON ar.id = l.a JOIN dr ON dr.id = l.d
          WHERE l.cents != 0
          ORDER BY gr.rank, ar.rank, dr.rank, l.first`,
      )
      .iterate() as IterableIterator<{ g: number; a: number; d: number; dnull: number; cents: number; lines: string }>;
    let current = -1;
    let keep = false;
    let parts = 0;
    let part = 0;
    let slice: FoldedLine[] = [];
    for (const r of rows) {
      if (r.g !== current) {
        if (keep && slice.length) yield partJournal(o, keyOf.get(current)!, ++part, parts, slice);
        current = r.g;
        keep = include(...splitGroupKey(keyOf.get(current)!));
        parts = Math.ceil((lineCounts.get(current) ?? 0) / perPart);
        part = 0;
        slice = [];
      }
      if (!keep) continue;
      const d = this.departments.values[r.d]!;
      slice.push({
        accountId: this.accounts.values[r.a]!,
        departmentId: r.dnull ? null : d,
        cents: r.cents,
        sourceLines: r.lines.split(',').map(Number),
      });
      if (slice.length === perPart) {
        yield partJournal(o, keyOf.get(current)!, ++part, parts, slice);
        slice = [];
      }
    }
    if (keep && slice.length) yield partJournal(o, keyOf.get(current)!, ++part, parts, slice);
  }

  /** Closes and deletes the scratch file. */
  close(): void {
    if (this.db.open) this.db.close();
    fs.rmSync(this.file, { force: true });
  }

  private commit(): void {
    if (this.pending === 0) return;
    this.db.exec('COMMIT');
    this.pending = 0;
  }

  /**
   * Folds the values into lines once (table `l`: one row per group × account × department, its
   * sum, its first value and its source lines in value order) and writes the sort ranks. A bare
   * column beside min() takes the row of that minimum (SQLite's documented rule), so `dnull` is
   * the first value's, as the in-memory line keeps its first value's department.
   */
  private fold(): NonNullable<DiskPlanGrouping['folded']> {
    if (this.folded) return this.folded;
    this.commit();
    const groupKeys = [...this.groups.keys()].sort(cmp);
    this.db.exec('BEGIN');
    this.db.exec(
      `CREATE TABLE l AS
         SELECT g, a, d, dnull, MIN(seq) AS first, SUM(cents) AS cents, group_concat(line, ',' ORDER BY seq) AS lines
           FROM v GROUP BY g, a, d;
       DROP TABLE v;
       CREATE TABLE gr (id INTEGER PRIMARY KEY, rank INTEGER NOT NULL);
       CREATE TABLE ar (id INTEGER PRIMARY KEY, rank INTEGER NOT NULL);
       CREATE TABLE dr (id INTEGER PRIMARY KEY, rank INTEGER NOT NULL);`,
    );
    const rank = (table: string, pairs: Iterable<[number, number]>) => {
      const st = this.db.prepare(`INSERT INTO ${table} (id, rank) VALUES (?, ?)`);
      for (const [id, r] of pairs) st.run(id, r);
    };
    rank(
      'gr',
      groupKeys.map((k, i) => [this.groups.get(k)!.id, i]),
    );
    rank('ar', this.accounts.ranks(accountOrderKey));
    rank(
      'dr',
      this.departments.ranks((d) => d),
    );
    this.db.exec('COMMIT');
    const lineCounts = new Map<number, number>();
    for (const r of this.db
      .prepare('SELECT g, count(*) AS n FROM l WHERE cents != 0 GROUP BY g')
      .iterate() as Iterable<{
      g: number;
      n: number;
    }>)
      lineCounts.set(r.g, r.n);
    return (this.folded = { groupKeys, lineCounts });
  }
}
