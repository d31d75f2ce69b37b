/**
 * `diffJournals`: what posting a prepared plan would do to the ledger, before anything is written
 * (issue 11 item 8: approval gate and dry run). Each planned journal is looked up by externalId,
 * like postJournals' unchanged check, and classed create / update / unchanged; each stale journal
 * the plan retires is looked up too (retire, or already gone). Amounts are summed per subsidiary ×
 * period × version. The diff is stored as a JSON artifact; history carries its hash and counts.
 */
import type { ConnectionConfig } from '../../common/config';
import type { JournalDiff, JournalDiffAction, JournalDiffResult } from '../../common/dto';
import { mapEntry } from '../../common/map-entry';
import { sameJournalContent } from '../mapping/journal-compare';
import { parseJournalExternalId, versionSlug } from '../mapping/journals';
import { putJson, type CycleDeps } from './context';
import { beat } from './heartbeat';
import { plannedJournalBody } from './journals';
import { readStoredJournals } from './stored-journals';
import type { AuditStore } from '../store';

const ref = (v: unknown) => String((v as { id?: string } | undefined)?.id ?? v ?? '');
const lines = (b: Record<string, unknown>) =>
  (b.line as { items?: Array<Record<string, unknown>> } | undefined)?.items ?? [];
const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100);

export function makeDiff(deps: CycleDeps) {
  return async function diffJournals(input: {
    config: ConnectionConfig;
    cycleId: string;
    journalsHash: string;
  }): Promise<JournalDiffResult> {
    const { config, cycleId, journalsHash } = input;
    const { netsuite } = await deps.ports(config);
    const stored = await readStoredJournals(deps.artifacts, journalsHash);
    const idOpts = { modelId: config.anaplan.modelId, externalIdPrefix: config.journals.externalIdPrefix };
    const versionBySlug = new Map(stored.journals.map((j) => [versionSlug(j.version), j.version]));
    const journals: JournalDiff['journals'] = [];

    // Reads only; bounded by the account's concurrency like postJournals.
    const queue = [
      ...stored.journals.map((j) => ({ planned: j })),
      ...(stored.retire ?? []).map((r) => ({ retire: r })),
    ];
    let next = 0;
    const one = async (item: (typeof queue)[number]) => {
      if ('planned' in item) {
        const j = item.planned;
        const body = plannedJournalBody(stored, j, config);
        const existing = await netsuite.getJournal(j.externalId);
        const action: JournalDiffAction = !existing
          ? 'create'
          : sameJournalContent(existing.body, body)
            ? 'unchanged'
            : 'update';
        const before = existing ? lines(existing.body).reduce((a, l) => a + cents(l.debit), 0) : 0;
        journals.push({
          externalId: j.externalId,
          action,
          subsidiaryId: j.subsidiaryId,
          period: j.period,
          version: j.version,
          debitCents: j.debitCents,
          ledgerDebitCents: before,
        });
      } else {
        const r = item.retire;
        const existing = await netsuite.getJournal(r.externalId);
        if (!existing) return; // already gone: retiring it changes nothing
        const parsed = parseJournalExternalId(idOpts, r.externalId);
        journals.push({
          externalId: r.externalId,
          action: 'retire',
          subsidiaryId: ref(existing.body.subsidiary) || parsed?.subsidiaryId || '?',
          period: r.period,
          version: (parsed && versionBySlug.get(parsed.version)) ?? parsed?.version ?? '?',
          debitCents: 0,
          ledgerDebitCents: lines(existing.body).reduce((a, l) => a + cents(l.debit), 0),
        });
      }
    };
    const workers = Array.from(
      { length: Math.max(1, Math.min(config.netsuite.concurrency, queue.length)) },
      async () => {
        while (next < queue.length) {
          await one(queue[next++]!);
          beat({ read: next });
        }
      },
    );
    await Promise.all(workers);
    journals.sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));

    const counts: JournalDiffResult['counts'] = { create: 0, update: 0, unchanged: 0, retire: 0 };
    const rows = new Map<string, JournalDiff['rows'][number]>();
    for (const j of journals) {
      counts[j.action]++;
      const key = `${j.subsidiaryId}|${j.period}|${j.version}`;
      const row = mapEntry(rows, key, () => ({
        subsidiaryId: j.subsidiaryId,
        period: j.period,
        version: j.version,
        create: 0,
        update: 0,
        unchanged: 0,
        retire: 0,
        planCents: 0,
        ledgerCents: 0,
      }));
      row[j.action]++;
      row.planCents += j.debitCents;
      row.ledgerCents += j.ledgerDebitCents;
    }
    const diff: JournalDiff = {
      cycleId,
      journalsHash,
      counts,
      rows: [...rows.values()].sort((a, b) =>
        `${a.period}|${a.version}|${a.subsidiaryId}` < `${b.period}|${b.version}|${b.subsidiaryId}` ? -1 : 1,
      ),
      journals,
    };
    const diffHash = await putJson(deps.artifacts, diff);
    const planCents = journals.reduce((a, j) => a + j.debitCents, 0);
    const ledgerCents = journals.reduce((a, j) => a + j.ledgerDebitCents, 0);
    return { diffHash, counts, planCents, ledgerCents };
  };
}

/** Approval decisions in the audit trail (cycle_events): who, when, and the diff they decided on. */
export function makeApprovalRecord(deps: { audit: AuditStore }) {
  return async function recordApproval(input: {
    cycleId: string;
    kind: 'approved' | 'rejected' | 'approval_expired';
    by: string | null;
    note: string | null;
    diffHash: string;
  }): Promise<void> {
    await deps.audit.appendEvent({
      cycleId: input.cycleId,
      kind: input.kind,
      actor: input.by,
      note: input.note === null ? `diff ${input.diffHash}` : `${input.note} (diff ${input.diffHash})`,
    });
  };
}
