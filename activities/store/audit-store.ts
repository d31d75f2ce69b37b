/**
 * The audit trail's contract (docs/design.md §5), shared by the embedded SQLite backend (audit.ts) and
 * the PostgreSQL one. Every method is async because a networked database can only answer that way;
 * the SQLite backend runs each call synchronously inside the promise, so its ordering is unchanged.
 */
import type { CycleEventKind, Outcome, RecordKind } from './audit-schema';
import { StoreError } from './errors';

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

export interface CallFilter {
  cycleId?: string;
  system?: string;
  limit?: number;
}

export interface EventFilter {
  cycleId?: string;
  scope?: string;
  kind?: CycleEventKind;
  afterId?: number;
  limit?: number;
}

export interface AuditStore {
  /** Where the trail lives, safe to print (a database URL without its password). */
  readonly location: string;
  appendRecord(row: AuditRecordInput): Promise<void>;
  /** Bulk append in transactions of a bounded batch size; returns the rows written. */
  appendRecords(rows: Iterable<AuditRecordInput>): Promise<number>;
  /** Streams rows as they arrive without holding them all (1M-row audit passes stay flat in memory). */
  appendRecordsAsync(rows: AsyncIterable<AuditRecordInput> | Iterable<AuditRecordInput>): Promise<number>;
  appendCall(call: AuditCallInput): Promise<void>;
  queryRecords(filter?: RecordFilter): Promise<AuditRecord[]>;
  queryCalls(filter?: CallFilter): Promise<AuditCall[]>;
  countsByOutcome(cycleId: string, step?: string): Promise<Record<Outcome, number>>;
  latestOutcomeByTarget(cycleId: string, step: string, recordKind?: RecordKind): Promise<Map<string, LatestOutcome>>;
  /** Appends one cycle event; returns its id (the order of events within a scope). */
  appendEvent(e: CycleEventInput): Promise<number>;
  queryEvents(filter?: EventFilter): Promise<CycleEvent[]>;
  close(): Promise<void>;
}
