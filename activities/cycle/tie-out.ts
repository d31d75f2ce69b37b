/**
 * `tieOutVariance`: where a failed tie-out sits, account by account (issue 16 item 3, the tie-out
 * gate). NetSuite's totals per account (one grouped SuiteQL query over the extraction's scope) are
 * set against what the connector moved for that account — loaded, quarantined and rejected — read
 * from this cycle's audit rows by the reconciliation report's own code (activities/report/data.ts), so
 * the gate and the report never disagree. The lines go to an artifact; the workflow gets its hash and
 * the top lines only (history carries no row data beyond that).
 */
import { cancellationSignal } from '@temporalio/activity';
import { buildReportData, listMemberCode, type ReportAuditSource } from '../report/data';
import type { ConnectionConfig } from '../../common/config';
import type { PeriodInfo } from '../../common/dto';
import { mapEntry } from '../../common/map-entry';
import { toCents } from '../mapping/amounts';
import type { MemberMaps } from '../mapping/dimensions';
import type { AuditRecord, RecordFilter } from '../store/audit';
import type { AuditStore } from '../store/audit-store';
import { AccountingBookSettingError, bookSupport, glBookScope } from './books';
import { classify, getJson, nonRetryable, putJson, type CycleDeps } from './context';
import { accountsWithActivitySql, glTotalsByAccountSql } from './queries';

/** One account of the variance report. Cents throughout; `varianceCents` = NetSuite − moved. */
export interface TieOutLine {
  /** Anaplan member code, or `#<NetSuite id>` when the account has none. */
  account: string;
  netsuiteId: string | null;
  netsuiteCents: number;
  /** loaded + quarantined + rejected: every cent the connector accounted for. */
  movedCents: number;
  loadedCents: number;
  quarantinedCents: number;
  rejectedCents: number;
  varianceCents: number;
}

export interface TieOutVarianceResult {
  varianceHash: string;
  /** Accounts with a variance, largest first (at most `TOP_LINES`; the artifact has them all). */
  top: TieOutLine[];
  accountsWithVariance: number;
  totalVarianceCents: number;
}

const TOP_LINES = 10;

/**
 * The audit rows of this cycle's own extraction and import only: a cycle ID run again (after a failed
 * run) has older rows under other artifact hashes, which must not count twice. Pages stay full so
 * the report's paging (a short page ends it) reads everything.
 */
function cycleRunAudit(audit: AuditStore, hashes: Set<string>): ReportAuditSource {
  const keep = (r: AuditRecord) => r.recordKind !== 'actual' || (r.artifactHash !== null && hashes.has(r.artifactHash));
  return {
    async queryRecords(filter: RecordFilter): Promise<AuditRecord[]> {
      const limit = filter.limit ?? 1000;
      const out: AuditRecord[] = [];
      let afterId = filter.afterId;
      for (;;) {
        const page = await audit.queryRecords({ ...filter, limit, ...(afterId === undefined ? {} : { afterId }) });
        for (const r of page) if (keep(r)) out.push(r);
        if (page.length < limit || out.length >= limit) return out;
        afterId = page.at(-1)!.id;
      }
    },
    queryCalls: async () => [],
  };
}

export function makeTieOut(deps: CycleDeps) {
  return async function tieOutVariance(input: {
    config: ConnectionConfig;
    cycleId: string;
    periodInfo: PeriodInfo;
    memberMapsHash: string;
    csvHash: string;
    quarantineHash: string | null;
  }): Promise<TieOutVarianceResult> {
    const { config, cycleId, periodInfo } = input;
    const { netsuite } = await deps.ports(config);
    const maps = await getJson<MemberMaps>(deps.artifacts, input.memberMapsHash);
    const signal = cancellationSignal();

    // NetSuite's side: the extraction's scope (accounts with activity, out-of-scope ones left out), per account.
    const netsuiteById = new Map<string, number>();
    try {
      const book = glBookScope(await bookSupport(netsuite, config.netsuite.multiBook), config);
      const outOfScope = new Set(maps.accounts.outOfScope);
      const partitions: string[] = [];
      for await (const page of netsuite.query(accountsWithActivitySql(periodInfo.id, book), { signal }))
        for (const r of page) if (!outOfScope.has(String(r.account_id))) partitions.push(String(r.account_id));
      if (partitions.length) {
        for await (const page of netsuite.query(glTotalsByAccountSql(periodInfo.id, partitions, book), { signal })) {
          for (const r of page) {
            // SUM over no lines is NULL, and SuiteQL omits null columns (docs/netsuite.md §3.2).
            const net = r.net;
            const c =
              net === null || net === undefined || net === ''
                ? 0
                : toCents(
                    net as string | number,
                    `NetSuite's GL total of account ${String(r.account_id)} in period ${periodInfo.id}`,
                  );
            netsuiteById.set(String(r.account_id), (netsuiteById.get(String(r.account_id)) ?? 0) + c);
          }
        }
      }
    } catch (err) {
      if (err instanceof AccountingBookSettingError) throw nonRetryable(err.message);
      throw classify(err);
    }

    // The connector's side, per account, from the audit trail through the report's code.
    const hashes = new Set([input.csvHash, ...(input.quarantineHash ? [input.quarantineHash] : [])]);
    const report = await buildReportData({
      cycleId,
      audit: cycleRunAudit(deps.audit, hashes),
      artifacts: deps.artifacts,
    });
    // Account labels as the report gives them: the code the alignment recorded (mapped, or excluded by
    // an override), else `#<id>`; read back to NetSuite ids to meet NetSuite's per-account totals.
    const codeOf = new Map<string, string>();
    for (let afterId = 0; ; ) {
      const page = await deps.audit.queryRecords({ cycleId, recordKind: 'list_member', limit: 5000, afterId });
      for (const r of page) {
        const m = listMemberCode(r);
        if (m?.dim === 'accounts') codeOf.set(m.id, m.code);
      }
      if (page.length < 5000) break;
      afterId = page.at(-1)!.id;
    }
    const idByCode = new Map([...codeOf].map(([id, code]) => [code, id]));
    const labelOf = (id: string) => codeOf.get(id) ?? maps.accounts.toCode[id] ?? `#${id}`;
    const idOf = (label: string): string | null =>
      label.startsWith('#') ? label.slice(1) : (idByCode.get(label) ?? maps.accounts.fromCode[label] ?? null);
    const lines = new Map<string, TieOutLine>();
    const line = (key: string, account: string, netsuiteId: string | null): TieOutLine => {
      const l = mapEntry(lines, key, () => ({
        account,
        netsuiteId,
        netsuiteCents: 0,
        movedCents: 0,
        loadedCents: 0,
        quarantinedCents: 0,
        rejectedCents: 0,
        varianceCents: 0,
      }));
      return l;
    };
    for (const a of report.actuals) {
      const id = idOf(a.account);
      const l = line(id === null ? `label:${a.account}` : `id:${id}`, a.account, id);
      l.movedCents += a.netsuiteCents;
      l.loadedCents += a.loadedCents;
      l.quarantinedCents += a.quarantinedCents;
      l.rejectedCents += a.rejectedCents;
    }
    for (const [id, c] of netsuiteById) line(`id:${id}`, labelOf(id), id).netsuiteCents += c;
    const all = [...lines.values()];
    for (const l of all) l.varianceCents = l.netsuiteCents - l.movedCents;
    all.sort(
      (a, b) =>
        Math.abs(b.varianceCents) - Math.abs(a.varianceCents) ||
        (a.account < b.account ? -1 : a.account > b.account ? 1 : 0),
    );
    const off = all.filter((l) => l.varianceCents !== 0);
    const varianceHash = await putJson(deps.artifacts, { cycleId, period: periodInfo.period, accounts: all });
    const totalVarianceCents = all.reduce((s, l) => s + l.varianceCents, 0);
    deps.log?.('tie-out variance by account', { accountsWithVariance: off.length, totalVarianceCents, varianceHash });
    return { varianceHash, top: off.slice(0, TOP_LINES), accountsWithVariance: off.length, totalVarianceCents };
  };
}
