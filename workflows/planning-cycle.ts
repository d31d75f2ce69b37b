/**
 * `planningCycle`: one cycle for one connection and one period (DESIGN.md §3). Steps run as durable
 * activities; every Anaplan action runs under the model lock; pause/resume take effect between steps
 * and batches; the `status` query shows step, counts, paused, quarantined and last error. History
 * carries IDs, counts and artifact hashes only (DESIGN.md §4).
 */
import {
  ApplicationFailure,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { cycleOptionsProblem, LOCK_LEASE_DEFAULT_MS, type CycleArtifacts, type CycleInput, type CycleSummary, type ExtractResult } from '../common/dto';
import { ledgerLockWorkflowId } from '../common/ids';
import { approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery, type ApprovalDecision, type CycleStatus, type StepStatus } from '../common/messages';
import { journalBatchSize, postJournalBatches } from './journal-batches';
import { createLockClient } from './lock-client';

type Acts = ReturnType<typeof createActivities>;

export const CYCLE_STEPS = ['preflight', 'alignDimensions', 'importActuals', 'exportPlan', 'postJournals'] as const;
export type CycleStep = (typeof CYCLE_STEPS)[number];

function stepsFor(kind: CycleInput['kind']): Set<CycleStep> {
  if (kind === 'actuals') return new Set(['preflight', 'alignDimensions', 'importActuals']);
  if (kind === 'plan') return new Set(['preflight', 'alignDimensions', 'exportPlan', 'postJournals']);
  return new Set(CYCLE_STEPS);
}

export async function planningCycle(input: CycleInput): Promise<CycleSummary> {
  const { config, period, kind } = input;
  const opts = input.options ?? {};
  // Heartbeats are throttled to 80% of this, and a cancellation reaches an activity only on a
  // heartbeat (../shared/reference/temporal.md §3): 20 s keeps cancel and crash detection prompt.
  const heartbeatTimeout = opts.heartbeatTimeoutMs ?? 20_000;
  const long = proxyActivities<Acts>({
    startToCloseTimeout: opts.activityTimeoutMs ?? 2 * 60 * 60_000,
    heartbeatTimeout,
    // 12 attempts: backoff alone (1+2+…+32 s, then 1 min capped) spans 6 min, each attempt's HTTP
    // retries ~13 s more, so a vendor down for minutes is waited out; 6 attempts (~110 s) failed
    // cycles in the two-host chaos run's 2-minute sandbox outage (scripts/chaos-hosts.ts).
    retry: { maximumAttempts: 12, initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['NonRetryable'] },
  });
  const withModelLock = createLockClient();
  const lockTarget = { workspaceId: config.anaplan.workspaceId, modelId: config.anaplan.modelId };
  // Refused before any command: a lease above the maximum would let a dead holder block the model.
  const bad = cycleOptionsProblem(opts);
  if (bad) throw ApplicationFailure.nonRetryable(bad, 'InvalidOptions');
  const leaseMs = opts.lockLeaseMs ?? LOCK_LEASE_DEFAULT_MS;
  const cycleId = workflowInfo().workflowId;
  const selected = stepsFor(kind);

  const steps: StepStatus[] = CYCLE_STEPS.map((name) => ({ name, state: selected.has(name) ? 'pending' : 'skipped', counts: {} }));
  const summary: CycleSummary = { workflowId: cycleId, period, kind, status: 'completed', quarantined: 0, warnings: [] };
  let paused = false;
  let pauseReason: string | undefined;
  let lastError: string | undefined;
  let waitingForLock: string | undefined;

  setHandler(pauseSignal, (arg) => {
    paused = true;
    pauseReason = arg?.reason;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    pauseReason = undefined;
  });
  // Decisions count only while the cycle waits for one (the CLI checks the status before sending).
  let decision: { approved: boolean; by: string; note?: string; at: string } | undefined;
  const decide = (approved: boolean) => (d: ApprovalDecision) => {
    if (summary.approval?.state === 'waiting' && decision === undefined) decision = { approved, by: d.by, note: d.note, at: new Date().toISOString() };
  };
  setHandler(approveSignal, decide(true));
  setHandler(rejectSignal, decide(false));
  setHandler(statusQuery, (): CycleStatus => ({
    workflowId: cycleId,
    step: steps.find((s) => s.state === 'running')?.name ?? null,
    steps,
    paused,
    pauseReason: waitingForLock ?? (summary.approval?.state === 'waiting' && decision === undefined ? 'waiting for approval' : pauseReason),
    quarantined: summary.quarantined,
    lastError,
    warnings: summary.warnings,
    ...(summary.approval ? { approval: summary.approval } : {}),
  }));

  const gate = () => condition(() => !paused);
  // Artifact hashes go to the memo as they are produced, so `ml-connector replay` can re-send a
  // failed step from them (memo is encoded by the payload codec like any payload).
  const artifacts: CycleArtifacts = {};
  // The (secret-free) config and period too: a replay re-sends with exactly what this cycle used.
  upsertMemo({ config, period, kind });
  const remember = (a: Partial<CycleArtifacts>) => {
    Object.assign(artifacts, a);
    upsertMemo({ artifacts: { ...artifacts } });
  };
  const run = async <T>(name: CycleStep, fn: (s: StepStatus) => Promise<T>): Promise<T | undefined> => {
    const s = steps.find((x) => x.name === name)!;
    if (!selected.has(name)) return undefined;
    await gate();
    s.state = 'running';
    s.startedAt = new Date().toISOString();
    try {
      const r = await fn(s);
      s.state = 'done';
      return r;
    } catch (err) {
      s.state = 'failed';
      lastError = describe(err);
      throw err;
    } finally {
      s.endedAt = new Date().toISOString();
    }
  };
  const locked = <T>(purpose: string, fn: () => Promise<T>) => withModelLock(lockTarget, `${cycleId} ${purpose}`, leaseMs, fn, (w) => (waitingForLock = w ? 'waiting for the Anaplan model lock' : undefined));

  try {
    const pre = (await run('preflight', async (s) => {
      const r = await long.preflight({ config, period, kind });
      s.counts = { periods: r.periods.length };
      summary.warnings.push(...r.warnings);
      return r;
    }))!;

    const align = (await run('alignDimensions', async (s) => {
      const r = await locked('alignDimensions', () => long.alignDimensions({ config, cycleId }));
      const d = Object.values(r.dimensions);
      s.counts = {
        members: d.reduce((a, x) => a + x.members, 0),
        mapped: d.reduce((a, x) => a + x.mapped, 0),
        unmapped: d.reduce((a, x) => a + x.unmapped, 0),
        imported: d.reduce((a, x) => a + x.imported, 0),
      };
      summary.align = r;
      remember({ memberMapsHash: r.memberMapsHash });
      return r;
    }))!;

    // The extraction of this step, and the file-lock attempt that uploaded it.
    let extracted: { ex: ExtractResult; attempt: number } | undefined;
    await run('importActuals', async (s) => {
      // Newer runs upload the import file while extracting, holding the file's lock (not the model's)
      // from the upload through the import; runs started before that extract, then upload and import.
      const pipelined = patched('actuals-upload-during-extraction');
      const im = !pipelined
        ? await importActuals(s, false)
        : await withModelLock({ ...lockTarget, importFile: config.actions.importActuals }, `${cycleId} importActuals (file)`, leaseMs, (attempt) => importActuals(s, true, attempt), (w) => (waitingForLock = w ? 'waiting for the Anaplan import file lock' : undefined));
      await tieOutGate();
      return im;
    });

    /**
     * Tie-out as a gate (`actuals.tieOut: block`): actuals that do not tie out stop the cycle here,
     * before the plan is exported or any journal posted, with the variance by account (an artifact,
     * its hash and top lines in the failure). Only a blocking, unbalanced cycle takes this branch
     * and records the patch marker; every other cycle's commands are as before.
     */
    async function tieOutGate() {
      const t = summary.tieOut;
      if (!t || t.balanced || config.actuals?.tieOut !== 'block' || !extracted || !patched('tie-out-gate')) return;
      const ex = extracted.ex;
      const v = await long.tieOutVariance({ config, cycleId, periodInfo: pre.periodInfo, memberMapsHash: align.memberMapsHash, csvHash: ex.csvHash, quarantineHash: ex.quarantineHash });
      const amount = (c: number) => `${c > 0 ? '+' : c < 0 ? '-' : ''}${(Math.abs(c) / 100).toFixed(2)}`;
      const named = v.top.slice(0, 5).map((l) => `${l.account} ${amount(l.varianceCents)} (NetSuite ${amount(l.netsuiteCents)}, moved ${amount(l.movedCents)})`);
      const more = v.accountsWithVariance > named.length ? ` and ${v.accountsWithVariance - named.length} more` : '';
      throw ApplicationFailure.nonRetryable(
        `actuals do not tie out (actuals.tieOut: block): NetSuite ${amount(t.netsuiteCents)} ≠ loaded ${amount(t.loadedCents)} + quarantined ${amount(t.quarantinedCents)} + rejected ${amount(t.rejectedCents)}; variance by account: ${named.join('; ') || 'none per account'}${more}; full list in artifact ${v.varianceHash}; no plan journal was posted`,
        'TieOutFailed',
        { tieOut: t, varianceHash: v.varianceHash, accountsWithVariance: v.accountsWithVariance, totalVarianceCents: v.totalVarianceCents, accounts: v.top },
      );
    }

    async function importActuals(s: StepStatus, pipelined: boolean, attempt = 0) {
      // A retry after the file lock lapsed keeps this cycle's extraction (its artifact): only the
      // upload is redone, below, since another cycle may have written the file meanwhile.
      if (!extracted) {
        const ex = await long.extractActuals({ config, cycleId, periodInfo: pre.periodInfo, anaplanPeriodCode: pre.anaplanPeriodCode, memberMapsHash: align.memberMapsHash, ...(pipelined ? { uploadTo: config.actions.importActuals } : {}) });
        extracted = { ex, attempt };
        summary.extract = ex;
        remember({ csvHash: ex.csvHash, csvRows: ex.rows });
        summary.quarantined += ex.quarantined;
        s.counts = { rows: ex.rows, quarantined: ex.quarantined, outOfScope: ex.outOfScope, pages: ex.pages };
      }
      const ex = extracted.ex;
      await gate();
      // The file uploaded during the extraction is trusted only under the same hold of the file lock;
      // otherwise runActualsImport uploads this cycle's artifact again before importing.
      const uploaded = ex.uploadedChunks === undefined || extracted.attempt !== attempt ? {} : { uploaded: { chunks: ex.uploadedChunks } };
      const im = await locked('importActuals', () => long.runActualsImport({ config, cycleId, csvHash: ex.csvHash, rows: ex.rows, ...uploaded }));
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
      if (!summary.tieOut.balanced) summary.warnings.push(`tie-out: NetSuite ${ex.netsuiteCents} cents ≠ loaded ${loadedCents} + quarantined ${ex.quarantinedCents} + rejected ${im.rejectedCents}`);
      return im;
    }

    const prepared = await run('exportPlan', async (s) => {
      const ex = await locked('exportPlan', () => long.runPlanExport({ config, cycleId }));
      summary.export = ex;
      const p = await long.preparePlan({ config, cycleId, exportHash: ex.exportHash, memberMapsHash: align.memberMapsHash, periods: pre.periods, period });
      summary.plan = p;
      if (p.warning) summary.warnings.push(p.warning);
      // Replay posts the same items: planned journals, then the stale ones to retire.
      remember({ exportHash: ex.exportHash, journalsHash: p.journalsHash, journals: p.journals + (p.retire ?? 0) });
      summary.quarantined += p.quarantined;
      s.counts = { rows: ex.rows, values: p.values, journals: p.journals, retire: p.retire ?? 0, quarantined: p.quarantined, skippedClosedPeriods: p.skippedClosedPeriods };
      return p;
    });

    let notPosted = false;
    await run('postJournals', async (s) => {
      if (!prepared) throw ApplicationFailure.nonRetryable('postJournals needs exportPlan in the same cycle', 'NonRetryable');
      const items = prepared.journals + (prepared.retire ?? 0);
      // Approval gate / dry run: the diff against the ledger first (stored as an artifact, shown by
      // `cycle diff`), then nothing posts before a controller approves. Only manual or dry-run
      // cycles take this branch (and record the patch marker); auto cycles run exactly as before.
      let diffAt: string | undefined;
      if ((config.journals.approval === 'manual' || input.dryRun === true) && patched('approval-gate')) {
        diffAt = new Date().toISOString();
        const diff = await long.diffJournals({ config, cycleId, journalsHash: prepared.journalsHash });
        remember({ diffHash: diff.diffHash });
        s.counts = { journals: prepared.journals, create: diff.counts.create, update: diff.counts.update, unchanged: diff.counts.unchanged, retire: diff.counts.retire };
        if (input.dryRun) {
          summary.approval = { state: 'dry-run', diff };
          notPosted = true;
          return undefined;
        }
        summary.approval = { state: 'waiting', diff };
        const timeoutMs = Math.round((config.journals.approvalTimeoutHours ?? 72) * 60 * 60_000);
        const decided = await condition(() => decision !== undefined, timeoutMs);
        const d = decided ? decision! : undefined;
        const state = !d ? 'expired' : d.approved ? 'approved' : 'rejected';
        summary.approval = { state, diff, ...(d ? { by: d.by, note: d.note, at: d.at } : {}) };
        await long.recordApproval({ cycleId, kind: state === 'expired' ? 'approval_expired' : state, by: d?.by ?? null, note: d ? (d.note ?? null) : `no decision within ${config.journals.approvalTimeoutHours ?? 72} h`, diffHash: diff.diffHash });
        if (state !== 'approved') {
          summary.warnings.push(state === 'expired' ? `not approved within ${config.journals.approvalTimeoutHours ?? 72} h: nothing posted` : `rejected by ${d!.by}${d!.note ? ` (${d!.note})` : ''}: nothing posted`);
          notPosted = true;
          return undefined;
        }
      }
      const postAll = () =>
        postJournalBatches(long.postJournals, {
          config,
          cycleId,
          journalsHash: prepared.journalsHash,
          journals: items,
          batchSize: journalBatchSize(items, opts.journalBatchSize),
          beforeBatch: gate,
          onProgress: (t) => (s.counts = { journals: prepared.journals, posted: t.posted, updated: t.updated, unchanged: t.unchanged, retired: t.retired ?? 0, failed: t.failed }),
        });
      // One writer per ledger scope (NetSuite account × Anaplan model): every batch of this cycle
      // runs under the ledger lock, so another cycle's or a replay's upserts and deletes never
      // interleave with these. The write is recorded first (audit cycle_events) for replay's check.
      // Cycles started before the ledger lock post without it.
      const total = patched('ledger-lock')
        ? await withModelLock({ ...lockTarget, ledgerAccountId: config.netsuite.accountId }, `${cycleId} postJournals (ledger)`, leaseMs, async () => {
            const scope = ledgerLockWorkflowId(config.netsuite.accountId, lockTarget.workspaceId, lockTarget.modelId);
            if (diffAt !== undefined) {
              // The approved diff is what posts: if another writer changed the scope since it was
              // computed, the controller approved something that is no longer true.
              const newer = await long.newerLedgerWriters({ scope, cycleId, since: diffAt, sinceOnly: true });
              if (newer.length > 0) throw ApplicationFailure.nonRetryable(`the ledger changed after the approved diff was computed (${newer.map((n) => n.cycleId).join(', ')} wrote to ${scope}); nothing posted — start the cycle again for a fresh diff`, 'LedgerMovedOn', { newer });
            }
            await long.recordLedgerWrite({ scope, cycleId, writer: cycleId });
            return postAll();
          }, (w) => (waitingForLock = w ? 'waiting for the NetSuite ledger lock' : undefined))
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
    });
    if (notPosted) steps.find((x) => x.name === 'postJournals')!.state = 'skipped';
    return summary;
  } catch (err) {
    if (isCancellation(err)) throw err;
    lastError = describe(err);
    throw err;
  }
}

function describe(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  // Activity failures wrap the real reason: report the innermost message.
  while (e && typeof e === 'object' && e.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
