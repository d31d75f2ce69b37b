/**
 * `postJournals`: writes a batch of the planned journals into NetSuite by externalId, the idempotency
 * key, so a retried attempt, a re-run or a replay lands on the same record and never posts twice.
 * Each journal is read first: one the ledger holds with the same content is left alone ("unchanged"),
 * an existing one gets its lines replaced (`PATCH …/eid:X?replace=line`), a new one is created
 * (`PUT …/eid:X`); then it is read back and compared with what was sent (lines, totals, period,
 * subsidiary, book) and repaired once (netsuite/journals.ts `writeJournal`). A journal NetSuite
 * refuses — or stores differently even after the repair — is recorded with the reason and the batch
 * goes on; it is never counted as posted. The workflow fails the step afterwards and
 * `ml-connector replay` re-sends from the same artifact. Indexes past the
 * planned journals delete the stale plan journals preparePlan found (a plan that shrank), by
 * external ID as well; they come last, once the journals that replace them are sent.
 */
import { createHash } from 'node:crypto';
import { activityInfo } from '@temporalio/activity';
import { beat } from './heartbeat';
import type { ConnectionConfig } from '../../common/config';
import type { PostJournalsResult } from '../../common/dto';
import { centsToString } from '../mapping/amounts';
import { sameJournalContent } from '../mapping/journal-compare';
import { journalBody, type PlannedJournal } from '../mapping/journals';
import type { AuditRecordInput } from '../store';
import { classify, type CycleDeps } from './context';
import { readStoredJournals, type StoredJournals } from './stored-journals';

/**
 * A planned journal's record body as postJournals writes it (period, date, memo, book, approval as
 * configured). diffJournals compares the ledger against this same body, so the diff an approver sees
 * classes each journal exactly as posting will.
 */
export function plannedJournalBody(
  stored: Pick<StoredJournals, 'periods'>,
  j: PlannedJournal,
  config: ConnectionConfig,
): Record<string, unknown> {
  const p = stored.periods[j.period]!;
  return journalBody(j, {
    postingPeriodId: p.id,
    tranDate: p.endDate,
    memo: config.journals.memo,
    accountingBookId: config.journals.accountingBook,
    approved: config.journals.approvalStatus === 'approved',
    approvalRouting: config.journals.approvalRouting,
  });
}

export function makeJournals(deps: CycleDeps) {
  return async function postJournals(input: {
    config: ConnectionConfig;
    cycleId: string;
    journalsHash: string;
    from: number;
    to: number;
  }): Promise<PostJournalsResult> {
    const { config, cycleId, journalsHash } = input;
    const { netsuite } = await deps.ports(config);
    const resumeAt = Math.max(
      input.from,
      (activityInfo().heartbeatDetails as { next?: number } | undefined)?.next ?? input.from,
    );
    // Only this batch's journals are kept (stored-journals.ts): memory stays flat however large the plan.
    const stored = await readStoredJournals(deps.artifacts, journalsHash, resumeAt, input.to);
    const result: PostJournalsResult = { posted: 0, updated: 0, unchanged: 0, retired: 0, failed: 0, failures: [] };
    const done = new Set<number>();
    let low = resumeAt;
    let next = resumeAt;

    const refused = (err: unknown) => {
      const e = err as { retryable?: boolean; status?: number; message?: string; code?: string; errorPath?: string };
      // Throttling and outages are retried (by the client, then by Temporal, waiting out a Retry-After);
      // a rejected login stops the activity without retries (classify); any other refusal is data.
      if (e.retryable !== false || e.status === 401) throw classify(err);
      // Each approval mode refuses the other's field (docs/netsuite.md §12): say which setting fixes it.
      const hint =
        e.status === 400 && e.errorPath === 'approved' && !config.journals.approvalRouting
          ? ' (the account seems to route journal approval through SuiteFlow: set journals.approvalRouting: true)'
          : e.status === 400 && e.errorPath === 'approvalStatus' && config.journals.approvalRouting
            ? ' (the account has no journal approval routing: set journals.approvalRouting: false)'
            : '';
      return `${e.status ?? ''} ${e.code ?? ''} ${e.message ?? String(err)}${hint}`.trim();
    };

    // Items past the planned journals are stale ones to delete (StoredJournals.retire), so they go last.
    const retireOne = async (externalId: string) => {
      const audit = (outcome: 'accepted' | 'rejected', reason: string) =>
        deps.audit.appendRecord({
          cycleId,
          step: 'postJournals',
          recordKind: 'journal',
          sourceRef: `retire:${externalId}`,
          artifactHash: journalsHash,
          targetRef: externalId,
          outcome,
          reason,
        });
      try {
        // The external ID is the key here too: deleting one already gone is a no-op.
        const existed = await netsuite.deleteJournal(externalId);
        if (existed) result.retired!++;
        await audit('accepted', existed ? 'retired: no longer in the plan' : 'retired: already gone');
      } catch (err) {
        const reason = refused(err);
        result.failed++;
        result.failures.push({ externalId, reason });
        await audit('rejected', `retire refused: ${reason}`);
      }
    };

    const postOne = async (i: number) => {
      const j = stored.journals[i - stored.first]!;
      const body = plannedJournalBody(stored, j, config);
      const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
      const sourceRef = `journal:${i}@${bodyHash}`;
      const audit: AuditRecordInput[] = [];
      try {
        let internalId: string | undefined;
        let repaired: string | undefined;
        // Read the ledger first: it decides create vs replace-lines, and spares a write that changes nothing.
        const existing = await netsuite.getJournal(j.externalId);
        let kind: 'posted' | 'updated' | 'unchanged' = existing ? 'updated' : 'posted';
        if (existing && sameJournalContent(existing.body, body)) {
          kind = 'unchanged';
          internalId = existing.internalId;
        } else {
          const w = await netsuite.upsertJournal(j.externalId, body, { exists: existing !== null });
          internalId = w.internalId;
          repaired = w.repaired;
        }
        result[kind]++;
        audit.push({
          cycleId,
          step: 'postJournals',
          recordKind: 'journal',
          sourceRef,
          artifactHash: journalsHash,
          targetRef: j.externalId,
          targetInternalId: internalId ?? null,
          outcome: 'accepted',
          reason: repaired ? `${kind}; repaired after read-back: ${repaired}` : kind,
          amount: centsToString(j.debitCents),
        });
        if (kind !== 'unchanged') {
          for (const [n, l] of j.lines.entries()) {
            audit.push({
              cycleId,
              step: 'postJournals',
              recordKind: 'journal_line',
              sourceRef: l.sourceLines.length ? `export#${l.sourceLines.join('+')}` : 'offset',
              artifactHash: journalsHash,
              targetRef: `${j.externalId}#${n + 1}`,
              targetInternalId: internalId ?? null,
              outcome: 'accepted',
              account: l.accountId,
              amount: centsToString(l.debitCents - l.creditCents),
            });
          }
        }
      } catch (err) {
        const reason = refused(err);
        result.failed++;
        result.failures.push({ externalId: j.externalId, reason });
        audit.push({
          cycleId,
          step: 'postJournals',
          recordKind: 'journal',
          sourceRef,
          artifactHash: journalsHash,
          targetRef: j.externalId,
          outcome: 'rejected',
          reason,
          amount: centsToString(j.debitCents),
        });
      } finally {
        await deps.audit.appendRecords(audit);
      }
    };

    const one = async (i: number) => {
      if (i < stored.count) await postOne(i);
      else await retireOne(stored.retire![i - stored.count]!.externalId);
      done.add(i);
      while (done.has(low)) done.delete(low++);
      beat({ next: low });
    };

    // Up to `concurrency` in flight; every planned journal of the batch is done before a stale one is deleted.
    const run = async (end: number) => {
      const workers = Array.from(
        { length: Math.max(0, Math.min(config.netsuite.concurrency, end - next)) },
        async () => {
          while (next < end) await one(next++);
        },
      );
      await Promise.all(workers);
    };
    await run(Math.min(input.to, Math.max(next, stored.count)));
    await run(input.to);
    return result;
  };
}
