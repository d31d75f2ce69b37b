/**
 * The audit trail's contract (DESIGN.md §5), shared by the embedded SQLite backend (audit.ts) and
 * the PostgreSQL one. Every method is async because a networked database can only answer that way;
 * the SQLite backend runs each call synchronously inside the promise, so its ordering is unchanged.
 */
import type {
  AuditCall,
  AuditCallInput,
  AuditRecord,
  AuditRecordInput,
  CycleEvent,
  CycleEventInput,
  LatestOutcome,
  RecordFilter,
} from './audit';
import type { CycleEventKind, Outcome, RecordKind } from './audit-schema';

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
