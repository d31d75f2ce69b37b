/**
 * Audit trail on PostgreSQL (issue 14 item 2), selected by ML_CONNECTOR_AUDIT_DB=postgres://…: the
 * same contract as the SQLite trail (AuditStore) over a node-postgres pool, so workers on several
 * hosts share one append-only trail. The schema is applied by `ml-connector audit migrate`
 * (audit-pg-schema.ts); a store whose database is not migrated refuses with that command named.
 */
import pg from 'pg';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './audit-pg-schema';
import * as sql from './audit-queries';
import type { Outcome, RecordKind } from './audit-schema';
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

/** This backend's placeholders; everything else about the SQL is in audit-queries.ts. */
const ph = sql.pgPlaceholder;

export interface PgAuditStoreOptions {
  url: string;
  /** Queries only (the CLI): appends are refused. */
  readonly?: boolean;
  /** Rows per transaction in bulk appends (as SQLite's batchSize). */
  batchSize?: number;
  /** Rows per multi-row INSERT statement (12 parameters each; bounded memory while streaming). */
  chunkRows?: number;
  poolSize?: number;
  now?: () => Date;
}

const INT8_OID = 20;

export const isPostgresUrl = (spec: string | undefined): spec is string => !!spec && /^postgres(ql)?:\/\//i.test(spec);

/** The URL without its password (and without query parameters, which may carry one). */
export function redactDbUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export class PgAuditStore implements AuditStore {
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly readonly: boolean;
  private readonly batchSize: number;
  private readonly chunkRows: number;
  private readonly now: () => Date;
  private schemaChecked?: Promise<void>;
  /** Writes not awaited by their caller (the HTTP call observer); close() waits for them. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(opts: PgAuditStoreOptions) {
    this.location = redactDbUrl(opts.url);
    this.readonly = opts.readonly ?? false;
    this.batchSize = opts.batchSize ?? 10_000;
    this.chunkRows = Math.max(1, Math.min(opts.chunkRows ?? 500, Math.floor(65_535 / sql.RECORD_PARAMS)));
    this.now = opts.now ?? (() => new Date());
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 4,
      // BIGINT ids and COUNT(*) as numbers (the SQLite trail answers numbers); ids stay far below 2^53.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the worker; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Applies pending migrations (one transaction each, serialised by an advisory lock); returns the versions applied. */
  async migrate(): Promise<number[]> {
    const client = await this.connect();
    const applied: number[] = [];
    try {
      await client.query('BEGIN');
      // One migrator at a time across hosts: the lock ends with the transaction.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['ml-connector audit migrate']);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      for (const m of PG_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new AuditError(`audit migration on ${this.location} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
    this.schemaChecked = Promise.resolve();
    return applied;
  }

  /** The schema version recorded in the database (0: never migrated). */
  async schemaVersion(): Promise<number> {
    try {
      const r = await this.pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      return r.rows[0]?.v ?? 0;
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return 0;
      throw new AuditError(`audit database ${this.location} unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  async appendRecord(row: AuditRecordInput): Promise<void> {
    await this.appendRecords([row]);
  }

  /** Bulk append: one transaction per `batchSize` rows, multi-row INSERTs of `chunkRows`. A bad row aborts its batch; earlier batches stay. */
  async appendRecords(rows: Iterable<AuditRecordInput>): Promise<number> {
    return this.stream(rows, 'batch');
  }

  /** As appendRecords for rows arriving asynchronously; a refused row stops the pass and the rows before it stay. */
  async appendRecordsAsync(rows: AsyncIterable<AuditRecordInput> | Iterable<AuditRecordInput>): Promise<number> {
    return this.stream(rows, 'keep-before');
  }

  appendCall(call: AuditCallInput): Promise<void> {
    const p = (async () => {
      this.writable();
      await this.ready();
      await this.pool.query(sql.insertCallSql(ph), sql.callParams(call, this.now));
    })();
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async queryRecords(filter: RecordFilter = {}): Promise<AuditRecord[]> {
    return this.select<AuditRecord>(sql.recordsPage(ph, filter));
  }

  async queryCalls(filter: CallFilter = {}): Promise<AuditCall[]> {
    return this.select<AuditCall>(sql.callsPage(ph, filter));
  }

  async countsByOutcome(cycleId: string, step?: string): Promise<Record<Outcome, number>> {
    return sql.countsFrom(await this.select(sql.countsByOutcomeQuery(ph, cycleId, step)));
  }

  async latestOutcomeByTarget(
    cycleId: string,
    step: string,
    recordKind?: RecordKind,
  ): Promise<Map<string, LatestOutcome>> {
    return sql.latestFrom(
      await this.select<sql.LatestOutcomeRow>(sql.latestOutcomeQuery(ph, cycleId, step, recordKind)),
    );
  }

  async appendEvent(e: CycleEventInput): Promise<number> {
    this.writable();
    await this.ready();
    const r = await this.pool.query<{ id: number }>(
      `${sql.insertEventSql(ph)} RETURNING id`,
      sql.eventParams(e, this.now),
    );
    return r.rows[0]!.id;
  }

  async queryEvents(filter: EventFilter = {}): Promise<CycleEvent[]> {
    return this.select<CycleEvent>(sql.eventsPage(ph, filter));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    await this.pool.end();
  }

  private writable(): void {
    if (this.readonly) throw new AuditError(`audit database ${this.location} was opened read-only`);
  }

  /** Checked once per store: an unmigrated database is refused with the command that fixes it. */
  private ready(): Promise<void> {
    this.schemaChecked ??= this.schemaVersion().then((v) => {
      if (v < PG_SCHEMA_VERSION) {
        throw new AuditError(
          `audit database ${this.location} is at schema version ${v}, this connector needs ${PG_SCHEMA_VERSION}: run \`ml-connector audit migrate\``,
        );
      }
    });
    this.schemaChecked.catch(() => {
      this.schemaChecked = undefined;
    });
    return this.schemaChecked;
  }

  private async select<T extends object>(q: sql.Query): Promise<T[]> {
    await this.ready();
    return (await this.pool.query<T>(q.sql, q.args)).rows;
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw new AuditError(`audit database ${this.location} unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Inserts rows as they arrive in multi-row INSERTs of `chunkRows` (the only rows held in memory),
   * committing every `batchSize` rows. Rows are checked here first so a refusal names its row.
   * `batch`: a refused row rolls back its whole batch (as SQLite's appendRecords); `keep-before`:
   * the rows before it are committed (as appendRecordsAsync).
   */
  private async stream(
    rows: AsyncIterable<AuditRecordInput> | Iterable<AuditRecordInput>,
    onRefusal: 'batch' | 'keep-before',
  ): Promise<number> {
    this.writable();
    await this.ready();
    const at = this.now().toISOString();
    const client = await this.connect();
    let chunk: unknown[] = [];
    let inChunk = 0;
    let inTx = 0;
    let total = 0;
    let open = false;
    const flush = async () => {
      if (inChunk === 0) return;
      try {
        await client.query(sql.insertRecordsSql(ph, inChunk), chunk);
      } catch (e) {
        throw new AuditError(`audit records ${total - inChunk + 1}–${total} refused: ${(e as Error).message}`, {
          cause: e,
        });
      }
      chunk = [];
      inChunk = 0;
    };
    try {
      for await (const row of rows) {
        const bad = sql.recordProblem(row);
        if (bad) {
          if (onRefusal === 'keep-before') {
            await flush();
            if (open) await client.query('COMMIT');
            open = false;
          }
          throw new AuditError(`audit record ${total + 1} refused: ${bad}`);
        }
        if (!open) {
          await client.query('BEGIN');
          open = true;
        }
        chunk.push(...sql.recordParams(row, at, this.now));
        inChunk++;
        inTx++;
        total++;
        if (inChunk >= this.chunkRows) await flush();
        if (inTx >= this.batchSize) {
          await flush();
          await client.query('COMMIT');
          open = false;
          inTx = 0;
        }
      }
      await flush();
      if (open) await client.query('COMMIT');
      open = false;
      return total;
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
}
