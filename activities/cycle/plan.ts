/**
 * `runPlanExport` (under the model lock) and `preparePlan`.
 *
 * The export action's output (approved cells only: the action filters on the plan's Approved flag)
 * is streamed into an artifact. `preparePlan` parses it, keeps the configured versions, maps member
 * codes back to NetSuite internal IDs through the same member map the import used, quarantines what
 * does not map (with the export line), skips periods that are closed in NetSuite, and stores the
 * planned journals as an artifact for `postJournals`.
 */
import { cancellationSignal } from '@temporalio/activity';
import { beat } from './heartbeat';
import { parse } from 'csv-parse';
import { periodFromAnaplanCode, type ConnectionConfig } from '../../common/config';
import type { ExportResult, PeriodInfo, PreparePlanResult } from '../../common/dto';
import { parseCents } from '../mapping/amounts';
import { restoreFormula } from '../mapping/csv';
import type { MemberMaps } from '../mapping/dimensions';
import { journalIdPrefix, parseJournalExternalId, planJournals, versionSlug, type PlanValue } from '../mapping/journals';
import type { AuditRecordInput } from '../store';
import { classify, getJson, nonRetryable, putJson, type CycleDeps } from './context';
import { connectorJournalsSql } from './queries';

/** Columns the `Export Approved Plan` action writes (tabular multi-column export). */
export const PLAN_COLUMNS = ['Account', 'Subsidiary', 'Department', 'Period', 'Version', 'Amount'] as const;
/** A plan row is six short cells; a record past this is a broken export, refused before it is buffered whole. */
export const MAX_PLAN_RECORD_BYTES = 64 * 1024;

export interface StoredJournals {
  period: string;
  journals: ReturnType<typeof planJournals>;
  /** NetSuite period internal ID and end date per YYYY-MM. */
  periods: Record<string, { id: string; endDate: string }>;
  /**
   * Plan journals already in NetSuite that this plan no longer needs: same model, a version and open
   * period the export covers, but no planned journal with that external ID (a plan that shrank to
   * fewer parts, or a subsidiary with no approved values left). Posted first, then deleted.
   */
  retire?: Array<{ externalId: string; period: string }>;
}

export function makePlan(deps: CycleDeps) {
  async function runPlanExport(input: { config: ConnectionConfig; cycleId: string }): Promise<ExportResult> {
    const { anaplan } = await deps.ports(input.config);
    let ref: { hash: string; bytes: number } | undefined;
    try {
      const { taskId } = await anaplan.runExport(
        input.config.actions.exportPlan,
        async (body) => {
          const w = deps.artifacts.writeStream();
          body.pipe(w);
          ref = await w.done();
        },
        { signal: cancellationSignal(), onProgress: (p) => beat(p) },
      );
      if (!ref) throw new Error('export produced no file');
      let rows = 0;
      for await (const chunk of await deps.artifacts.openRead(ref.hash)) for (const b of chunk as Buffer) if (b === 10) rows++;
      deps.audit.appendRecord({ cycleId: input.cycleId, step: 'exportPlan', recordKind: 'plan_value', sourceRef: `export:${input.config.actions.exportPlan}`, artifactHash: ref.hash, targetRef: taskId, outcome: 'accepted', reason: `${Math.max(0, rows - 1)} rows exported` });
      return { taskId, exportHash: ref.hash, rows: Math.max(0, rows - 1), bytes: ref.bytes };
    } catch (err) {
      throw classify(err);
    }
  }

  async function preparePlan(input: { config: ConnectionConfig; cycleId: string; exportHash: string; memberMapsHash: string; periods: PeriodInfo[]; period: string }): Promise<PreparePlanResult> {
    const { config, cycleId } = input;
    const maps = await getJson<MemberMaps>(deps.artifacts, input.memberMapsHash);
    const periodsByMonth = new Map(input.periods.map((p) => [p.period, p]));
    const lastMonth = input.periods.reduce((m, p) => (p.period > m ? p.period : m), '');
    const versions = new Set(config.plan.versions);
    const offset = maps.accounts.fromCode[config.journals.offsetAccount] ?? null;
    const offsetId = offset ?? (await resolveAccountId(deps, config, config.journals.offsetAccount));
    const values: PlanValue[] = [];
    const audit: AuditRecordInput[] = [];
    let quarantined = 0;
    let skippedClosed = 0;
    const quarantine: Array<{ line: number; reason: string; row: Record<string, string> }> = [];
    /** `version|YYYY-MM` pairs the export speaks for in the periods this cycle writes. */
    const covered = new Set<string>();
    const parser = (await deps.artifacts.openRead(input.exportHash, { chunkBytes: 64 * 1024 })).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_quotes: false, info: true, max_record_size: MAX_PLAN_RECORD_BYTES }));
    let headerChecked = false;
    try {
      for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        const row = rec.record;
        const line = rec.info.lines;
        if (!headerChecked) {
          const missing = PLAN_COLUMNS.filter((c) => !(c in row));
          if (missing.length) throw nonRetryable(`plan export "${config.actions.exportPlan}" lacks column(s) ${missing.join(', ')} (has: ${Object.keys(row).join(', ')}); fix the export action's layout`);
          headerChecked = true;
        }
        // csv-parse decodes each field as UTF-8 and turns invalid bytes into U+FFFD: a Latin-1 export would
        // otherwise turn codes into near misses that quarantine silently, so the file is refused whole.
        if (Object.values(row).some((v) => v.includes('\uFFFD'))) throw nonRetryable(`plan export "${config.actions.exportPlan}" is not UTF-8: line ${line} holds bytes that are not valid UTF-8; set the export action's encoding to UTF-8`);
        if (!versions.has(row.Version!)) continue;
        const q = (reason: string) => {
          quarantined++;
          quarantine.push({ line, reason, row });
          audit.push({ cycleId, step: 'postJournals', recordKind: 'plan_value', sourceRef: `export#${line}`, artifactHash: input.exportHash, outcome: 'quarantined', reason, account: row.Account ?? null, amount: row.Amount ?? null });
        };
        const cents = parseCents(row.Amount);
        if (cents === null || Number.isNaN(cents)) {
          q(`amount ${JSON.stringify(row.Amount)} is not a number`);
          continue;
        }
        const month = periodFromAnaplanCode(config, row.Period!);
        if (!month) {
          q(`period ${JSON.stringify(row.Period)} is not a month code this connection maps`);
          continue;
        }
        const p = periodsByMonth.get(month);
        if (!p && month > lastMonth) {
          // Beyond NetSuite's calendar: a period not opened yet, like a closed one it is not posted now.
          skippedClosed++;
          continue;
        }
        if (!p) {
          q(`no NetSuite accounting period for ${month}`);
          continue;
        }
        // Only the plan still ahead posts: periods after the cycle's period that are open.
        if (month <= input.period || p.closed) {
          skippedClosed++;
          continue;
        }
        covered.add(`${versionSlug(row.Version!)}|${month}`);
        // Codes come back as imported: a formula-guarded one (csvLine) carries a leading quote.
        const accountId = maps.accounts.fromCode[restoreFormula(row.Account!)];
        const subsidiaryId = maps.subsidiaries.fromCode[restoreFormula(row.Subsidiary!)];
        const departmentId = row.Department ? maps.departments.fromCode[restoreFormula(row.Department)] : null;
        if (!accountId) {
          q(`account ${row.Account} does not map to a NetSuite account`);
          continue;
        }
        if (!subsidiaryId) {
          q(`subsidiary ${row.Subsidiary} does not map to a NetSuite subsidiary`);
          continue;
        }
        if (departmentId === undefined) {
          q(`department ${row.Department} does not map to a NetSuite department`);
          continue;
        }
        values.push({ accountId, subsidiaryId, departmentId, period: month, version: row.Version!, cents, sourceLine: line });
        if (values.length % 10_000 === 0) beat({ values: values.length });
      }
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith?.('CSV_')) throw nonRetryable(`plan export is not valid CSV: ${(err as Error).message}`);
      throw err;
    }
    deps.audit.appendRecords(audit);
    const idOptions = { modelId: config.anaplan.modelId, externalIdPrefix: config.journals.externalIdPrefix };
    const journals = planJournals(values, { ...idOptions, offsetAccountId: offsetId, maxLinesPerJournal: config.journals.maxLinesPerJournal });
    const periods: StoredJournals['periods'] = {};
    for (const j of journals) {
      const p = periodsByMonth.get(j.period)!;
      periods[j.period] = { id: p.id, endDate: p.endDate };
    }
    const { retire, warning } = await staleJournals(deps, config, idOptions, covered, new Set(journals.map((j) => j.externalId)));
    const stored: StoredJournals = { period: input.period, journals, periods, retire };
    const journalsHash = await putJson(deps.artifacts, stored);
    const quarantineHash = quarantine.length ? await putJson(deps.artifacts, quarantine) : null;
    return { journalsHash, journals: journals.length, retire: retire.length, ...(warning ? { warning } : {}), values: values.length, quarantined, quarantineHash, skippedClosedPeriods: skippedClosed, planCents: values.reduce((s, v) => s + v.cents, 0) };
  }

  return { runPlanExport, preparePlan };
}

/**
 * The connector's journals for this model, in the covered version × periods, that no planned journal
 * replaces. If NetSuite refuses the query itself (400: `transaction.externalid` in SuiteQL is
 * UNCONFIRMED), the plan is still posted and nothing is deleted; the cycle says so in a warning.
 */
async function staleJournals(deps: CycleDeps, config: ConnectionConfig, o: { modelId: string; externalIdPrefix: string }, covered: Set<string>, planned: Set<string>): Promise<{ retire: NonNullable<StoredJournals['retire']>; warning?: string }> {
  const retire: NonNullable<StoredJournals['retire']> = [];
  if (covered.size === 0) return { retire };
  const { netsuite } = await deps.ports(config);
  try {
    for await (const page of netsuite.query(connectorJournalsSql(journalIdPrefix(o)))) {
      for (const r of page) {
        const externalId = String(r.externalid ?? '');
        const k = parseJournalExternalId(o, externalId);
        if (k && covered.has(`${k.version}|${k.period}`) && !planned.has(externalId)) retire.push({ externalId, period: k.period });
      }
    }
  } catch (err) {
    if ((err as { status?: number }).status !== 400) throw classify(err);
    return { retire: [], warning: `stale plan journals were not looked for (NetSuite refused the query: ${(err as Error).message}); journals a smaller plan no longer needs stay in the ledger` };
  }
  return { retire };
}

async function resolveAccountId(deps: CycleDeps, config: ConnectionConfig, acctnumber: string): Promise<string> {
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(acctnumber)) throw nonRetryable(`journals.offsetAccount ${JSON.stringify(acctnumber)} is not an account number`);
  const { netsuite } = await deps.ports(config);
  for await (const page of netsuite.query(`SELECT id, isinactive FROM account WHERE acctnumber = '${acctnumber}'`)) {
    const r = page[0];
    if (r) {
      if (r.isinactive === 'T') throw nonRetryable(`journals.offsetAccount ${acctnumber} is inactive in NetSuite`);
      return String(r.id);
    }
  }
  throw nonRetryable(`journals.offsetAccount ${acctnumber} does not exist in NetSuite`);
}
