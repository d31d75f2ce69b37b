/**
 * `runPlanExport` (under the model lock) and `preparePlan`.
 *
 * The export action's output (approved cells only: the action filters on the plan's Approved flag)
 * is streamed into an artifact. `preparePlan` parses it, keeps the configured versions, maps member
 * codes back to NetSuite internal IDs through the same member map the import used, quarantines what
 * does not map (with the export line), skips periods that are closed or locked in NetSuite, freezes
 * the scopes the export cannot speak for (plan-scopes.ts), and stores the planned journals and the
 * stale ones to retire as an artifact for `postJournals`.
 */
import { cancellationSignal } from '@temporalio/activity';
import { beat } from './heartbeat';
import { parse } from 'csv-parse';
import { periodFromAnaplanCode, type ConnectionConfig } from '../../common/config';
import type { ExportResult, PeriodInfo, PreparePlanResult } from '../../common/dto';
import { parseCents } from '../mapping/amounts';
import { restoreFormula } from '../mapping/csv';
import type { MemberMaps } from '../mapping/dimensions';
import {
  assertDistinctExternalIds,
  DuplicateExternalIdError,
  journalExternalId,
  journalIdPrefix,
  parseJournalExternalId,
  versionSlug,
  type PlanGroups,
} from '../mapping/journals';
import type { AuditRecordInput } from '../store';
import { classify, getJson, nonRetryable, putJson, type CycleDeps } from './context';
import { ANY, describeScope, FrozenScopes } from './plan-scopes';
import { connectorJournalsOnMembersSql, connectorJournalsSql } from './queries';
import { DiskPlanGrouping } from './plan-grouping-disk';
import { writeStoredJournals, type StoredJournals } from './stored-journals';

/** Columns the `Export Approved Plan` action writes (tabular multi-column export). */
export const PLAN_COLUMNS = ['Account', 'Subsidiary', 'Department', 'Period', 'Version', 'Amount'] as const;
/** A plan row is six short cells; a record past this is a broken export, refused before it is buffered whole. */
export const MAX_PLAN_RECORD_BYTES = 64 * 1024;

export type { StoredJournals } from './stored-journals';

interface PreparePlanInput {
  config: ConnectionConfig;
  cycleId: string;
  exportHash: string;
  memberMapsHash: string;
  periods: PeriodInfo[];
  period: string;
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
      for await (const chunk of await deps.artifacts.openRead(ref.hash))
        for (const b of chunk as Buffer) if (b === 10) rows++;
      await deps.audit.appendRecord({
        cycleId: input.cycleId,
        step: 'exportPlan',
        recordKind: 'plan_value',
        sourceRef: `export:${input.config.actions.exportPlan}`,
        artifactHash: ref.hash,
        targetRef: taskId,
        outcome: 'accepted',
        reason: `${Math.max(0, rows - 1)} rows exported`,
      });
      return { taskId, exportHash: ref.hash, rows: Math.max(0, rows - 1), bytes: ref.bytes };
    } catch (err) {
      throw classify(err);
    }
  }

  async function preparePlan(input: PreparePlanInput): Promise<PreparePlanResult> {
    // Mapped values are folded onto their journal lines on disk as the export streams (plan-grouping-disk.ts):
    // never held one by one, nor line by line.
    const grouping = new DiskPlanGrouping({ dir: deps.scratchDir });
    try {
      return await prepareWith(input, grouping);
    } finally {
      grouping.close();
    }
  }

  async function prepareWith(input: PreparePlanInput, grouping: PlanGroups): Promise<PreparePlanResult> {
    const { config, cycleId } = input;
    const maps = await getJson<MemberMaps>(deps.artifacts, input.memberMapsHash);
    const periodsByMonth = new Map(input.periods.map((p) => [p.period, p]));
    const lastMonth = input.periods.reduce((m, p) => (p.period > m ? p.period : m), '');
    const versions = new Set(config.plan.versions);
    const offset = maps.accounts.fromCode[config.journals.offsetAccount] ?? null;
    /** A month this cycle posts to: after the cycle's period, with an open, unlocked NetSuite period. */
    const writable = (month: string) => {
      const p = periodsByMonth.get(month);
      return month > input.period && !!p && !p.closed && !p.locked;
    };
    const idOptions = { modelId: config.anaplan.modelId, externalIdPrefix: config.journals.externalIdPrefix };
    // The NetSuite reads that do not depend on the export (the offset account, the connector's journals
    // already in the ledger) run while the export is parsed, not after it. The ledger's freezes are
    // kept apart and added after the export's, so every scope keeps the reason it had when these
    // reads came last (the first reason given for a scope is the one kept).
    const offsetRead =
      offset !== null ? Promise.resolve(offset) : resolveAccountId(deps, config, config.journals.offsetAccount);
    const ledgerFrozen = new FrozenScopes();
    const ledgerRead = offsetRead.then((offsetId) =>
      ledgerJournals(
        deps,
        config,
        maps,
        idOptions,
        offsetId,
        ledgerFrozen,
        writable,
        input.periods.map((p) => p.period).filter(writable),
      ),
    );
    // Awaited below; a refusal that comes while the export is still being parsed is not unhandled.
    ledgerRead.catch(() => undefined);
    let mappedValues = 0;
    const audit: AuditRecordInput[] = [];
    let quarantined = 0;
    let skippedClosed = 0;
    let skippedLocked = 0;
    const lockedMonths = new Set<string>();
    const quarantine: Array<{ line: number; reason: string; row: Record<string, string> }> = [];
    /** `versionSlug|YYYY-MM` pairs for which the export holds mapped rows in the months this cycle writes. */
    const covered = new Set<string>();
    const frozen = new FrozenScopes();
    const inExport = new Set<string>();
    const parser = (await deps.artifacts.openRead(input.exportHash, { chunkBytes: 64 * 1024 })).pipe(
      parse({
        columns: true,
        bom: true,
        skip_empty_lines: true,
        relax_quotes: false,
        info: true,
        max_record_size: MAX_PLAN_RECORD_BYTES,
      }),
    );
    let headerChecked = false;
    try {
      for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        const row = rec.record;
        const line = rec.info.lines;
        if (!headerChecked) {
          const missing = PLAN_COLUMNS.filter((c) => !(c in row));
          if (missing.length)
            throw nonRetryable(
              `plan export "${config.actions.exportPlan}" lacks column(s) ${missing.join(', ')} (has: ${Object.keys(row).join(', ')}); fix the export action's layout`,
            );
          headerChecked = true;
        }
        // csv-parse decodes each field as UTF-8 and turns invalid bytes into U+FFFD: a Latin-1 export would
        // otherwise turn codes into near misses that quarantine silently, so the file is refused whole.
        if (Object.values(row).some((v) => v.includes('\uFFFD')))
          throw nonRetryable(
            `plan export "${config.actions.exportPlan}" is not UTF-8: line ${line} holds bytes that are not valid UTF-8; set the export action's encoding to UTF-8`,
          );
        if (!versions.has(row.Version!)) continue;
        inExport.add(row.Version!);
        const q = (reason: string) => {
          quarantined++;
          quarantine.push({ line, reason, row });
          audit.push({
            cycleId,
            step: 'postJournals',
            recordKind: 'plan_value',
            sourceRef: `export#${line}`,
            artifactHash: input.exportHash,
            outcome: 'quarantined',
            reason,
            account: row.Account ?? null,
            amount: row.Amount ?? null,
          });
          // The row's scope is frozen, as precisely as the row can be placed: an unknown month or
          // subsidiary freezes every month or subsidiary of the version (rule 1, plan-scopes.ts).
          const month = periodFromAnaplanCode(config, row.Period!) ?? ANY;
          if (month !== ANY && !writable(month)) return;
          frozen.freeze(
            row.Version!,
            month,
            maps.subsidiaries.fromCode[row.Subsidiary!] ?? ANY,
            `export line ${line} quarantined: ${reason}`,
          );
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
        // A period locked for all transactions takes no journal (docs/netsuite.md §8.2), like a closed one.
        // The A/P and A/R locks (`aplocked`, `arlocked`) are not read: they lock those subledgers'
        // transactions (bills, invoices, payments), while plan journals are GL journal entries, which
        // only "lock all" (`alllocked`) stops — §8.2 names it the "cannot post" flag.
        if (p.locked) {
          skippedLocked++;
          lockedMonths.add(month);
          continue;
        }
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
        covered.add(`${versionSlug(row.Version!)}|${month}`);
        grouping.add({
          accountId,
          subsidiaryId,
          departmentId,
          period: month,
          version: row.Version!,
          cents,
          sourceLine: line,
        });
        if (++mappedValues % 10_000 === 0) beat({ values: mappedValues });
      }
    } catch (err) {
      // A bad offset account is named first, as when it was looked up before the export was read.
      await offsetRead;
      if ((err as { code?: string }).code?.startsWith?.('CSV_'))
        throw nonRetryable(`plan export is not valid CSV: ${(err as Error).message}`);
      throw classify(err);
    }
    await deps.audit.appendRecords(audit);
    // A configured version the export does not hold at all: the export says nothing about it.
    for (const v of config.plan.versions)
      if (!inExport.has(v)) frozen.freeze(v, ANY, ANY, `version ${JSON.stringify(v)} is not in the plan export`);

    const offsetId = await offsetRead;
    const ledger = await ledgerRead;
    frozen.add(ledgerFrozen);
    // A scope frozen for its own subsidiary whose ledger already holds journals: posting would replace
    // them with journals that lack the quarantined or unmappable values.
    for (const { k } of ledger.journals)
      if (writable(k.period) && frozen.frozenFor(k.version, k.period, k.subsidiaryId))
        frozen.hold(k.version, k.period, k.subsidiaryId);
    // Held back: whole journal groups (a frozen scope is a version × month × subsidiary).
    const posts = (version: string, period: string, subsidiaryId: string) =>
      !frozen.holdsBack(versionSlug(version), period, subsidiaryId);
    const planOptions = {
      ...idOptions,
      offsetAccountId: offsetId,
      maxLinesPerJournal: config.journals.maxLinesPerJournal,
    };
    // Which journals the plan makes, without their lines: the lines are built one journal at a time as
    // the artifact is written (writeStoredJournals), so the plan's lines are never all in memory.
    const plan = () => grouping.heads(planOptions, posts);
    let journals = plan();
    // A frozen scope whose ledger journals would stay while new ones are posted beside them (a part the
    // smaller plan no longer has): its new parts would re-split lines the kept part still carries, so
    // the whole scope waits until it maps fully.
    const plannedNow = new Set(journals.map((j) => j.externalId));
    let heldMore = false;
    for (const { externalId, k } of ledger.journals) {
      if (
        !covered.has(`${k.version}|${k.period}`) ||
        plannedNow.has(externalId) ||
        !frozen.blocksRetire(k.version, k.period, k.subsidiaryId)
      )
        continue;
      if (!frozen.holdsBack(k.version, k.period, k.subsidiaryId)) {
        frozen.hold(k.version, k.period, k.subsidiaryId);
        heldMore = true;
      }
    }
    if (heldMore) journals = plan();
    const values = grouping.totals(posts);
    try {
      assertDistinctExternalIds(journals);
    } catch (err) {
      if (err instanceof DuplicateExternalIdError) throw nonRetryable(err.message);
      throw classify(err);
    }
    const periods: StoredJournals['periods'] = {};
    for (const j of journals) {
      const p = periodsByMonth.get(j.period)!;
      periods[j.period] = { id: p.id, endDate: p.endDate };
    }
    const planned = new Set(journals.map((j) => j.externalId));
    const retire: NonNullable<StoredJournals['retire']> = [];
    const frozenAudit: AuditRecordInput[] = [];
    let kept = 0;
    for (const { externalId, k } of ledger.journals) {
      if (!covered.has(`${k.version}|${k.period}`) || planned.has(externalId)) continue;
      const f = frozen.blocksRetire(k.version, k.period, k.subsidiaryId);
      if (!f) {
        retire.push({ externalId, period: k.period });
        continue;
      }
      kept++;
      frozenAudit.push({
        cycleId,
        step: 'exportPlan',
        recordKind: 'journal',
        sourceRef: `frozen:${f.version}|${f.period}|${f.subsidiaryId}`,
        artifactHash: input.exportHash,
        targetRef: externalId,
        outcome: 'quarantined',
        reason: `kept, not retired: scope frozen (${f.reason})`,
      });
    }
    const frozenList = frozen.list();
    for (const f of frozenList)
      frozenAudit.push({
        cycleId,
        step: 'exportPlan',
        recordKind: 'journal',
        sourceRef: `frozen:${f.version}|${f.period}|${f.subsidiaryId}`,
        artifactHash: input.exportHash,
        targetRef: `scope:${f.version}|${f.period}|${f.subsidiaryId}`,
        outcome: 'quarantined',
        reason: `frozen (nothing posted or deleted there): ${f.reason}`,
      });
    await deps.audit.appendRecords(frozenAudit);

    const journalsHash = await writeStoredJournals(
      deps.artifacts,
      { period: input.period, periods, retire, count: journals.length },
      grouping.eachJournal(planOptions, posts),
    );
    const quarantineHash = quarantine.length ? await putJson(deps.artifacts, quarantine) : null;
    const heldValues = mappedValues - values.values;
    const warnings: string[] = [];
    if (ledger.warning) warnings.push(ledger.warning);
    if (frozenList.length) {
      const shown = frozenList.slice(0, 3).map((f) => `${describeScope(f)} (${f.reason})`);
      warnings.push(
        `${frozenList.length} plan scope(s) frozen, nothing deleted there${heldValues ? ` and ${heldValues} plan value(s) held back` : ''}${kept ? `; ${kept} ledger journal(s) kept as posted` : ''}: ${shown.join('; ')}${frozenList.length > 3 ? `; +${frozenList.length - 3} more (ml-connector audit --cycle ${cycleId} --step exportPlan)` : ''}`,
      );
    }
    if (skippedLocked)
      warnings.push(
        `${skippedLocked} plan value(s) not posted: period(s) ${[...lockedMonths].sort().join(', ')} locked in NetSuite (all transactions)`,
      );
    return {
      journalsHash,
      journals: journals.length,
      retire: retire.length,
      ...(warnings.length ? { warning: warnings.join(' | ') } : {}),
      values: values.values,
      quarantined,
      quarantineHash,
      skippedClosedPeriods: skippedClosed,
      ...(skippedLocked ? { skippedLockedPeriods: skippedLocked, lockedMonths: [...lockedMonths].sort() } : {}),
      planCents: values.cents,
      ...(frozenList.length
        ? {
            frozenScopes: frozenList.length,
            frozen: frozenList.slice(0, MAX_FROZEN_IN_RESULT),
            keptJournals: kept,
            heldValues,
          }
        : {}),
    };
  }

  return { runPlanExport, preparePlan };
}

/** Frozen scopes listed in an activity result (history stays small; the audit trail has all). */
const MAX_FROZEN_IN_RESULT = 20;
/** Unmapped member IDs per ledger-lines query (keeps the SuiteQL text short). */
const MEMBER_BATCH = 200;

/**
 * The connector's journals for this model already in the ledger, and the scopes they freeze: a
 * journal on a subsidiary, account or department the current mapping cannot express (unmapped since
 * it was posted, e.g. a department dropped from Anaplan or a renamed account code) belongs to a scope
 * the export cannot speak for. If NetSuite refuses the query itself (400: `transaction.externalid` in
 * SuiteQL is UNCONFIRMED), the journals are looked up by external ID through the record API instead
 * (ledgerJournalsByExternalId); the cycle says so in a warning.
 */
async function ledgerJournals(
  deps: CycleDeps,
  config: ConnectionConfig,
  maps: MemberMaps,
  o: { modelId: string; externalIdPrefix: string },
  offsetId: string,
  frozen: FrozenScopes,
  writable: (month: string) => boolean,
  months: string[],
): Promise<{
  journals: Array<{ externalId: string; k: NonNullable<ReturnType<typeof parseJournalExternalId>> }>;
  warning?: string;
}> {
  const journals: Array<{ externalId: string; k: NonNullable<ReturnType<typeof parseJournalExternalId>> }> = [];
  const { netsuite } = await deps.ports(config);
  const prefix = journalIdPrefix(o);
  const versionName = new Map(config.plan.versions.map((v) => [versionSlug(v), v]));
  try {
    for await (const page of netsuite.query(connectorJournalsSql(prefix))) {
      for (const r of page) {
        const externalId = String(r.externalid ?? '');
        const k = parseJournalExternalId(o, externalId);
        if (!k) continue;
        journals.push({ externalId, k });
        // Months this cycle does not write are left alone anyway: no need to freeze (and report) them.
        if (!maps.subsidiaries.toCode[k.subsidiaryId] && writable(k.period)) {
          const why = maps.subsidiaries.unmapped[k.subsidiaryId] ?? 'not in the member map';
          frozen.freezeSlug(
            k.version,
            versionName.get(k.version) ?? k.version,
            k.period,
            k.subsidiaryId,
            `NetSuite subsidiary ${k.subsidiaryId} does not map (${why})`,
          );
        }
      }
    }
    if (journals.length === 0) return { journals };
    const byId = new Map(journals.map((j) => [j.externalId.toLowerCase(), j.k]));
    const accounts = Object.keys(maps.accounts.unmapped).filter((id) => id !== offsetId && /^\d{1,12}$/.test(id));
    const departments = Object.keys(maps.departments.unmapped).filter((id) => /^\d{1,12}$/.test(id));
    try {
      for (let i = 0; i < Math.max(accounts.length, departments.length); i += MEMBER_BATCH) {
        const a = accounts.slice(i, i + MEMBER_BATCH);
        const d = departments.slice(i, i + MEMBER_BATCH);
        for await (const page of netsuite.query(connectorJournalsOnMembersSql(prefix, a, d))) {
          for (const r of page) {
            const k = byId.get(String(r.externalid ?? '').toLowerCase());
            if (!k || !writable(k.period)) continue;
            const acct =
              r.account_id != null && a.includes(String(r.account_id))
                ? `account ${r.account_id} (${maps.accounts.unmapped[String(r.account_id)]})`
                : null;
            const dept =
              r.department_id != null && d.includes(String(r.department_id))
                ? `department ${r.department_id} (${maps.departments.unmapped[String(r.department_id)]})`
                : null;
            frozen.freezeSlug(
              k.version,
              versionName.get(k.version) ?? k.version,
              k.period,
              k.subsidiaryId,
              `a posted journal has a line on NetSuite ${acct ?? dept ?? 'a member'} that no longer maps`,
              true,
            );
          }
        }
      }
    } catch (err) {
      // Without the lines, no scope can be shown to be fully mapped: nothing is retired anywhere (the
      // journals found still hold back partial posts over them and guard split parts).
      if ((err as { status?: number }).status !== 400) throw err;
      for (const v of config.plan.versions)
        frozen.freeze(
          v,
          ANY,
          ANY,
          `the lines of posted journals could not be read (NetSuite refused the query: ${(err as Error).message})`,
        );
    }
  } catch (err) {
    if ((err as { status?: number }).status !== 400) throw classify(err);
    // Nothing of the SuiteQL answer is used: the record API finds the same journals (N23).
    journals.length = 0;
    const found = await ledgerJournalsByExternalId(deps, config, maps, o, offsetId, frozen, months);
    return {
      journals: found.journals,
      warning: `NetSuite refused the SuiteQL search for posted plan journals (${(err as Error).message}); they were looked up by external ID instead (${found.reads} record reads)`,
    };
  }
  return { journals };
}

/** Scopes (version × month × subsidiary) the record-API lookup reads at most before it refuses the cycle. */
const MAX_SCOPES_BY_EXTERNAL_ID = 2_000;

/**
 * The connector's journals in the writable months, found without SuiteQL: `transaction.externalid` is
 * UNCONFIRMED in SuiteQL (FIDELITY N23), and without the list a plan that shrank would leave stale
 * parts beside the new ones (their lines counted twice) and a frozen scope would be overwritten by a
 * partial journal. External IDs are built from version, month, subsidiary and part, parts numbered
 * from 1 without gaps (planJournals, and retirement deletes whole tails), so each scope is read part
 * by part (`GET …/journalentry/eid:X`) until a part is missing — one more is read past the first miss
 * in case a deletion stopped half-way. Each journal's lines are checked for members the mapping cannot
 * express, as the SuiteQL line query does.
 */
async function ledgerJournalsByExternalId(
  deps: CycleDeps,
  config: ConnectionConfig,
  maps: MemberMaps,
  o: { modelId: string; externalIdPrefix: string },
  offsetId: string,
  frozen: FrozenScopes,
  months: string[],
): Promise<{
  journals: Array<{ externalId: string; k: NonNullable<ReturnType<typeof parseJournalExternalId>> }>;
  reads: number;
}> {
  const { netsuite } = await deps.ports(config);
  const subsidiaries = [
    ...new Set([...Object.keys(maps.subsidiaries.toCode), ...Object.keys(maps.subsidiaries.unmapped)]),
  ].filter((id) => /^\d{1,12}$/.test(id));
  const scopes = config.plan.versions.length * months.length * subsidiaries.length;
  if (scopes > MAX_SCOPES_BY_EXTERNAL_ID) {
    throw nonRetryable(
      `NetSuite refuses transaction.externalid in SuiteQL, and looking up posted plan journals by external ID would take ${scopes} scopes (${config.plan.versions.length} version(s) × ${months.length} month(s) × ${subsidiaries.length} subsidiaries, more than ${MAX_SCOPES_BY_EXTERNAL_ID}): nothing was posted. Give the integration role access to the transaction External ID in SuiteQL, or plan fewer versions or subsidiaries per connection`,
    );
  }
  const unmappedAccounts = new Set(Object.keys(maps.accounts.unmapped).filter((id) => id !== offsetId));
  const unmappedDepartments = new Set(Object.keys(maps.departments.unmapped));
  const refOf = (v: unknown) =>
    v && typeof v === 'object' && 'id' in v ? String((v as { id: unknown }).id) : v == null ? null : String(v);
  const journals: Array<{ externalId: string; k: NonNullable<ReturnType<typeof parseJournalExternalId>> }> = [];
  let reads = 0;
  try {
    for (const version of config.plan.versions) {
      for (const month of months) {
        for (const subsidiaryId of subsidiaries) {
          let misses = 0;
          for (let part = 1; misses < 2; part++) {
            const externalId = journalExternalId(o, version, month, subsidiaryId, part);
            reads++;
            const j = await netsuite.getJournal(externalId);
            if (!j) {
              misses++;
              continue;
            }
            misses = 0;
            const k = parseJournalExternalId(o, externalId)!;
            journals.push({ externalId, k });
            if (!maps.subsidiaries.toCode[subsidiaryId]) {
              frozen.freezeSlug(
                k.version,
                version,
                month,
                subsidiaryId,
                `NetSuite subsidiary ${subsidiaryId} does not map (${maps.subsidiaries.unmapped[subsidiaryId] ?? 'not in the member map'})`,
              );
            }
            const items = (j.body.line as { items?: Array<Record<string, unknown>> } | undefined)?.items ?? [];
            for (const l of items) {
              const acct = refOf(l.account);
              const dept = refOf(l.department);
              const what =
                acct !== null && unmappedAccounts.has(acct)
                  ? `account ${acct} (${maps.accounts.unmapped[acct]})`
                  : dept !== null && unmappedDepartments.has(dept)
                    ? `department ${dept} (${maps.departments.unmapped[dept]})`
                    : null;
              if (what) {
                frozen.freezeSlug(
                  k.version,
                  version,
                  month,
                  subsidiaryId,
                  `a posted journal has a line on NetSuite ${what} that no longer maps`,
                  true,
                );
                break;
              }
            }
            if (reads % 50 === 0) beat({ journalsFound: journals.length, reads });
          }
        }
      }
    }
  } catch (err) {
    throw classify(err);
  }
  return { journals, reads };
}

async function resolveAccountId(deps: CycleDeps, config: ConnectionConfig, acctnumber: string): Promise<string> {
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(acctnumber))
    throw nonRetryable(`journals.offsetAccount ${JSON.stringify(acctnumber)} is not an account number`);
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
