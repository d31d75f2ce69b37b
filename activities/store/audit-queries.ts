/**
 * The audit trail's SQL, written once for both backends (audit.ts on SQLite, audit-pg.ts on
 * PostgreSQL): the filters, the query shapes, the column → field names, paging and the values each
 * insert binds. A backend supplies only its placeholder style (`?` or `$n`) and runs the statements
 * in its own transactions. Column aliases are double-quoted, which both dialects read as the exact
 * (camel-case) field name, so a row comes back as its record without any mapping.
 */
import { redactText } from '../http/redact';
import { OUTCOMES, RECORD_KINDS, type Outcome, type RecordKind } from './audit-schema';
import type {
  AuditCallInput,
  AuditRecordInput,
  CallFilter,
  CycleEventInput,
  EventFilter,
  LatestOutcome,
  RecordFilter,
} from './audit-store';

/** The n-th (1-based) bound value of a statement, as the dialect spells it. */
export type Placeholder = (n: number) => string;
export const sqlitePlaceholder: Placeholder = () => '?';
export const pgPlaceholder: Placeholder = (n) => `$${n}`;

export interface Query {
  sql: string;
  args: unknown[];
}

/** Rows per page when a filter sets no limit. */
export const DEFAULT_PAGE = 1000;

const RECORD_COLUMNS = `id, cycle_id AS "cycleId", step, record_kind AS "recordKind", source_ref AS "sourceRef",
  artifact_hash AS "artifactHash", target_ref AS "targetRef", target_internal_id AS "targetInternalId", outcome,
  reason, account, amount, at`;
const CALL_COLUMNS = `id, system, method, path, status, attempt, duration_ms AS "durationMs", cycle_id AS "cycleId", at`;
const EVENT_COLUMNS = `id, cycle_id AS "cycleId", kind, scope, actor, note, at`;

const RECORD_INSERT_COLUMNS = [
  'cycle_id',
  'step',
  'record_kind',
  'source_ref',
  'artifact_hash',
  'target_ref',
  'target_internal_id',
  'outcome',
  'reason',
  'account',
  'amount',
  'at',
] as const;
const CALL_INSERT_COLUMNS = ['system', 'method', 'path', 'status', 'attempt', 'duration_ms', 'cycle_id', 'at'] as const;
const EVENT_INSERT_COLUMNS = ['cycle_id', 'kind', 'scope', 'actor', 'note', 'at'] as const;

/** Values bound by one record insert (12). */
export const RECORD_PARAMS = RECORD_INSERT_COLUMNS.length;

/** Collects bound values and hands back each one's placeholder. */
class Binder {
  readonly args: unknown[] = [];
  constructor(private readonly ph: Placeholder) {}
  bind(v: unknown): string {
    this.args.push(v);
    return this.ph(this.args.length);
  }
}

/** `WHERE` over the conditions, each `column = value` for every value given; '' when none. */
function where(b: Binder, equals: Array<[string, unknown]>, extra: string[] = []): string {
  const conds = [...extra];
  for (const [col, v] of equals) if (v !== undefined) conds.push(`${col} = ${b.bind(v)}`);
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}

/** A page query: its table and columns, and which filter field matches which column. */
interface PageSpec<F> {
  table: string;
  columns: string;
  filters: { [K in keyof F]?: string };
}

const RECORDS: PageSpec<RecordFilter> = {
  table: 'records',
  columns: RECORD_COLUMNS,
  filters: {
    cycleId: 'cycle_id',
    step: 'step',
    account: 'account',
    externalId: 'target_ref',
    outcome: 'outcome',
    recordKind: 'record_kind',
  },
};
const CALLS: PageSpec<CallFilter> = {
  table: 'calls',
  columns: CALL_COLUMNS,
  filters: { cycleId: 'cycle_id', system: 'system' },
};
const EVENTS: PageSpec<EventFilter> = {
  table: 'cycle_events',
  columns: EVENT_COLUMNS,
  filters: { cycleId: 'cycle_id', scope: 'scope', kind: 'kind' },
};

/** One page of a table in id order: rows whose columns equal the filter's values, after `afterId`, at most `limit`. */
function page<F extends { afterId?: number; limit?: number }>(ph: Placeholder, spec: PageSpec<F>, filter: F): Query {
  const b = new Binder(ph);
  const extra = filter.afterId === undefined ? [] : [`id > ${b.bind(filter.afterId)}`];
  const equals = Object.entries(spec.filters).map(
    ([field, col]) => [col, filter[field as keyof F]] as [string, unknown],
  );
  const w = where(b, equals, extra);
  const sql = `SELECT ${spec.columns} FROM ${spec.table} ${w} ORDER BY id LIMIT ${b.bind(filter.limit ?? DEFAULT_PAGE)}`;
  return { sql, args: b.args };
}

export const recordsPage = (ph: Placeholder, f: RecordFilter = {}): Query => page(ph, RECORDS, f);
export const callsPage = (ph: Placeholder, f: CallFilter = {}): Query => page(ph, CALLS, f);
export const eventsPage = (ph: Placeholder, f: EventFilter = {}): Query => page(ph, EVENTS, f);

/** Rows per outcome of a cycle (optionally one step); read the answer with `countsFrom`. */
export function countsByOutcomeQuery(ph: Placeholder, cycleId: string, step?: string): Query {
  const b = new Binder(ph);
  const w = where(b, [
    ['cycle_id', cycleId],
    ['step', step],
  ]);
  return { sql: `SELECT outcome, COUNT(*) AS n FROM records ${w} GROUP BY outcome`, args: b.args };
}

/** Every outcome present, zero where the query found none. */
export function countsFrom(rows: Array<{ outcome: Outcome; n: number }>): Record<Outcome, number> {
  const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of rows) out[r.outcome] = r.n;
  return out;
}

export type LatestOutcomeRow = LatestOutcome & { targetRef: string };

/**
 * The last row per target of a step: later rows supersede earlier ones because the table only
 * grows, so the highest id per target_ref is its current outcome. Read the answer with `latestFrom`.
 */
export function latestOutcomeQuery(ph: Placeholder, cycleId: string, step: string, recordKind?: RecordKind): Query {
  const b = new Binder(ph);
  const w = where(
    b,
    [
      ['cycle_id', cycleId],
      ['step', step],
      ['record_kind', recordKind],
    ],
    ['target_ref IS NOT NULL'],
  );
  const sql = `SELECT r.target_ref AS "targetRef", r.outcome, r.reason, r.target_internal_id AS "targetInternalId", r.at, r.id
     FROM records r JOIN (SELECT MAX(id) AS id FROM records ${w} GROUP BY target_ref) m ON r.id = m.id ORDER BY r.id`;
  return { sql, args: b.args };
}

export const latestFrom = (rows: LatestOutcomeRow[]): Map<string, LatestOutcome> =>
  new Map(rows.map(({ targetRef, ...rest }) => [targetRef, rest]));

/** `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows. */
function insertSql(ph: Placeholder, table: string, columns: readonly string[], rows = 1): string {
  const values = Array.from(
    { length: rows },
    (_, r) => `(${columns.map((_, c) => ph(r * columns.length + c + 1)).join(', ')})`,
  );
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`;
}

export const insertRecordsSql = (ph: Placeholder, rows = 1) => insertSql(ph, 'records', RECORD_INSERT_COLUMNS, rows);
export const insertCallSql = (ph: Placeholder) => insertSql(ph, 'calls', CALL_INSERT_COLUMNS);
export const insertEventSql = (ph: Placeholder) => insertSql(ph, 'cycle_events', EVENT_INSERT_COLUMNS);

/** A row's time as stored by both backends: ISO text, `now()` when the row gives none. */
export const iso = (at: Date | string | undefined, now: () => Date) =>
  at === undefined ? now().toISOString() : typeof at === 'string' ? at : at.toISOString();

/** One record's values in insert order; `at` is the batch's time, used when the row gives none. */
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

/** One call's values in insert order; the path is redacted again so a token in a query string never lands on disk. */
export const callParams = (call: AuditCallInput, now: () => Date): unknown[] => [
  call.system,
  call.method,
  redactText(call.path),
  call.status,
  call.attempt,
  Math.round(call.durationMs),
  call.cycleId ?? null,
  iso(call.at, now),
];

export const eventParams = (e: CycleEventInput, now: () => Date): unknown[] => [
  e.cycleId,
  e.kind,
  e.scope ?? null,
  e.actor ?? null,
  e.note ?? null,
  iso(e.at, now),
];

/**
 * Why the database would refuse a record, checked before it is sent so the refusal names its row
 * (a multi-row INSERT's error does not); null when it is acceptable.
 */
export function recordProblem(r: AuditRecordInput): string | null {
  if (typeof r.cycleId !== 'string' || !r.cycleId) return 'cycleId missing';
  if (typeof r.step !== 'string' || !r.step) return 'step missing';
  if (!(RECORD_KINDS as readonly string[]).includes(r.recordKind))
    return `recordKind ${JSON.stringify(r.recordKind)} is not one of ${RECORD_KINDS.join(', ')}`;
  if (!(OUTCOMES as readonly string[]).includes(r.outcome))
    return `outcome ${JSON.stringify(r.outcome)} is not one of ${OUTCOMES.join(', ')}`;
  return null;
}
