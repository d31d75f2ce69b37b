/**
 * What moves through workflow history: IDs, counts, hashes of stored artifacts. Never rows, never
 * secrets (docs/design.md §4). Shared by workflows (types and the option bounds), activities, CLI and tests.
 */
import type { CycleKind } from './ids';
import type { ConnectionConfig, DimensionName } from './config';

export interface PeriodInfo {
  /** YYYY-MM */
  period: string;
  id: string;
  name: string;
  startDate: string;
  endDate: string;
  closed: boolean;
  /**
   * `alllocked` (docs/netsuite.md §8.2): no GL posting, so no plan journals — treated like closed for posting.
   * Absent in results recorded before locks were read.
   */
  locked?: boolean;
}

export interface CycleInput {
  config: ConnectionConfig;
  /** YYYY-MM; the month whose actuals are imported. */
  period: string;
  kind: CycleKind;
  options?: CycleOptions;
  /** Run up to the journal diff, store it, and end without writing to NetSuite. */
  dryRun?: boolean;
}

export interface CycleOptions {
  /** Journals per postJournals activity (pause takes effect between batches). */
  journalBatchSize?: number;
  /** Backstop for a lock holder that died without releasing. */
  lockLeaseMs?: number;
  /** Activity timeouts scale with data size; big runs may raise them. */
  activityTimeoutMs?: number;
  heartbeatTimeoutMs?: number;
}

/**
 * Bounds of a lock lease (model, file and ledger locks). The lease is the backstop for a holder that
 * died; a holder that outlives it is told and takes the lock again. Above the maximum, a dead
 * holder would block every other cycle of the model for more than a working day.
 */
export const LOCK_LEASE_MIN_MS = 1_000;
export const LOCK_LEASE_MAX_MS = 12 * 60 * 60_000;
export const LOCK_LEASE_DEFAULT_MS = 2 * 60 * 60_000;

/** The refusal of bad cycle options, naming the option and the bound (undefined when fine). */
export function cycleOptionsProblem(options: CycleOptions | undefined): string | undefined {
  const lease = options?.lockLeaseMs;
  if (lease !== undefined && !(Number.isInteger(lease) && lease >= LOCK_LEASE_MIN_MS && lease <= LOCK_LEASE_MAX_MS)) {
    return `lockLeaseMs must be an integer from ${LOCK_LEASE_MIN_MS} to ${LOCK_LEASE_MAX_MS} ms (got ${lease})`;
  }
  return undefined;
}

export interface PreflightResult {
  periodInfo: PeriodInfo;
  anaplanPeriodCode: string;
  /** All NetSuite months (YYYY-MM → info), for plan periods. */
  periods: PeriodInfo[];
  /** Hash of the import/export definitions read at preflight (a changed definition fails fast). */
  definitionHash: string;
  warnings: string[];
  certificateExpiresAt?: string;
  /** The account's journal approval mode as preflight read it (cycles that post journals only). */
  journalApproval?: { mode: 'routing' | 'checkbox' | 'unknown'; detail: string };
}

export interface DimensionCounts {
  members: number;
  mapped: number;
  unmapped: number;
  outOfScope: number;
  imported: number;
  rejected: number;
}

export interface AlignResult {
  memberMapsHash: string;
  quarantineHash: string | null;
  dimensions: Record<DimensionName, DimensionCounts>;
  anaplanTaskIds: string[];
}

export interface ExtractResult {
  csvHash: string;
  rows: number;
  quarantined: number;
  outOfScope: number;
  quarantineHash: string | null;
  /** Sum of amounts written to the CSV, and of quarantined rows, in cents. */
  csvCents: number;
  quarantinedCents: number;
  /** NetSuite's own total for the same scope (separate SUM query), for the tie-out. */
  netsuiteCents: number;
  pages: number;
  /** Chunks uploaded to the import's data source during the extraction (`uploadTo`). */
  uploadedChunks?: number;
}

export interface ImportResult {
  taskId: string;
  fileBytes: number;
  chunks: number;
  rowsImported: number;
  rowsRejected: number;
  dumpHash: string | null;
  rejectedCents: number;
  successful: boolean;
}

export interface ExportResult {
  taskId: string;
  exportHash: string;
  rows: number;
  bytes: number;
}

export interface PreparePlanResult {
  journalsHash: string;
  journals: number;
  /** Plan journals in NetSuite this plan no longer needs; deleted after the planned ones are posted. */
  retire?: number;
  /** Why stale journals could not be looked for, when they could not. */
  warning?: string;
  values: number;
  quarantined: number;
  quarantineHash: string | null;
  skippedClosedPeriods: number;
  /** Plan values not posted because their period is locked (`alllocked`) in NetSuite. */
  skippedLockedPeriods?: number;
  /** The locked months those values were in (YYYY-MM). */
  lockedMonths?: string[];
  planCents: number;
  /** Scopes the plan does not speak for: nothing deleted there (README "What is retired when"). */
  frozenScopes?: number;
  /** The first frozen scopes (all of them are in the audit trail, step exportPlan). */
  frozen?: FrozenScope[];
  /** Ledger journals that would have been retired but stay because their scope is frozen. */
  keptJournals?: number;
  /** Mapped plan values not posted because their scope is frozen (a partial journal would overwrite). */
  heldValues?: number;
}

/** A version × month × NetSuite subsidiary the plan does not speak for; `*` = every month / subsidiary. */
export interface FrozenScope {
  version: string;
  period: string;
  subsidiaryId: string;
  reason: string;
}

export interface PostJournalsResult {
  posted: number;
  updated: number;
  unchanged: number;
  /** Stale plan journals deleted (absent in results recorded before this field existed). */
  retired?: number;
  failed: number;
  failures: Array<{ externalId: string; reason: string }>;
}

export interface TieOut {
  netsuiteCents: number;
  loadedCents: number;
  quarantinedCents: number;
  rejectedCents: number;
  /** netsuite = loaded + quarantined + rejected */
  balanced: boolean;
}

export interface CycleSummary {
  workflowId: string;
  period: string;
  kind: CycleKind;
  status: 'completed' | 'failed';
  align?: AlignResult;
  extract?: ExtractResult;
  import?: ImportResult;
  export?: ExportResult;
  plan?: PreparePlanResult;
  journals?: PostJournalsResult;
  tieOut?: TieOut;
  quarantined: number;
  warnings: string[];
  /** Manual approval or dry run: the diff shown and what was decided (absent with approval auto). */
  approval?: ApprovalOutcome;
}

export type JournalDiffAction = 'create' | 'update' | 'unchanged' | 'retire';

/** The diff artifact (`cycle diff`): per journal, and summed per subsidiary × period × version. */
export interface JournalDiff {
  cycleId: string;
  journalsHash: string;
  counts: Record<JournalDiffAction, number>;
  rows: Array<
    { subsidiaryId: string; period: string; version: string; planCents: number; ledgerCents: number } & Record<
      JournalDiffAction,
      number
    >
  >;
  journals: Array<{
    externalId: string;
    action: JournalDiffAction;
    subsidiaryId: string;
    period: string;
    version: string;
    debitCents: number;
    ledgerDebitCents: number;
  }>;
}

/** What history carries of a diff: its artifact hash, counts and totals. */
export interface JournalDiffResult {
  diffHash: string;
  counts: Record<JournalDiffAction, number>;
  /** Debits of the planned journals, and of the ledger's current versions of the journals concerned. */
  planCents: number;
  ledgerCents: number;
}

export interface ApprovalOutcome {
  state: 'waiting' | 'approved' | 'rejected' | 'expired' | 'dry-run';
  diff: JournalDiffResult;
  by?: string;
  note?: string;
  at?: string;
}

/** Artifact hashes a cycle produced (kept in its memo for replay). */
export interface CycleArtifacts {
  memberMapsHash?: string;
  csvHash?: string;
  csvRows?: number;
  exportHash?: string;
  journalsHash?: string;
  journals?: number;
  /** The journal diff shown for approval / dry run (`cycle diff`). */
  diffHash?: string;
}

export type ReplayableStep = 'importActuals' | 'postJournals';

export interface ReplayInput {
  config: ConnectionConfig;
  /** The cycle whose step is re-sent: audit rows and idempotency keys stay the same. */
  cycleId: string;
  step: ReplayableStep;
  artifacts: CycleArtifacts;
  options?: CycleOptions;
  /** When the replayed cycle started (ISO): with no ledger write of its own on record, writes by other cycles after this are newer. */
  since?: string;
}
