/**
 * The five steps of a planning cycle, one function each (docs/design.md §3): preflight, align the model's
 * lists, import actuals (with the tie-out gate), export and prepare the plan, post the journals.
 * Each takes the cycle's run state (cycle-run.ts) and its step's status, whose counts the status
 * query shows. The order of activity calls and `patched()` markers here is the cycle's command
 * sequence: change it only behind a new `patched()` with a recorded history (test/workflows/cycle-replay.test.ts).
 */
import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import type {
  AlignResult,
  ExtractResult,
  ImportResult,
  PostJournalsResult,
  PreflightResult,
  PreparePlanResult,
} from '../common/dto';
import { ledgerLockWorkflowId } from '../common/ids';
import type { StepStatus } from '../common/messages';
import type { CycleRun } from './cycle-run';
import { journalBatchSize, postJournalBatches } from './journal-batches';

export async function preflight(c: CycleRun, s: StepStatus): Promise<PreflightResult> {
  const { config, period, kind } = c.input;
  // A full cycle queues for the import file and for the model's alignment before its preflight:
  // a shorter cycle on the model started with it then aligns after it and finds the file taken, so
  // it extracts while it waits instead of holding the file through its extraction while the full
  // cycle waits. The model stays idle for this preflight; no other cycle could use it sooner, as
  // every cycle runs its own preflight first. The requests go out with the preflight (one workflow
  // task, file before model); reserving waits for nothing, so the lock order is not at stake here.
  const [r] = await Promise.all([
    c.acts.preflight({ config, period, kind }),
    ...(reservesLocks(c)
      ? [
          c.reserve({ importFile: config.actions.importActuals }, 'importActuals (file)'),
          c.reserve({}, 'alignDimensions'),
        ]
      : []),
  ]);
  s.counts = { periods: r.periods.length };
  c.summary.warnings.push(...r.warnings);
  return r;
}

/**
 * Whether this cycle queues its locks ahead (since 'full-cycle-reserves-locks'): a full cycle has
 * the longest chain after its import (plan export, preparation, journals), so on a model shared with
 * shorter cycles it should not wait behind them for the import file, nor lose the model to another
 * cycle's import between its own import and its plan export.
 */
function reservesLocks(c: CycleRun): boolean {
  return c.input.kind === 'full' && patched('full-cycle-reserves-locks');
}

/**
 * The extraction's priority at the shared NetSuite limiter: the steps its cycle runs after the
 * import (a full cycle's plan export and journals), so the longer chain is not slowed by a shorter
 * cycle extracting beside it. Sent only by runs that reserve their locks; others run at 0 as before.
 */
function extractPriority(c: CycleRun): { priority?: number } {
  return reservesLocks(c) ? { priority: 2 } : {};
}

export async function alignDimensions(c: CycleRun, s: StepStatus): Promise<AlignResult> {
  const r = await c.locked({}, 'alignDimensions', () =>
    c.acts.alignDimensions({ config: c.config, cycleId: c.cycleId }),
  );
  const d = Object.values(r.dimensions);
  s.counts = {
    members: d.reduce((a, x) => a + x.members, 0),
    mapped: d.reduce((a, x) => a + x.mapped, 0),
    unmapped: d.reduce((a, x) => a + x.unmapped, 0),
    imported: d.reduce((a, x) => a + x.imported, 0),
  };
  c.summary.align = r;
  c.remember({ memberMapsHash: r.memberMapsHash });
  return r;
}

export async function importActuals(
  c: CycleRun,
  s: StepStatus,
  pre: PreflightResult,
  align: AlignResult,
): Promise<ImportResult> {
  // Newer runs upload the import file while extracting, holding the file's lock (not the model's)
  // from the upload through the import; runs started before that extract, then upload and import.
  const pipelined = patched('actuals-upload-during-extraction');
  // When another cycle holds the file (another cycle on the same model, between its extraction and
  // its import), newer runs extract while their request waits — without uploading, since the file
  // is not theirs yet — and upload the artifact once they hold it, instead of waiting out the other
  // cycle's whole extraction first. A free file is still uploaded during the extraction.
  const extractWhileBusy = pipelined && patched('actuals-extract-while-file-busy');
  const im = !pipelined
    ? await extractAndImport(c, s, pre, align, false)
    : await c.locked(
        { importFile: c.config.actions.importActuals },
        'importActuals (file)',
        (attempt, queued) => extractAndImport(c, s, pre, align, !queued, attempt),
        extractWhileBusy ? () => extractOnly(c, s, pre, align) : undefined,
      );
  await tieOutGate(c, pre, align);
  return im;
}

/** The extraction alone (no upload: the cycle does not hold the import file); its artifact is uploaded by the import. */
async function extractOnly(c: CycleRun, s: StepStatus, pre: PreflightResult, align: AlignResult): Promise<void> {
  recordExtraction(
    c,
    s,
    await c.acts.extractActuals({
      config: c.config,
      cycleId: c.cycleId,
      periodInfo: pre.periodInfo,
      anaplanPeriodCode: pre.anaplanPeriodCode,
      memberMapsHash: align.memberMapsHash,
      ...extractPriority(c),
    }),
    -1,
  );
}

function recordExtraction(c: CycleRun, s: StepStatus, ex: ExtractResult, attempt: number): void {
  c.extracted = { ex, attempt };
  c.summary.extract = ex;
  c.remember({ csvHash: ex.csvHash, csvRows: ex.rows });
  c.summary.quarantined += ex.quarantined;
  s.counts = { rows: ex.rows, quarantined: ex.quarantined, outOfScope: ex.outOfScope, pages: ex.pages };
}

async function extractAndImport(
  c: CycleRun,
  s: StepStatus,
  pre: PreflightResult,
  align: AlignResult,
  pipelined: boolean,
  attempt = 0,
): Promise<ImportResult> {
  const { config, cycleId, summary } = c;
  // A retry after the file lock lapsed keeps this cycle's extraction (its artifact): only the
  // upload is redone, below, since another cycle may have written the file meanwhile.
  if (!c.extracted) {
    const ex = await c.acts.extractActuals({
      config,
      cycleId,
      periodInfo: pre.periodInfo,
      anaplanPeriodCode: pre.anaplanPeriodCode,
      memberMapsHash: align.memberMapsHash,
      ...(pipelined ? { uploadTo: config.actions.importActuals } : {}),
      ...extractPriority(c),
    });
    recordExtraction(c, s, ex, attempt);
  }
  const extracted = c.extracted!;
  const ex = extracted.ex;
  await c.gate();
  // The file uploaded during the extraction is trusted only under the same hold of the file lock;
  // otherwise runActualsImport uploads this cycle's artifact again before importing.
  const uploaded =
    ex.uploadedChunks === undefined || extracted.attempt !== attempt ? {} : { uploaded: { chunks: ex.uploadedChunks } };
  // A full cycle's plan export needs the model next: its request queues behind this hold while the
  // import runs, so the model passes straight to the export instead of to another cycle's import
  // that asks for it in between (that import fits in this cycle's plan preparation and journals).
  const handoff = reservesLocks(c);
  const im = await c.locked({}, 'importActuals', async () => {
    const [r] = await Promise.all([
      c.acts.runActualsImport({ config, cycleId, csvHash: ex.csvHash, rows: ex.rows, ...uploaded }),
      handoff ? c.reserve({}, 'exportPlan') : undefined,
    ]);
    return r;
  });
  summary.import = im;
  s.counts = { ...s.counts, imported: im.rowsImported, rejected: im.rowsRejected, chunks: im.chunks };
  const loadedCents = ex.csvCents - im.rejectedCents;
  summary.tieOut = {
    netsuiteCents: ex.netsuiteCents,
    loadedCents,
    quarantinedCents: ex.quarantinedCents,
    rejectedCents: im.rejectedCents,
    balanced: ex.netsuiteCents === loadedCents + ex.quarantinedCents + im.rejectedCents,
  };
  if (!summary.tieOut.balanced)
    summary.warnings.push(
      `tie-out: NetSuite ${ex.netsuiteCents} cents ≠ loaded ${loadedCents} + quarantined ${ex.quarantinedCents} + rejected ${im.rejectedCents}`,
    );
  return im;
}

/**
 * Tie-out as a gate (`actuals.tieOut: block`): actuals that do not tie out stop the cycle here,
 * before the plan is exported or any journal posted, with the variance by account (an artifact,
 * its hash and top lines in the failure). Only a blocking, unbalanced cycle takes this branch
 * and records the patch marker; every other cycle's commands are as before.
 */
async function tieOutGate(c: CycleRun, pre: PreflightResult, align: AlignResult): Promise<void> {
  const t = c.summary.tieOut;
  if (!t || t.balanced || c.config.actuals?.tieOut !== 'block' || !c.extracted || !patched('tie-out-gate')) return;
  const ex = c.extracted.ex;
  const v = await c.acts.tieOutVariance({
    config: c.config,
    cycleId: c.cycleId,
    periodInfo: pre.periodInfo,
    memberMapsHash: align.memberMapsHash,
    csvHash: ex.csvHash,
    quarantineHash: ex.quarantineHash,
  });
  const amount = (cents: number) => `${cents > 0 ? '+' : cents < 0 ? '-' : ''}${(Math.abs(cents) / 100).toFixed(2)}`;
  const named = v.top
    .slice(0, 5)
    .map(
      (l) =>
        `${l.account} ${amount(l.varianceCents)} (NetSuite ${amount(l.netsuiteCents)}, moved ${amount(l.movedCents)})`,
    );
  const more = v.accountsWithVariance > named.length ? ` and ${v.accountsWithVariance - named.length} more` : '';
  throw ApplicationFailure.nonRetryable(
    `actuals do not tie out (actuals.tieOut: block): NetSuite ${amount(t.netsuiteCents)} ≠ loaded ${amount(t.loadedCents)} + quarantined ${amount(t.quarantinedCents)} + rejected ${amount(t.rejectedCents)}; variance by account: ${named.join('; ') || 'none per account'}${more}; full list in artifact ${v.varianceHash}; no plan journal was posted`,
    'TieOutFailed',
    {
      tieOut: t,
      varianceHash: v.varianceHash,
      accountsWithVariance: v.accountsWithVariance,
      totalVarianceCents: v.totalVarianceCents,
      accounts: v.top,
    },
  );
}

export async function exportPlan(
  c: CycleRun,
  s: StepStatus,
  pre: PreflightResult,
  align: AlignResult,
): Promise<PreparePlanResult> {
  const { config, cycleId, summary } = c;
  const ex = await c.locked({}, 'exportPlan', () => c.acts.runPlanExport({ config, cycleId }));
  summary.export = ex;
  const p = await c.acts.preparePlan({
    config,
    cycleId,
    exportHash: ex.exportHash,
    memberMapsHash: align.memberMapsHash,
    periods: pre.periods,
    period: c.input.period,
  });
  summary.plan = p;
  if (p.warning) summary.warnings.push(p.warning);
  // Replay posts the same items: planned journals, then the stale ones to retire.
  c.remember({ exportHash: ex.exportHash, journalsHash: p.journalsHash, journals: p.journals + (p.retire ?? 0) });
  summary.quarantined += p.quarantined;
  s.counts = {
    rows: ex.rows,
    values: p.values,
    journals: p.journals,
    retire: p.retire ?? 0,
    quarantined: p.quarantined,
    skippedClosedPeriods: p.skippedClosedPeriods,
  };
  return p;
}

/** Posts (or, in a dry run or without approval, holds back) the prepared journals; `undefined` when nothing was posted. */
export async function postJournals(
  c: CycleRun,
  s: StepStatus,
  prepared: PreparePlanResult | undefined,
): Promise<PostJournalsResult | undefined> {
  const { config, cycleId, summary, input } = c;
  if (!prepared)
    throw ApplicationFailure.nonRetryable('postJournals needs exportPlan in the same cycle', 'NonRetryable');
  const items = prepared.journals + (prepared.retire ?? 0);
  // Approval gate / dry run: the diff against the ledger first (stored as an artifact, shown by
  // `cycle diff`), then nothing posts before a controller approves. Only manual or dry-run
  // cycles take this branch (and record the patch marker); auto cycles run exactly as before.
  let diffAt: string | undefined;
  if ((config.journals.approval === 'manual' || input.dryRun === true) && patched('approval-gate')) {
    diffAt = new Date().toISOString();
    const diff = await c.acts.diffJournals({ config, cycleId, journalsHash: prepared.journalsHash });
    c.remember({ diffHash: diff.diffHash });
    s.counts = {
      journals: prepared.journals,
      create: diff.counts.create,
      update: diff.counts.update,
      unchanged: diff.counts.unchanged,
      retire: diff.counts.retire,
    };
    if (input.dryRun) {
      summary.approval = { state: 'dry-run', diff };
      return undefined;
    }
    summary.approval = { state: 'waiting', diff };
    const hours = config.journals.approvalTimeoutHours ?? 72;
    const decided = await condition(() => c.decision !== undefined, Math.round(hours * 60 * 60_000));
    const d = decided ? c.decision : undefined;
    const state = !d ? 'expired' : d.approved ? 'approved' : 'rejected';
    summary.approval = { state, diff, ...(d ? { by: d.by, note: d.note, at: d.at } : {}) };
    await c.acts.recordApproval({
      cycleId,
      kind: state === 'expired' ? 'approval_expired' : state,
      by: d?.by ?? null,
      note: d ? (d.note ?? null) : `no decision within ${hours} h`,
      diffHash: diff.diffHash,
    });
    if (state !== 'approved') {
      summary.warnings.push(
        !d
          ? `not approved within ${hours} h: nothing posted`
          : `rejected by ${d.by}${d.note ? ` (${d.note})` : ''}: nothing posted`,
      );
      return undefined;
    }
  }
  const postAll = () =>
    postJournalBatches(c.acts.postJournals, {
      config,
      cycleId,
      journalsHash: prepared.journalsHash,
      journals: items,
      batchSize: journalBatchSize(items, input.options?.journalBatchSize),
      beforeBatch: c.gate,
      onProgress: (t) =>
        (s.counts = {
          journals: prepared.journals,
          posted: t.posted,
          updated: t.updated,
          unchanged: t.unchanged,
          retired: t.retired ?? 0,
          failed: t.failed,
        }),
    });
  // One writer per ledger scope (NetSuite account × Anaplan model): every batch of this cycle
  // runs under the ledger lock, so another cycle's or a replay's upserts and deletes never
  // interleave with these. The write is recorded first (audit cycle_events) for replay's check.
  // Cycles started before the ledger lock post without it.
  const total = patched('ledger-lock')
    ? await c.locked({ ledgerAccountId: config.netsuite.accountId }, 'postJournals (ledger)', async () => {
        const scope = ledgerLockWorkflowId(
          config.netsuite.accountId,
          config.anaplan.workspaceId,
          config.anaplan.modelId,
        );
        if (diffAt !== undefined) {
          // The approved diff is what posts: if another writer changed the scope since it was
          // computed, the controller approved something that is no longer true.
          const newer = await c.acts.newerLedgerWriters({ scope, cycleId, since: diffAt, sinceOnly: true });
          if (newer.length > 0)
            throw ApplicationFailure.nonRetryable(
              `the ledger changed after the approved diff was computed (${newer.map((n) => n.cycleId).join(', ')} wrote to ${scope}); nothing posted — start the cycle again for a fresh diff`,
              'LedgerMovedOn',
              { newer },
            );
        }
        await c.acts.recordLedgerWrite({ scope, cycleId, writer: cycleId });
        return postAll();
      })
    : await postAll();
  summary.journals = total;
  if (total.failed > 0) {
    throw ApplicationFailure.nonRetryable(
      `${total.failed} of ${prepared.journals} journals were refused by NetSuite (first: ${total.failures[0]?.externalId}: ${total.failures[0]?.reason}); fix and run \`ml-connector replay --cycle ${cycleId} --step postJournals\``,
      'JournalsRefused',
      { failures: total.failures },
    );
  }
  return total;
}
