/**
 * `replayStep`: re-sends a failed step of a cycle from the artifact it stored — not a new query —
 * with the same idempotency keys (journal externalIds come from the stored journals; the actuals
 * import re-uploads the same file under the file's lock and the model lock). Replaying a step that already succeeded
 * changes nothing downstream: journals already in the ledger with the same content stay untouched.
 */
import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import {
  cycleOptionsProblem,
  LOCK_LEASE_DEFAULT_MS,
  type ImportResult,
  type PostJournalsResult,
  type ReplayInput,
} from '../common/dto';
import { journalBatchSize, postJournalBatches } from './journal-batches';
import { ledgerLockWorkflowId } from '../common/ids';
import { cycleActivities } from './activity-options';
import { createLockClient } from './lock-client';

export async function replayStep(
  input: ReplayInput,
): Promise<{ step: string; journals?: PostJournalsResult; import?: ImportResult }> {
  const { config, cycleId, step, artifacts } = input;
  const bad = cycleOptionsProblem(input.options);
  if (bad) throw ApplicationFailure.nonRetryable(bad, 'InvalidOptions');
  const acts = cycleActivities(input.options);
  if (step === 'postJournals') {
    if (!artifacts.journalsHash || artifacts.journals === undefined)
      throw ApplicationFailure.nonRetryable(`cycle ${cycleId} stored no planned journals to replay`, 'NonRetryable');
    const post = () =>
      postJournalBatches(acts.postJournals, {
        config,
        cycleId,
        journalsHash: artifacts.journalsHash!,
        journals: artifacts.journals!,
        batchSize: journalBatchSize(artifacts.journals!, input.options?.journalBatchSize),
      });
    // Under the scope's ledger lock like any cycle; and a replay never overwrites what a newer cycle
    // wrote: the ledger-write record says who wrote the scope after the replayed cycle.
    const total = patched('replay-ledger-lock')
      ? await createLockClient()(
          {
            workspaceId: config.anaplan.workspaceId,
            modelId: config.anaplan.modelId,
            ledgerAccountId: config.netsuite.accountId,
          },
          `${workflowInfo().workflowId} replay postJournals (ledger)`,
          input.options?.lockLeaseMs ?? LOCK_LEASE_DEFAULT_MS,
          async () => {
            const scope = ledgerLockWorkflowId(
              config.netsuite.accountId,
              config.anaplan.workspaceId,
              config.anaplan.modelId,
            );
            const newer = await acts.newerLedgerWriters({
              scope,
              cycleId,
              since: input.since ?? '1970-01-01T00:00:00.000Z',
            });
            if (newer.length > 0) {
              throw ApplicationFailure.nonRetryable(
                `cannot replay postJournals of ${cycleId}: ${newer.map((n) => n.cycleId).join(', ')} wrote to the same ledger (${scope}) after it (last at ${newer.at(-1)!.at}); replaying would overwrite newer journals with an older plan. Run \`ml-connector replay --cycle ${cycleId} --rederive\` to re-prepare from the current plan instead`,
                'LedgerMovedOn',
                { newer },
              );
            }
            await acts.recordLedgerWrite({ scope, cycleId, writer: workflowInfo().workflowId });
            return post();
          },
        )
      : await post();
    if (total.failed > 0)
      throw ApplicationFailure.nonRetryable(
        `${total.failed} journals still refused on replay (first: ${total.failures[0]?.externalId}: ${total.failures[0]?.reason})`,
        'JournalsRefused',
        { failures: total.failures },
      );
    return { step, journals: total };
  }
  if (step === 'importActuals') {
    if (!artifacts.csvHash)
      throw ApplicationFailure.nonRetryable(`cycle ${cycleId} stored no actuals file to replay`, 'NonRetryable');
    const withModelLock = createLockClient();
    const target = { workspaceId: config.anaplan.workspaceId, modelId: config.anaplan.modelId };
    const purpose = `${workflowInfo().workflowId} replay importActuals`;
    const lease = input.options?.lockLeaseMs ?? LOCK_LEASE_DEFAULT_MS;
    const importUnderModelLock = () =>
      withModelLock(target, purpose, lease, () =>
        acts.runActualsImport({ config, cycleId, csvHash: artifacts.csvHash!, rows: artifacts.csvRows ?? 0 }),
      );
    // The upload overwrites the import's data file: take the file's lock first, as cycles do.
    const r = patched('replay-takes-file-lock')
      ? await withModelLock(
          { ...target, importFile: config.actions.importActuals },
          `${purpose} (file)`,
          lease,
          importUnderModelLock,
        )
      : await importUnderModelLock();
    return { step, import: r };
  }
  throw ApplicationFailure.nonRetryable(
    `step ${String(step)} cannot be replayed (replayable: importActuals, postJournals)`,
    'NonRetryable',
  );
}
