/**
 * Audit trail (issue 6 item 4, docs/design.md §5) in SQLite (`.data/audit.db` by default, WAL):
 * one row per record moved and one per external call, append-only (audit-schema.ts). Answers
 * `ml-connector audit` and tells a replay which targets (journals) did not post.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AUDIT_SCHEMA } from './audit-schema';
import {
  AuditError,
  type AuditCall,
  type AuditCallInput,
  type AuditRecord,
  type AuditRecordInput,
  type AuditStore,
  type CallFilter,
  type CycleEvent,
  type CycleEventInput,
  type EventFilter,
  type LatestOutcome,
  type RecordFilter,
} from './audit-store';
import * as sql from './audit-queries';
import type { Outcome, RecordKind } from './audit-schema';
import { dataPaths } from '../../common/node/env';

export { CYCLE_EVENT_KINDS, OUTCOMES, RECORD_KINDS } from './audit-schema';
export type { CycleEventKind, Outcome, RecordKind } from './audit-schema';
export * from './audit-store';

/** This backend's placeholders; everything else about the SQL is in audit-queries.ts. */
const ph = sql.sqlitePlaceholder;

/**
 * Rows per INSERT statement in bulk appends. One statement per row spent most of a 1M-row audit
 * pass binding values call by call (~5.4 s of CPU per million rows against ~3.8 s in statements of 64;
 * 64 × 12 values stays far below SQLite's 32,766 bound parameters).
 */
const ROWS_PER_INSERT = 64;

export interface AuditTrailOptions {
  /** Default ML_CONNECTOR_AUDIT_DB or `.data/audit.db`. */
  file?: string;
  /** Open an existing database for queries only (the CLI). */
  readonly?: boolean;
  /** Rows per transaction in bulk appends. */
  batchSize?: number;
  now?: () => Date;
}

/** The embedded backend: async methods over better-sqlite3's synchronous calls. */
export class AuditTrail implements AuditStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly batchSize: number;
  private readonly now: () => Date;
  private readonly insertRecord?: Database.Statement;
  private readonly insertRecords?: Database.Statement;
  private readonly insertCall?: Database.Statement;
  private readonly insertEvent?: Database.Statement;
  /** Rows appendRecordsAsync inserted in the open transaction, not committed yet. */
  private streamed = 0;

  constructor(opts: AuditTrailOptions = {}) {
    this.file = opts.file ?? dataPaths().auditDb;
    this.batchSize = opts.batchSize ?? 10_000;
    this.now = opts.now ?? (() => new Date());
    if (opts.readonly) {
      this.db = new Database(this.file, { readonly: true, fileMustExist: true });
    } else {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.db = new Database(this.file);
      this.db.pragma('journal_mode = WAL');
      // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the
      // last transactions (sqlite.org/pragma.html#pragma_synchronous).
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      // Appends touch the last pages of each index; a 4 MiB page cache (better-sqlite3 defaults to 16) keeps
      // the worker's RSS flat through a 1M-row audit pass.
      this.db.pragma('cache_size = -4000');
      this.db.exec(AUDIT_SCHEMA);
      this.insertRecord = this.db.prepare(sql.insertRecordsSql(ph));
      this.insertRecords = this.db.prepare(sql.insertRecordsSql(ph, ROWS_PER_INSERT));
      this.insertCall = this.db.prepare(sql.insertCallSql(ph));
      this.insertEvent = this.db.prepare(sql.insertEventSql(ph));
    }
  }

  /**
   * Appends records in transactions of `batchSize` rows (1M rows: 100 commits). Returns the number
   * written. A bad row (unknown kind/outcome) aborts its batch; earlier batches stay committed.
   */
  async appendRecords(rows: Iterable<AuditRecordInput>): Promise<number> {
    const b = this.batcher();
    for (const row of rows) b.push(row);
    return b.finish();
  }

  /**
   * As appendRecords, for rows produced asynchronously (e.g. one per line of a streamed CSV). Each
   * row is inserted as it arrives, in transactions of `batchSize` rows, so no row outlives its
   * insert: holding 10,000-row batches across awaits let V8 promote them and grew a 1M-row pass's
   * heap by ~100 MB. A refused row stops the pass; the rows before it stay.
   */
  async appendRecordsAsync(rows: AsyncIterable<AuditRecordInput> | Iterable<AuditRecordInput>): Promise<number> {
    this.writable(this.insertRecord);
    const at = this.now().toISOString();
    let total = 0;
    /** Rows received and not inserted yet (at most ROWS_PER_INSERT): one multi-row INSERT. */
    let group: AuditRecordInput[] = [];
    let refused = false;
    const flush = () => {
      if (group.length === 0) return;
      const g = group;
      group = [];
      if (!this.db.inTransaction) this.db.exec('BEGIN');
      try {
        this.insertRows(g, total - g.length, at);
      } catch (e) {
        refused = true;
        throw e;
      }
      this.streamed += g.length;
      if (this.streamed >= this.batchSize) this.commitStreamed();
    };
    try {
      for await (const row of rows) {
        group.push(row);
        total++;
        if (group.length === ROWS_PER_INSERT) flush();
      }
      flush();
    } catch (err) {
      // The source failed (not a refused row): the rows it gave before that are kept, as one by one.
      if (!refused) flush();
      throw err;
    } finally {
      this.commitStreamed();
    }
    return total;
  }

  /** Commits the open streaming transaction, so other writes are durable on their own. */
  private commitStreamed(): void {
    if (this.streamed > 0 && this.db.inTransaction) this.db.exec('COMMIT');
    this.streamed = 0;
  }

  /** Collects rows and writes them `batchSize` at a time, one transaction per batch. */
  private batcher(): { push(row: AuditRecordInput): void; finish(): number } {
    let batch: AuditRecordInput[] = [];
    let total = 0;
    return {
      push: (row) => {
        batch.push(row);
        if (batch.length >= this.batchSize) {
          total += this.writeBatch(batch, total);
          batch = [];
        }
      },
      finish: () => {
        if (batch.length) total += this.writeBatch(batch, total);
        batch = [];
        return total;
      },
    };
  }

  async appendRecord(row: AuditRecordInput): Promise<void> {
    this.writeBatch([row], 0);
  }

  async appendCall(call: AuditCallInput): Promise<void> {
    const stmt = this.writable(this.insertCall);
    this.commitStreamed();
    stmt.run(...sql.callParams(call, this.now));
  }

  async queryRecords(filter: RecordFilter = {}): Promise<AuditRecord[]> {
    return this.all<AuditRecord>(sql.recordsPage(ph, filter));
  }

  async queryCalls(filter: CallFilter = {}): Promise<AuditCall[]> {
    return this.all<AuditCall>(sql.callsPage(ph, filter));
  }

  /** Row counts per outcome for a cycle (optionally one step); every outcome present, zero if none. */
  async countsByOutcome(cycleId: string, step?: string): Promise<Record<Outcome, number>> {
    return sql.countsFrom(this.all(sql.countsByOutcomeQuery(ph, cycleId, step)));
  }

  /**
   * The last recorded outcome per target (journal externalId / task id) of a step. A replay
   * re-sends the targets whose latest outcome is not `accepted`.
   */
  async latestOutcomeByTarget(
    cycleId: string,
    step: string,
    recordKind?: RecordKind,
  ): Promise<Map<string, LatestOutcome>> {
    return sql.latestFrom(this.all<sql.LatestOutcomeRow>(sql.latestOutcomeQuery(ph, cycleId, step, recordKind)));
  }

  /** Appends one cycle event (ledger write, approval decision); returns its id (the scope's order). */
  async appendEvent(e: CycleEventInput): Promise<number> {
    return Number(this.writable(this.insertEvent).run(...sql.eventParams(e, this.now)).lastInsertRowid);
  }

  async queryEvents(filter: EventFilter = {}): Promise<CycleEvent[]> {
    try {
      return this.all<CycleEvent>(sql.eventsPage(ph, filter));
    } catch (err) {
      // A database written before cycle events existed, opened read-only (the CLI): none recorded.
      if (/no such table: cycle_events/.test((err as Error).message)) return [];
      throw err;
    }
  }

  get location(): string {
    return this.file;
  }

  async close(): Promise<void> {
    if (this.db.open && !this.db.readonly) this.commitStreamed();
    this.db.close();
  }

  private writable(stmt: Database.Statement | undefined): Database.Statement {
    if (!stmt) throw new AuditError(`audit database ${this.file} was opened read-only`);
    return stmt;
  }

  private all<T>(q: sql.Query): T[] {
    return this.db.prepare(q.sql).all(...q.args) as T[];
  }

  private insertRow(stmt: Database.Statement, r: AuditRecordInput, at: string): void {
    stmt.run(...sql.recordParams(r, at, this.now));
  }

  /**
   * Inserts `rows` (numbered from `offset` + 1 in errors) in statements of ROWS_PER_INSERT, the rest
   * one by one, inside the caller's transaction. A refused row fails its whole statement (SQLite
   * rolls the statement back), so that group is inserted again row by row: the rows before the
   * refused one are kept and the error names it, as with one statement per row.
   */
  private insertRows(rows: AuditRecordInput[], offset: number, at: string): void {
    const one = this.writable(this.insertRecord);
    const many = this.writable(this.insertRecords);
    const single = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        try {
          this.insertRow(one, rows[i]!, at);
        } catch (e) {
          throw new AuditError(`audit record ${offset + i + 1} refused: ${(e as Error).message}`, { cause: e });
        }
      }
    };
    let i = 0;
    for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
      const params: unknown[] = [];
      for (let k = i; k < i + ROWS_PER_INSERT; k++)
        for (const v of sql.recordParams(rows[k]!, at, this.now)) params.push(v);
      try {
        many.run(params);
      } catch {
        single(i, i + ROWS_PER_INSERT);
      }
    }
    single(i, rows.length);
  }

  private writeBatch(batch: AuditRecordInput[], offset: number): number {
    const at = this.now().toISOString();
    this.writable(this.insertRecord);
    this.commitStreamed();
    this.db.transaction(() => this.insertRows(batch, offset, at))();
    return batch.length;
  }
}
