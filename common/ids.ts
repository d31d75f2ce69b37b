/**
 * Names that users, scripts and the Temporal UI rely on (docs/design.md §3). Workflows, worker, CLI and
 * tests import them from here. No Node imports: this file is bundled into workflow code.
 */
export const TASK_QUEUE = 'ml-connector';

export type CycleKind = 'actuals' | 'plan' | 'full';

/** `cycle:<workspaceId>:<modelId>:<period>:<kind>` — conflict policy FAIL keeps one run per cycle. */
export function cycleWorkflowId(workspaceId: string, modelId: string, period: string, kind: CycleKind): string {
  return `cycle:${workspaceId}:${modelId}:${period}:${kind}`;
}

/** `anaplan-model:<workspaceId>:<modelId>` — one lock workflow per Anaplan model. */
export function modelLockWorkflowId(workspaceId: string, modelId: string): string {
  return `anaplan-model:${workspaceId}:${modelId}`;
}

/**
 * Lock on the data file of one import (`modelLock` workflow type, another ID): Anaplan does not lock
 * files, and an upload that overwrites a file while an import reads it loads wrong data silently
 * (docs/anaplan.md §5 and §14.3). Held from the upload through the import task, so an
 * upload can run during the extraction without holding the whole model. Taken before the model lock.
 */
export function fileLockWorkflowId(workspaceId: string, modelId: string, importRef: string): string {
  return `anaplan-file:${workspaceId}:${modelId}:${importRef}`;
}

/**
 * `netsuite-ledger:<accountId>:<workspaceId>:<modelId>` — the ledger lock (`modelLock` workflow
 * type, a third ID): every journal upsert and delete of plan journals from one Anaplan model into
 * one NetSuite account runs while holding it, cycles and replays alike, so two writers never
 * interleave. Taken last (order: file → model → ledger); also the scope key of the ledger-write
 * record (`cycle_events`, kind `ledger_write`) that `replay` checks.
 */
export function ledgerLockWorkflowId(accountId: string, workspaceId: string, modelId: string): string {
  return `netsuite-ledger:${accountId}:${workspaceId}:${modelId}`;
}

export function parseCycleWorkflowId(
  id: string,
): { workspaceId: string; modelId: string; period: string; kind: CycleKind } | undefined {
  // Close-driven and flash cycles carry a suffix (`:close-<n>`, `:flash-<YYYY-MM-DD>`, see below).
  const m =
    /^cycle:([0-9a-f]{32}):([0-9A-F]{32}):([^:]+):(actuals|plan|full)(?::(?:close-\d+|flash-\d{4}-\d{2}-\d{2}))?$/.exec(
      id,
    );
  if (!m) return undefined;
  return { workspaceId: m[1]!, modelId: m[2]!, period: m[3]!, kind: m[4] as CycleKind };
}

/** `backfill:<workspaceId>:<modelId>:<from>:<to>:<kind>` — one backfill per range; its children are ordinary cycles. */
export function backfillWorkflowId(
  workspaceId: string,
  modelId: string,
  from: string,
  to: string,
  kind: CycleKind,
): string {
  return `backfill:${workspaceId}:${modelId}:${from}:${to}:${kind}`;
}

/** The months from `from` to `to` (YYYY-MM, both included), oldest first. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** `close-watch:<connection>` — one period-close watcher per connection. */
export function closeWatchWorkflowId(connection: string): string {
  return `close-watch:${connection}`;
}

/**
 * The final cycle of one close of a month: `cycle:<ws>:<model>:<period>:<kind>:close-<generation>`.
 * The generation counts closes, so a month reopened and closed again gets a new cycle.
 */
export function closeCycleWorkflowId(
  workspaceId: string,
  modelId: string,
  period: string,
  kind: CycleKind,
  generation: number,
): string {
  return `${cycleWorkflowId(workspaceId, modelId, period, kind)}:close-${generation}`;
}

/** A flash (open-period) cycle of one day: `cycle:<ws>:<model>:<period>:<kind>:flash-<YYYY-MM-DD>`. */
export function flashCycleWorkflowId(
  workspaceId: string,
  modelId: string,
  period: string,
  kind: CycleKind,
  day: string,
): string {
  return `${cycleWorkflowId(workspaceId, modelId, period, kind)}:flash-${day}`;
}
