/**
 * The reconciliation report's figures (issue 16 item 4), computed from the audit trail of one cycle
 * plus, when at hand, the cycle's result and memo. All data access goes through `ReportAuditSource`
 * (read-only queries every AuditStore answers, SQLite or PostgreSQL) and the optional `ReportArtifactSource` (subsidiary of each actuals row, which the
 * audit row itself does not carry).
 */
import { parse } from 'csv-parse/sync';
import type { AuditCall, AuditRecord, RecordFilter } from '../store/audit';
import { parseCents } from '../mapping/amounts';
import { readLines } from '../mapping/csv';
import type { CycleSummary, TieOut } from '../../common/dto';
import type { StepStatus } from '../../common/messages';
import { mapEntry } from '../../common/map-entry';

/** What the report reads from the audit store. */
export interface ReportAuditSource {
  queryRecords(filter: RecordFilter): Promise<AuditRecord[]>;
  queryCalls(filter: { cycleId?: string; limit?: number }): Promise<AuditCall[]>;
}

/** Artifacts the audit rows point at (CSV sent to Anaplan, quarantine report). */
export interface ReportArtifactSource {
  openRead(hash: string, opts?: { chunkBytes?: number }): Promise<AsyncIterable<Buffer | string>>;
}

/** What the workflow itself says (result, memo, status query); all optional. */
export interface ReportWorkflowInfo {
  status?: string;
  startTime?: string;
  closeTime?: string;
  summary?: CycleSummary;
  steps?: StepStatus[];
  warnings?: string[];
  error?: string;
}

export interface ActualsLine {
  account: string;
  subsidiary: string;
  /** Everything NetSuite's GL query returned for this account × subsidiary: loaded + quarantined + rejected. */
  netsuiteCents: number;
  loadedCents: number;
  quarantinedCents: number;
  rejectedCents: number;
  /** NetSuite − loaded into Anaplan: what the model lacks, explained by quarantined + rejected. */
  differenceCents: number;
  rows: { loaded: number; quarantined: number; rejected: number };
  /** Quarantine / rejection reason → rows. */
  reasons: Record<string, number>;
}

export interface AccountBar {
  account: string;
  netsuiteCents: number;
  anaplanCents: number;
}

export interface JournalGroup {
  version: string;
  period: string;
  subsidiary: string;
  created: number;
  updated: number;
  unchanged: number;
  retired: number;
  failed: number;
  createdCents: number;
  updatedCents: number;
  unchangedCents: number;
  failedCents: number;
}

export interface ReasonLine {
  kind: 'quarantined' | 'rejected';
  reason: string;
  rows: number;
  cents: number;
}

export interface TimingLine {
  step: string;
  startedAt: string | null;
  endedAt: string | null;
  ms: number | null;
  /** `workflow`: the cycle's status query; `audit`: first and last audit row of the step. */
  source: 'workflow' | 'audit';
}

export interface CallLine {
  system: string;
  calls: number;
  failed: number;
  totalMs: number;
}

export interface ReportData {
  cycleId: string;
  period: string | null;
  kind: string | null;
  status: string | null;
  generatedAt: string;
  startTime: string | null;
  closeTime: string | null;
  actuals: ActualsLine[];
  byAccount: AccountBar[];
  totals: {
    netsuiteCents: number;
    loadedCents: number;
    quarantinedCents: number;
    rejectedCents: number;
    differenceCents: number;
  };
  /** The cycle's own tie-out against NetSuite's SUM query, when the result is at hand. */
  tieOut: TieOut | null;
  reasons: ReasonLine[];
  journals: JournalGroup[];
  journalTotals: Pick<
    JournalGroup,
    'created' | 'updated' | 'unchanged' | 'retired' | 'failed' | 'createdCents' | 'updatedCents' | 'unchangedCents'
  >;
  /** Journal externalIds the report could not place in a version × period × subsidiary. */
  unplacedJournals: string[];
  warnings: string[];
  timings: TimingLine[];
  calls: CallLine[];
  auditRows: number;
}

const PAGE = 5000;

/** Every audit row of a cycle, paged by id (the store caps one query). */
export async function* cycleRecords(audit: ReportAuditSource, cycleId: string): AsyncGenerator<AuditRecord> {
  let afterId: number | undefined;
  for (;;) {
    const page = await audit.queryRecords({ cycleId, limit: PAGE, ...(afterId === undefined ? {} : { afterId }) });
    for (const r of page) yield r;
    if (page.length < PAGE) return;
    afterId = page.at(-1)!.id;
  }
}

const cents = (amount: string | null): number => {
  const c = parseCents(amount);
  return c === null || Number.isNaN(c) ? 0 : c;
};

function csvCells(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  return (parse(line, { relax_column_count: true }) as string[][])[0] ?? [];
}

/** `csv#N` → subsidiary code (column 2 of the actuals CSV), per artifact. */
async function csvSubsidiaries(artifacts: ReportArtifactSource, hash: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let n = 0;
  for await (const line of readLines(await artifacts.openRead(hash, { chunkBytes: 64 * 1024 }))) {
    n++;
    if (n === 1 || !line) continue;
    out.set(n, csvCells(line)[1] ?? '');
  }
  return out;
}

/** Quarantine report: source → NetSuite subsidiary id. */
async function quarantineSubsidiaries(artifacts: ReportArtifactSource, hash: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const line of readLines(await artifacts.openRead(hash, { chunkBytes: 64 * 1024 }))) {
    if (!line) continue;
    const q = JSON.parse(line) as { source?: string; row?: { subsidiary_id?: string | number | null } };
    if (q.source)
      out.set(
        q.source,
        q.row?.subsidiary_id === null || q.row?.subsidiary_id === undefined ? '' : String(q.row.subsidiary_id),
      );
  }
  return out;
}

/** Version slug, YYYY-MM and subsidiary of a plan journal externalId (`…-<version>-<YYYYMM>-s<sub>-p<n>`). */
export function journalScope(externalId: string): { version: string; period: string; subsidiary: string } | null {
  const m = /-([a-z0-9_]+)-(\d{4})(\d{2})-s(\d+)-p\d+$/.exec(externalId);
  return m ? { version: m[1]!, period: `${m[2]}-${m[3]}`, subsidiary: m[4]! } : null;
}

/** NetSuite id → member code of one alignment audit row (the tie-out gate labels accounts the same way). */
export function listMemberCode(r: AuditRecord): { dim: string; id: string; code: string } | undefined {
  if (r.recordKind !== 'list_member' || !r.sourceRef) return undefined;
  const [dim, id] = [r.sourceRef.slice(0, r.sourceRef.indexOf(':')), r.sourceRef.slice(r.sourceRef.indexOf(':') + 1)];
  // A member excluded by an override has no target; its reason names the code it would have had.
  const code = r.targetRef
    ? r.targetRef.slice(r.targetRef.indexOf(':') + 1)
    : /overrides\["(.+)"\] = null/.exec(r.reason ?? '')?.[1];
  return code ? { dim, id, code } : undefined;
}

const JOURNAL_RANK = { posted: 3, updated: 2, unchanged: 1 } as const;
/** Journal counts and amounts of a group, or of the whole cycle, before any journal is counted. */
const noJournals = () => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  retired: 0,
  failed: 0,
  createdCents: 0,
  updatedCents: 0,
  unchangedCents: 0,
});

export async function buildReportData(input: {
  cycleId: string;
  audit: ReportAuditSource;
  artifacts?: ReportArtifactSource;
  workflow?: ReportWorkflowInfo;
  now?: () => Date;
}): Promise<ReportData> {
  const { cycleId, audit, artifacts, workflow = {} } = input;
  const summary = workflow.summary;
  // NetSuite id → member code, per dimension, from the cycle's own alignment rows.
  const codes: Record<string, Map<string, string>> = {};
  // Actuals rows keyed by where they came from: a retried activity or a replay writes a row again,
  // and the later row stands for the record.
  const actuals = new Map<string, AuditRecord>();
  const journals = new Map<string, AuditRecord[]>();
  const retired = new Map<string, AuditRecord>();
  const stepSpan = new Map<string, { first: string; last: string }>();
  let auditRows = 0;
  for await (const r of cycleRecords(audit, cycleId)) {
    auditRows++;
    const span = stepSpan.get(r.step);
    if (!span) stepSpan.set(r.step, { first: r.at, last: r.at });
    else {
      if (r.at < span.first) span.first = r.at;
      if (r.at > span.last) span.last = r.at;
    }
    const member = listMemberCode(r);
    if (member) (codes[member.dim] ??= new Map()).set(member.id, member.code);
    else if (r.recordKind === 'actual' && r.step === 'importActuals') {
      actuals.set(`${r.artifactHash ?? ''}|${r.sourceRef ?? r.id}`, r);
    } else if (r.recordKind === 'journal' && r.step === 'postJournals' && r.targetRef) {
      if (r.sourceRef?.startsWith('retire:')) retired.set(r.targetRef, r);
      else journals.set(r.targetRef, [...(journals.get(r.targetRef) ?? []), r]);
    }
  }

  // Subsidiaries of actuals rows, from the artifacts the rows point at.
  const csvSub = new Map<string, Map<number, string>>();
  const qSub = new Map<string, Map<string, string>>();
  if (artifacts) {
    for (const r of actuals.values()) {
      const h = r.artifactHash;
      if (!h) continue;
      try {
        if (r.outcome === 'quarantined' && !qSub.has(h)) qSub.set(h, await quarantineSubsidiaries(artifacts, h));
        else if (r.outcome !== 'quarantined' && !csvSub.has(h)) csvSub.set(h, await csvSubsidiaries(artifacts, h));
      } catch {
        // A pruned artifact: the rows stay in the report, without their subsidiary.
        if (r.outcome === 'quarantined') qSub.set(h, new Map());
        else csvSub.set(h, new Map());
      }
    }
  }
  const code = (dim: string, id: string | null | undefined) => (id ? (codes[dim]?.get(id) ?? `#${id}`) : '(none)');

  const lines = new Map<string, ActualsLine>();
  const reasons = new Map<string, ReasonLine>();
  for (const r of actuals.values()) {
    let account: string;
    let subsidiary = '(not recorded)';
    if (r.outcome === 'quarantined') {
      // Quarantined rows carry NetSuite's internal ids.
      account = code('accounts', r.account);
      const sub = r.artifactHash ? qSub.get(r.artifactHash)?.get(r.sourceRef ?? '') : undefined;
      if (sub !== undefined) subsidiary = code('subsidiaries', sub);
    } else {
      account = r.account ?? '(none)';
      const n = /^csv#(\d+)$/.exec(r.sourceRef ?? '');
      const sub = n && r.artifactHash ? csvSub.get(r.artifactHash)?.get(Number(n[1])) : undefined;
      if (sub !== undefined) subsidiary = sub || '(none)';
    }
    const key = `${account}\u0000${subsidiary}`;
    const l = mapEntry(lines, key, () => ({
      account,
      subsidiary,
      netsuiteCents: 0,
      loadedCents: 0,
      quarantinedCents: 0,
      rejectedCents: 0,
      differenceCents: 0,
      rows: { loaded: 0, quarantined: 0, rejected: 0 },
      reasons: {},
    }));
    const c = cents(r.amount);
    l.netsuiteCents += c;
    if (r.outcome === 'accepted') {
      l.loadedCents += c;
      l.rows.loaded++;
    } else if (r.outcome === 'quarantined' || r.outcome === 'rejected') {
      if (r.outcome === 'quarantined') {
        l.quarantinedCents += c;
        l.rows.quarantined++;
      } else {
        l.rejectedCents += c;
        l.rows.rejected++;
      }
      const reason = r.reason ?? r.outcome;
      l.reasons[reason] = (l.reasons[reason] ?? 0) + 1;
      const rk = `${r.outcome}\u0000${reason}`;
      const kind = r.outcome;
      const rl = mapEntry(reasons, rk, () => ({ kind, reason, rows: 0, cents: 0 }));
      rl.rows++;
      rl.cents += c;
    }
    l.differenceCents = l.netsuiteCents - l.loadedCents;
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const actualsLines = [...lines.values()].sort(
    (a, b) => byText(a.account, b.account) || byText(a.subsidiary, b.subsidiary),
  );
  const bars = new Map<string, AccountBar>();
  for (const l of actualsLines) {
    const b = mapEntry(bars, l.account, () => ({ account: l.account, netsuiteCents: 0, anaplanCents: 0 }));
    b.netsuiteCents += l.netsuiteCents;
    b.anaplanCents += l.loadedCents;
  }
  const totals = { netsuiteCents: 0, loadedCents: 0, quarantinedCents: 0, rejectedCents: 0, differenceCents: 0 };
  for (const l of actualsLines) {
    totals.netsuiteCents += l.netsuiteCents;
    totals.loadedCents += l.loadedCents;
    totals.quarantinedCents += l.quarantinedCents;
    totals.rejectedCents += l.rejectedCents;
    totals.differenceCents += l.differenceCents;
  }

  // Plan journals: per externalId its strongest accepted outcome (a replay re-reads a journal this
  // cycle posted and finds it unchanged: it still counts as created), else refused.
  const groups = new Map<string, JournalGroup>();
  const unplaced: string[] = [];
  const group = (externalId: string): JournalGroup | undefined => {
    const s = journalScope(externalId);
    if (!s) {
      unplaced.push(externalId);
      return undefined;
    }
    const key = `${s.version}\u0000${s.period}\u0000${s.subsidiary}`;
    const g = mapEntry(groups, key, () => ({ ...s, ...noJournals(), failedCents: 0 }));
    return g;
  };
  for (const [externalId, rows] of journals) {
    let best: { kind: keyof typeof JOURNAL_RANK; row: AuditRecord } | undefined;
    for (const r of rows) {
      if (r.outcome !== 'accepted') continue;
      const kind = (r.reason ?? '').split(';')[0]!.trim() as keyof typeof JOURNAL_RANK;
      if (!(kind in JOURNAL_RANK)) continue;
      if (!best || JOURNAL_RANK[kind] > JOURNAL_RANK[best.kind]) best = { kind, row: r };
    }
    const g = group(externalId);
    if (!g) continue;
    if (best) {
      const k = best.kind === 'posted' ? 'created' : best.kind;
      g[k]++;
      g[`${k}Cents`] += cents(best.row.amount);
    } else {
      g.failed++;
      g.failedCents += cents(rows.at(-1)!.amount);
    }
  }
  for (const [externalId, r] of retired) {
    const g = group(externalId);
    if (!g) continue;
    if (r.outcome === 'accepted' && r.reason === 'retired: no longer in the plan') g.retired++;
    else if (r.outcome === 'rejected') g.failed++;
  }
  const journalLines = [...groups.values()].sort(
    (a, b) => byText(a.version, b.version) || byText(a.period, b.period) || Number(a.subsidiary) - Number(b.subsidiary),
  );
  const journalTotals = noJournals();
  for (const g of journalLines)
    for (const k of Object.keys(journalTotals) as Array<keyof typeof journalTotals>) journalTotals[k] += g[k];

  // Timings: the workflow's own step times when it answered, else the audit rows' time span.
  const timings: TimingLine[] = [];
  const ms = (a?: string | null, b?: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : null);
  if (workflow.steps?.length) {
    for (const s of workflow.steps)
      if (s.state !== 'skipped')
        timings.push({
          step: s.name,
          startedAt: s.startedAt ?? null,
          endedAt: s.endedAt ?? null,
          ms: ms(s.startedAt, s.endedAt),
          source: 'workflow',
        });
  } else {
    for (const [step, s] of stepSpan)
      timings.push({ step, startedAt: s.first, endedAt: s.last, ms: ms(s.first, s.last), source: 'audit' });
  }
  const calls = new Map<string, CallLine>();
  for (const c of await audit.queryCalls({ cycleId, limit: 1_000_000 })) {
    const l = mapEntry(calls, c.system, () => ({ system: c.system, calls: 0, failed: 0, totalMs: 0 }));
    l.calls++;
    if (c.status === null || c.status >= 400) l.failed++;
    l.totalMs += c.durationMs;
  }

  const warnings = [...new Set([...(summary?.warnings ?? []), ...(workflow.warnings ?? [])])];
  if (workflow.error) warnings.unshift(`cycle failed: ${workflow.error}`);
  if (unplaced.length)
    warnings.push(
      `${unplaced.length} journal externalId(s) not in the connector's format are left out of the journal table`,
    );
  const parsedId = /^cycle:[^:]+:[^:]+:(\d{4}-\d{2}):(full|actuals|plan)(?::[^:]+)?$/.exec(cycleId);
  return {
    cycleId,
    period: summary?.period ?? parsedId?.[1] ?? null,
    kind: summary?.kind ?? parsedId?.[2] ?? null,
    status: workflow.status ?? summary?.status ?? null,
    generatedAt: (input.now?.() ?? new Date()).toISOString(),
    startTime: workflow.startTime ?? null,
    closeTime: workflow.closeTime ?? null,
    actuals: actualsLines,
    byAccount: [...bars.values()],
    totals,
    tieOut: summary?.tieOut ?? null,
    reasons: [...reasons.values()].sort((a, b) => b.rows - a.rows || byText(a.reason, b.reason)),
    journals: journalLines,
    journalTotals,
    unplacedJournals: unplaced,
    warnings,
    timings,
    calls: [...calls.values()],
    auditRows,
  };
}
