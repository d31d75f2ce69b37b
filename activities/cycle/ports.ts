/**
 * What the cycle's activities need from each system, narrowed to the calls they make. The worker
 * adapts the production clients (activities/netsuite, activities/anaplan) to these; the step code
 * stays readable and the adapters are the one place that knows each client's method names.
 */
import type { Readable } from 'node:stream';
import type { AnaplanItem } from '../mapping/dimensions';
import type { ApprovalModeReading } from '../netsuite/approval-mode';

export type SuiteQlRow = Record<string, string | null>;

export interface NetSuitePort {
  /** All rows of a query, page by page, past the 100,000-row offset ceiling (keyset on `keyColumn`). */
  query(sql: string, opts?: { signal?: AbortSignal }): AsyncIterable<SuiteQlRow[]>;
  /**
   * Keyset-paged query: `build(after)` returns SQL selecting rows with key > after, ordered by key.
   * Used for large scans; the last key is the resumable cursor.
   */
  queryKeyset(
    build: (afterKey: string | null) => string,
    key: (row: SuiteQlRow) => string,
    opts?: { signal?: AbortSignal; startAfter?: string | null },
  ): AsyncIterable<SuiteQlRow[]>;
  /**
   * Creates (PUT …/eid:X) or, with `exists`, replaces the lines of (PATCH …/eid:X?replace=line) a
   * journal, then reads it back and compares; one repair on a difference. `repaired` names what the
   * first write got wrong. Throws a non-retryable error when the ledger still differs.
   */
  upsertJournal(
    externalId: string,
    body: Record<string, unknown>,
    opts?: { exists: boolean },
  ): Promise<{ internalId: string; repaired?: string }>;
  /** DELETE …/journalEntry/eid:<externalId>; false when there was none. */
  deleteJournal(externalId: string): Promise<boolean>;
  /** GET …/journalEntry/eid:<externalId>, or null when there is none. */
  getJournal(externalId: string): Promise<{ internalId: string; body: Record<string, unknown> } | null>;
  /** The journal approval field the account's record has, from the REST metadata catalog (approval-mode.ts). */
  journalApprovalMode?(): Promise<ApprovalModeReading>;
  /** Certificate expiry of the credentials in use, when known. */
  certificateExpiresAt?(): Date | undefined;
}

/** A list item as the port reads it (the shape alignment compares: mapping/dimensions.ts). */
export type AnaplanListItem = AnaplanItem;

export interface AnaplanTaskOutcome {
  taskId: string;
  successful: boolean;
  /** Rows the action loaded/updated and rows it rejected (from the task result details). */
  rowsImported: number;
  rowsRejected: number;
  /** Parsed failure dump rows: original columns plus `_Line_`, `_Error_1_`. */
  dumpCsv?: string;
  message?: string;
}

export interface AnaplanPort {
  listItems(listName: string): Promise<AnaplanListItem[]>;
  /**
   * Uploads `file` in chunks to the import's data source, runs the import, polls to a terminal state.
   * With `uploaded`, the file is already on the data source (`uploadImportFile`): only the task runs.
   */
  runImport(
    importName: string,
    file: { path: string; bytes: number },
    opts: {
      signal?: AbortSignal;
      uploaded?: { chunks: number };
      onProgress?: (p: { phase: string; chunk?: number; chunks?: number; progress?: number }) => void;
      /** The task runs on the server (after the upload, before the first poll). */
      onStarted?: (taskId: string) => void;
    },
  ): Promise<AnaplanTaskOutcome & { chunks: number }>;
  /** Streams `source` (size unknown) to the import's data source in chunks, as it is produced. */
  uploadImportFile(
    importName: string,
    source: Readable,
    opts: { signal?: AbortSignal; onChunk?: (chunk: number) => void },
  ): Promise<{ chunks: number; bytes: number }>;
  /** Runs the export, polls, and streams the output file to `sink`. */
  runExport(
    exportName: string,
    sink: (body: Readable) => Promise<void>,
    opts: { signal?: AbortSignal; onProgress?: (p: { phase: string; progress?: number }) => void },
  ): Promise<{ taskId: string }>;
  /**
   * Import/export definitions (names, IDs) read now, for preflight; source/header columns only for
   * the actions named in `detail` (all when omitted). A kind with an empty `detail` list is not read.
   */
  describeActions(detail?: { imports?: string[]; exports?: string[] }): Promise<{
    imports: Array<{ id: string; name: string; columns?: string[] }>;
    exports: Array<{ id: string; name: string; columns?: string[] }>;
  }>;
}

export interface Ports {
  netsuite: NetSuitePort;
  anaplan: AnaplanPort;
}
