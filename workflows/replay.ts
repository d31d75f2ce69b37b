/**
 * `replayStep`: re-sends a failed step of a cycle from the artifact it stored — not a new query —
 * with the same idempotency keys (journal externalIds come from the stored journals; the actuals
 * import re-uploads the same file under the file's lock and the model lock). Replaying a step that already succeeded
 * changes nothing downstream: journals already in the ledger with the same content stay untouched.
 */
import { ApplicationFailure, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ImportResult, PostJournalsResult, ReplayInput } from '../common/dto';
import { journalBatchSize, postJournalBatches } from './journal-batches';
import { createLockClient } from './lock-client';

type Acts = ReturnType<typeof createActivities>;

export async function replayStep(input: ReplayInput): Promise<{ step: string; journals?: PostJournalsResult; import?: ImportResult }> {
  const { config, cycleId, step, artifacts } = input;
  const acts = proxyActivities<Acts>({
    startToCloseTimeout: input.options?.activityTimeoutMs ?? 2 * 60 * 60_000,
    heartbeatTimeout: input.options?.heartbeatTimeoutMs ?? 20_000,
    retry: { maximumAttempts: 6, initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['NonRetryable'] },
  });
  if (step === 'postJournals') {
    if (!artifacts.journalsHash || artifacts.journals === undefined) throw ApplicationFailure.nonRetryable(`cycle ${cycleId} stored no planned journals to replay`, 'NonRetryable');
    const total = await postJournalBatches(acts.postJournals, { config, cycleId, journalsHash: artifacts.journalsHash, journals: artifacts.journals, batchSize: journalBatchSize(artifacts.journals, input.options?.journalBatchSize) });
    if (total.failed > 0) throw ApplicationFailure.nonRetryable(`${total.failed} journals still refused on replay (first: ${total.failures[0]?.externalId}: ${total.failures[0]?.reason})`, 'JournalsRefused', { failures: total.failures });
    return { step, journals: total };
  }
  if (step === 'importActuals') {
    if (!artifacts.csvHash) throw ApplicationFailure.nonRetryable(`cycle ${cycleId} stored no actuals file to replay`, 'NonRetryable');
    const withModelLock = createLockClient();
    const target = { workspaceId: config.anaplan.workspaceId, modelId: config.anaplan.modelId };
    const purpose = `${workflowInfo().workflowId} replay importActuals`;
    const lease = input.options?.lockLeaseMs ?? 2 * 60 * 60_000;
    const importUnderModelLock = () => withModelLock(target, purpose, lease, () => acts.runActualsImport({ config, cycleId, csvHash: artifacts.csvHash!, rows: artifacts.csvRows ?? 0 }));
    // The upload overwrites the import's data file: take the file's lock first, as cycles do.
    const r = patched('replay-takes-file-lock') ? await withModelLock({ ...target, importFile: config.actions.importActuals }, `${purpose} (file)`, lease, importUnderModelLock) : await importUnderModelLock();
    return { step, import: r };
  }
  throw ApplicationFailure.nonRetryable(`step ${String(step)} cannot be replayed (replayable: importActuals, postJournals)`, 'NonRetryable');
}
