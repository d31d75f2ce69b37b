/** Adapts the production NetSuite client to the cycle's NetSuitePort. */
import { X509Certificate } from 'node:crypto';
import { describeDifferences, readJournalApprovalMode, type NetSuiteClient } from '../netsuite';
import type { NetSuitePort, SuiteQlRow } from './ports';

const toRow = (r: Record<string, string | undefined>): SuiteQlRow => {
  const out: SuiteQlRow = {};
  for (const [k, v] of Object.entries(r)) out[k] = v ?? null;
  return out;
};

function refId(v: unknown): string | undefined {
  const id = (v as { id?: unknown } | undefined)?.id;
  return id === undefined ? undefined : String(id);
}

export function netsuitePort(client: NetSuiteClient, certificatePem?: string): NetSuitePort {
  const expiry = certificatePem ? new Date(new X509Certificate(certificatePem).validTo) : undefined;
  return {
    async *query(sql, opts) {
      for await (const page of client.suiteql(sql, { signal: opts?.signal })) yield page.rows.map(toRow);
    },
    async *queryKeyset(build, key, opts) {
      const pages = client.suiteqlKeyset<Record<string, string | undefined>, string>({
        build: (after: string | undefined) => build(after ?? null),
        key: (r: Record<string, string | undefined>) => key(toRow(r)),
        after: opts?.startAfter ?? undefined,
        signal: opts?.signal,
      });
      for await (const page of pages) {
        yield page.rows.map(toRow);
      }
    },
    async upsertJournal(externalId, body, opts) {
      const items = ((body.line as { items?: Array<Record<string, unknown>> })?.items ?? []).map((l) => ({
        account: refId(l.account)!,
        debit: l.debit as number | undefined,
        credit: l.credit as number | undefined,
        department: refId(l.department),
        class: refId(l.class),
        location: refId(l.location),
        memo: l.memo as string | undefined,
      }));
      const w = await client.writeJournal(
        externalId,
        {
          subsidiary: refId(body.subsidiary)!,
          tranDate: String(body.tranDate),
          postingPeriod: refId(body.postingPeriod),
          memo: body.memo as string | undefined,
          approved: body.approved as boolean | undefined,
          approvalStatus: refId(body.approvalStatus),
          accountingBook: refId(body.accountingBook),
          lines: items,
        },
        { exists: opts?.exists ?? false },
      );
      return { internalId: w.id, repaired: w.repaired ? describeDifferences(w.repaired) : undefined };
    },
    async getJournal(externalId) {
      const rec = await client.getJournalByExternalId(externalId);
      return rec ? { internalId: String(rec.id), body: rec as unknown as Record<string, unknown> } : null;
    },
    deleteJournal: (externalId) => client.deleteJournalByExternalId(externalId),
    journalApprovalMode: () => readJournalApprovalMode(client),
    certificateExpiresAt: () => expiry,
  };
}
