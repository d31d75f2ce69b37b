/**
 * Audit trail (issue 6 item 4, DESIGN.md §5) in SQLite (`.data/audit.db` by default, WAL):
 * one row per record moved and one per external call, append-only (audit-schema.ts). Answers
 * `ml-connector audit` and tells a replay which targets (journals) did not post.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { redactText } from '../http/redact';
import { AUDIT_SCHEMA, OUTCOMES, Outcome, RecordKind, type CycleEventKind } from './audit-schema';
import type { AuditStore, CallFilter, EventFilter } from './audit-store';
import { dataPaths } from '../../common/node/env';
import { StoreError } from './errors';

export { CYCLE_EVENT_KINDS, OUTCOMES, RECORD_KINDS } from './audit-schema';
export type { CycleEventKind, Outcome, RecordKind } from './audit-schema';
export type { AuditStore, CallFilter, EventFilter } from './audit-store';

export class AuditError extends StoreError {}

export interface AuditRecordInput {
  cycleId: string;
  step: string;
  recordKind: RecordKind;
  /** Query hash / export id plus row number, e.g. "q:9f2c…#41". */
  sourceRef?: string | null;
  artifactHash?: string | null;
  /** Anaplan task id, or the NetSuite journal externalId (the idempotency key). */
  targetRef?: string | null;
  targetInternalId?: string | null;
  outcome: Outcome;
  reason?: string | null;
  account?: string | null;
  /** Decimal amount; keep it a string to avoid float rounding. */
  amount?: string | number | null;
  /** Default: now. */
  at?: Date | string;
}

export interface AuditRecord {
  id: number;
  cycleId: string;
  step: string;
  recordKind: RecordKind;
  sourceRef: string | null;
  artifactHash: string | null;
  targetRef: string | null;
  targetInternalId: string | null;
  outcome: Outcome;
  reason: string | null;
  account: string | null;
  amount: string | null;
  at: string;
}

export interface AuditCallInput {
  system: string;
  method: string;
  /** Request path; redacted again here, so a token in a query string never lands on disk. */
  path: string;
  /** HTTP status; null when no response arrived. */
  status: number | null;
  attempt: number;
  durationMs: number;
  cycleId?: string | null;
  at?: Date | string;
}

export interface AuditCall extends Required<Omit<AuditCallInput, 'at' | 'cycleId'>> {
  id: number;
  cycleId: string | null;
  at: string;
}

export interface RecordFilter {
  cycleId?: string;
  step?: string;
  account?: string;
  /** NetSuite externalId / Anaplan task id (target_ref). */
  externalId?: string;
  outcome?: Outcome;
  recordKind?: RecordKind;
  /** Default 1000; rows come in insertion order. */
  limit?: number;
  /** Rows with id greater than this (paging). */
  afterId?: number;
}

export interface LatestOutcome {
  outcome: Outcome;
  reason: string | null;
  targetInternalId: string | null;
  at: string;
  id: number;
}

export interface CycleEventInput {
  cycleId: string;
  kind: CycleEventKind;
  scope?: string | null;
  actor?: string | null;
  note?: string | null;
  at?: Date | string;
}

export interface CycleEvent extends Required<Omit<CycleEventInput, 'at'>> {
  id: number;
  at: string;
}

export interface AuditTrailOptions {
  /** Default ML_CONNECTOR_AUDIT_DB or `.data/audit.db`. */
  file?: string;
  /** Open an existing database for queries only (the CLI). */
  readonly?: boolean;
  /** Rows per transaction in bulk appends. */
  batchSize?: number;
  now?: () => Date;
}

const RECORD_COLUMNS = `id, cycle_id AS cycleId, step, record_kind AS recordKind, source_ref AS sourceRef,
  artifact_hash AS artifactHash, target_ref AS targetRef, target_internal_id AS targetInternalId, outcome,
  reason, account, amount, at`;

/** A row's time as stored by both backends: ISO text, `now()` when the row gives none. */
export const iso = (at: Date | string | undefined, now: () => Date) =>
  at === undefined ? now().toISOString() : typeof at === 'string' ? at : at.toISOString();

/** One record's column values in insert order (cycle_id … at), shared by the SQLite and PostgreSQL backends. */
export function recordParams(r: AuditRecordInput, at: string, now: () => Date): unknown[] {
  return [
    r.cycleId,
    r.step,
    r.recordKind,
    r.sourceRef ?? null,
    r.artifactHash ?? null,
    r.targetRef ?? null,
    r.targetInternalId ?? null,
    r.outcome,
    r.reason ?? null,
    r.account ?? null,
    r.amount === undefined || r.amount === null ? null : String(r.amount),
    r.at === undefined ? at : iso(r.at, now),
  ];
}

/** The embedded backend: async methods over better-sqlite3's synchronous calls. */
export class AuditTrail implements AuditStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly batchSize: number;
  private readonly now: () => Date;
  private readonly insertRecord?: Database.Statement;
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
      this.insertRecord = this.db.prepare(
        `INSERT INTO records (cycle_id, step, record_kind, source_ref, artifact_hash, target_ref, target_internal_id,
           outcome, reason, account, amount, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.insertCall = this.db.prepare(
        `INSERT INTO calls (system, method, path, status, attempt, duration_ms, cycle_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.insertEvent = this.db.prepare(
        `INSERT INTO cycle_events (cycle_id, kind, scope, actor, note, at) VALUES (?, ?, ?, ?, ?, ?)`,
      );
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
    const stmt = this.writable(this.insertRecord);
    const at = this.now().toISOString();
    let total = 0;
    try {
      for await (const row of rows) {
        if (!this.db.inTransaction) this.db.exec('BEGIN');
        try {
          this.insertRow(stmt, row, at);
        } catch (e) {
          throw new AuditError(`audit record ${total + 1} refused: ${(e as Error).message}`, { cause: e });
        }
        total++;
        if (++this.streamed >= this.batchSize) this.commitStreamed();
      }
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
    stmt.run(
      call.system,
      call.method,
      redactText(call.path),
      call.status,
      call.attempt,
      Math.round(call.durationMs),
      call.cycleId ?? null,
      iso(call.at, this.now),
    );
  }

  async queryRecords(filter: RecordFilter = {}): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const eq = (col: string, v: unknown) => {
      if (v !== undefined) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    };
    eq('cycle_id', filter.cycleId);
    eq('step', filter.step);
    eq('account', filter.account);
    eq('target_ref', filter.externalId);
    eq('outcome', filter.outcome);
    eq('record_kind', filter.recordKind);
    if (filter.afterId !== undefined) {
      where.push('id > ?');
      args.push(filter.afterId);
    }
    const sql = `SELECT ${RECORD_COLUMNS} FROM records ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT ?`;
    return this.db.prepare(sql).all(...args, filter.limit ?? 1000) as AuditRecord[];
  }

  async queryCalls(filter: CallFilter = {}): Promise<AuditCall[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, v] of [
      ['cycle_id', filter.cycleId],
      ['system', filter.system],
    ] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ?`);
      args.push(v);
    }
    const sql = `SELECT id, system, method, path, status, attempt, duration_ms AS durationMs, cycle_id AS cycleId, at
      FROM calls ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT ?`;
    return this.db.prepare(sql).all(...args, filter.limit ?? 1000) as AuditCall[];
  }

  /** Row counts per outcome for a cycle (optionally one step); every outcome present, zero if none. */
  async countsByOutcome(cycleId: string, step?: string): Promise<Record<Outcome, number>> {
    const rows = this.db
      .prepare(
        `SELECT outcome, COUNT(*) AS n FROM records WHERE cycle_id = ? ${step === undefined ? '' : 'AND step = ?'} GROUP BY outcome`,
      )
      .all(...(step === undefined ? [cycleId] : [cycleId, step])) as Array<{ outcome: Outcome; n: number }>;
    const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const r of rows) out[r.outcome] = r.n;
    return out;
  }

  /**
   * The last recorded outcome per target (journal externalId / task id) of a step. A replay
   * re-sends the targets whose latest outcome is not `accepted`; later rows supersede earlier ones
   * because the table only grows.
   */
  async latestOutcomeByTarget(
    cycleId: string,
    step: string,
    recordKind?: RecordKind,
  ): Promise<Map<string, LatestOutcome>> {
    const kind = recordKind === undefined ? '' : 'AND record_kind = ?';
    const args = recordKind === undefined ? [cycleId, step] : [cycleId, step, recordKind];
    const rows = this.db
      .prepare(
        `SELECT r.target_ref AS targetRef, r.outcome, r.reason, r.target_internal_id AS targetInternalId, r.at, r.id
         FROM records r JOIN (
           SELECT MAX(id) AS id FROM records
           WHERE cycle_id = ? AND step = ? AND target_ref IS NOT NULL ${kind} GROUP BY target_ref
         ) m ON r.id = m.id ORDER BY r.id`,
      )
      .all(...args) as Array<LatestOutcome & { targetRef: string }>;
    return new Map(rows.map(({ targetRef, ...rest }) => [targetRef, rest]));
  }

  /** Appends one cycle event (ledger write, approval decision); returns its id (the scope's order). */
  async appendEvent(e: CycleEventInput): Promise<number> {
    const info = this.writable(this.insertEvent).run(
      e.cycleId,
      e.kind,
      e.scope ?? null,
      e.actor ?? null,
      e.note ?? null,
      iso(e.at, this.now),
    );
    return Number(info.lastInsertRowid);
  }

  async queryEvents(filter: EventFilter = {}): Promise<CycleEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, v] of [
      ['cycle_id', filter.cycleId],
      ['scope', filter.scope],
      ['kind', filter.kind],
    ] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ?`);
      args.push(v);
    }
    if (filter.afterId !== undefined) {
      where.push('id > ?');
      args.push(filter.afterId);
    }
    const sql = `SELECT id, cycle_id AS cycleId, kind, scope, actor, note, at FROM cycle_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT ?`;
    try {
      return this.db.prepare(sql).all(...args, filter.limit ?? 1000) as CycleEvent[];
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

  private insertRow(stmt: Database.Statement, r: AuditRecordInput, at: string): void {
    stmt.run(...recordParams(r, at, this.now));
  }

  private writeBatch(batch: AuditRecordInput[], offset: number): number {
    const stmt = this.writable(this.insertRecord);
    const at = this.now().toISOString();
    this.commitStreamed();
    let i = 0;
    try {
      this.db.transaction(() => {
        for (; i < batch.length; i++) this.insertRow(stmt, batch[i]!, at);
      })();
    } catch (e) {
      throw new AuditError(`audit record ${offset + i + 1} refused: ${(e as Error).message}`, { cause: e });
    }
    return batch.length;
  }
}
