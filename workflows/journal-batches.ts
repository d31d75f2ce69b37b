/**
 * Posting planned journals batch by batch (shared by planningCycle and replayStep): one activity per
 * batch, so a pause takes effect between batches and the history grows with batches, not journals.
 */
import type { createActivities } from '../activities';
import type { ConnectionConfig } from '../common/config';
import type { PostJournalsResult } from '../common/dto';

type PostJournals = ReturnType<typeof createActivities>['postJournals'];

export interface JournalBatchesInput {
  config: ConnectionConfig;
  cycleId: string;
  journalsHash: string;
  /** Items to send: the planned journals, then the stale ones to retire. */
  journals: number;
  batchSize: number;
  /** Awaited before each batch (the pause gate). */
  beforeBatch?: () => Promise<void>;
  /** Called after each batch with the running totals (the status query's counts). */
  onProgress?: (total: PostJournalsResult) => void;
}

export async function postJournalBatches(
  postJournals: PostJournals,
  input: JournalBatchesInput,
): Promise<PostJournalsResult> {
  const total: PostJournalsResult = { posted: 0, updated: 0, unchanged: 0, retired: 0, failed: 0, failures: [] };
  for (let from = 0; from < input.journals; from += input.batchSize) {
    await input.beforeBatch?.();
    const r = await postJournals({
      config: input.config,
      cycleId: input.cycleId,
      journalsHash: input.journalsHash,
      from,
      to: Math.min(input.journals, from + input.batchSize),
    });
    total.posted += r.posted;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
    total.retired! += r.retired ?? 0;
    total.failed += r.failed;
    // Keep the first 20 reasons: enough to act on, bounded in history.
    total.failures.push(...r.failures.slice(0, Math.max(0, 20 - total.failures.length)));
    input.onProgress?.(total);
  }
  return total;
}

/**
 * Journals per postJournals activity: 25 (pause granularity), growing with the count so a plan of
 * any size takes at most ~30 batches and the cycle's history stays flat (≤ 300 events).
 */
export function journalBatchSize(journals: number, requested?: number): number {
  return requested ?? Math.max(25, Math.ceil(journals / 30));
}
