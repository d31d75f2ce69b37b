/**
 * Invariants of finished planning cycles, checked against the sandboxes' own state (never against
 * the workflow's report of itself): shared by the fault sweep, the chaos test and `npm run chaos`.
 *
 * - actuals: every NetSuite combination (posted P&L activity of the period, by account ×
 *   subsidiary × department × class × location) equals its Anaplan cell; quarantined ones have none;
 * - journals: each connector journal exists once (no externalId twice), balances, and the journals'
 *   plan lines (offsets excluded) sum to the plan the cycle prepared (lines appended twice would not);
 * - tasks: no two Anaplan tasks overlapped on a model (the sandbox's per-model timeline).
 */
import type { ConnectionConfig } from '../common/config';
import { anaplanPeriodCode, netsuitePeriodName } from '../common/config';
import type { Sandboxes } from '../sandbox/embedded';

export interface InvariantResult {
  name: string;
  ok: boolean;
  detail: string;
}

interface GlCombo {
  acct: string;
  sub: number;
  dep: number | null;
  cls: number | null;
  loc: number | null;
  net: number;
}

/** NetSuite's posted P&L activity of one period, summed per combination (the sandbox's SQLite, not SuiteQL). */
export function netsuiteCombinations(s: Sandboxes, config: ConnectionConfig, period: string): GlCombo[] {
  const db = s.netsuite.state.db;
  const p = db.prepare(`SELECT id FROM accountingperiod WHERE periodname = ?`).get(netsuitePeriodName(period)) as { id: number } | undefined;
  if (!p) throw new Error(`no NetSuite period ${period}`);
  const types = config.dimensions.accounts.accountTypes;
  return db
    .prepare(
      `SELECT a.acctnumber AS acct, tl.subsidiary AS sub, tl.department AS dep, tl.class AS cls, tl.location AS loc, SUM(COALESCE(tal.debit,0) - COALESCE(tal.credit,0)) AS net
       FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction" JOIN transactionline tl ON tl."transaction" = tal."transaction" AND tl.id = tal.transactionline
       JOIN account a ON a.id = tal.account
       WHERE tal.posting = 'T' AND t.postingperiod = ? AND a.accttype IN (${types.map(() => '?').join(',')})
       GROUP BY 1,2,3,4,5`,
    )
    .all(p.id, ...types) as GlCombo[];
}

/** Actuals of `period` in Anaplan equal NetSuite per combination; quarantined combinations are absent. */
export function checkActuals(s: Sandboxes, config: ConnectionConfig, period: string): InvariantResult {
  const name = `actuals ${period}: Anaplan = NetSuite per combination`;
  const excluded = new Set(Object.entries(config.dimensions.accounts.overrides).filter(([, v]) => v === null).map(([k]) => k));
  const deps = new Set(s.anaplan.state.model.lists.get(config.dimensions.departments.list)!.items.map((i) => i.code));
  const time = anaplanPeriodCode(config, period);
  const combos = netsuiteCombinations(s, config, period);
  let loaded = 0;
  let quarantined = 0;
  const wrong: string[] = [];
  for (const r of combos) {
    const cell = s.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', { Accounts: r.acct, Subsidiaries: `SUB-${r.sub}`, Departments: `DEP-${r.dep}`, Classes: `CLS-${r.cls}`, Locations: `LOC-${r.loc}`, Time: time });
    const isQuarantined = excluded.has(r.acct) || !deps.has(`DEP-${r.dep}`);
    if (isQuarantined) {
      quarantined++;
      if (cell.cells !== 0) wrong.push(`quarantined ${r.acct}/${r.sub}/${r.dep}/${r.cls}/${r.loc} was loaded`);
    } else {
      loaded++;
      if (Math.round(cell.total * 100) !== Math.round(r.net * 100)) wrong.push(`${r.acct}/SUB-${r.sub}/DEP-${r.dep}/CLS-${r.cls}/LOC-${r.loc}: Anaplan ${cell.total} ≠ NetSuite ${r.net}`);
    }
  }
  if (loaded === 0) wrong.push('no combination was loaded at all');
  return { name, ok: wrong.length === 0, detail: wrong.length ? `${wrong.length} wrong, first: ${wrong.slice(0, 3).join('; ')}` : `${loaded} combinations equal, ${quarantined} quarantined and absent` };
}

type ApiLine = { account?: { id?: string | number } | string | number; debit?: number; credit?: number };
/** The sandbox lists journals with `lines` (account as internal ID); the record API shape is `line.items`. */
interface ApiJournal {
  externalId?: string;
  lines?: ApiLine[];
  line?: { items?: ApiLine[] };
}

/**
 * Connector journals (externalId prefix) exist once each and balance; `expected` (when given) is
 * externalId → plan cents the cycles prepared, and every one of them must be there with that sum.
 */
export async function checkJournals(s: Sandboxes, config: ConnectionConfig, expected?: { count: number; planCents: number }): Promise<InvariantResult[]> {
  const prefix = `${config.journals.externalIdPrefix}-${config.anaplan.modelId.slice(0, 12).toLowerCase()}-`;
  const dupes = s.netsuite.state.db.prepare(`SELECT externalid, COUNT(*) AS n FROM "transaction" WHERE externalid LIKE ? GROUP BY externalid HAVING COUNT(*) > 1`).all(`${prefix}%`) as Array<{ externalid: string; n: number }>;
  const res = await fetch(`${s.netsuite.url}/__sandbox/journals?limit=100000`);
  const body = (await res.json()) as ApiJournal[] | { items?: ApiJournal[] };
  const ours = (Array.isArray(body) ? body : body.items ?? []).filter((j) => String(j.externalId ?? '').startsWith(prefix));
  const offsetId = (s.netsuite.state.db.prepare(`SELECT id FROM account WHERE acctnumber = ?`).get(config.journals.offsetAccount) as { id: number } | undefined)?.id;
  const unbalanced: string[] = [];
  let planCents = 0;
  for (const j of ours) {
    const lines = j.lines ?? j.line?.items ?? [];
    if (lines.length < 2) unbalanced.push(`${j.externalId}: ${lines.length} line(s)`);
    let d = 0;
    let c = 0;
    for (const l of lines) {
      const dc = Math.round(Number(l.debit ?? 0) * 100);
      const cc = Math.round(Number(l.credit ?? 0) * 100);
      d += dc;
      c += cc;
      const acct = String(typeof l.account === 'object' ? l.account?.id : l.account);
      if (acct !== String(offsetId)) planCents += dc - cc;
    }
    if (d !== c) unbalanced.push(`${j.externalId}: ${d} ≠ ${c}`);
  }
  const out: InvariantResult[] = [
    { name: `journals of model ${config.anaplan.modelId.slice(0, 8)}…: no externalId twice`, ok: dupes.length === 0 && new Set(ours.map((j) => j.externalId)).size === ours.length, detail: dupes.length ? `duplicated: ${dupes.slice(0, 3).map((d) => `${d.externalid}×${d.n}`).join(', ')}` : `${ours.length} journals, all distinct` },
    { name: `journals of model ${config.anaplan.modelId.slice(0, 8)}…: balanced`, ok: unbalanced.length === 0, detail: unbalanced.length ? unbalanced.slice(0, 3).join('; ') : 'every journal balances' },
  ];
  if (expected) {
    const ok = ours.length === expected.count && planCents === expected.planCents;
    out.push({ name: `journals of model ${config.anaplan.modelId.slice(0, 8)}…: exactly the planned ones`, ok, detail: `${ours.length}/${expected.count} journals, plan lines ${planCents}/${expected.planCents} cents` });
  }
  return out;
}

/** No two tasks overlapped on the model (the sandbox's timeline of task start/end). */
export function checkNoOverlap(s: Sandboxes, modelId: string): InvariantResult {
  const entries = [...s.anaplan.state.timelineFor(modelId)].sort((a, b) => a.startedAt - b.startedAt);
  const overlaps: string[] = [];
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const cur = entries[i]!;
    if (prev.endedAt === undefined || cur.startedAt < prev.endedAt) overlaps.push(`${cur.actionName} started at ${cur.startedAt} before ${prev.actionName} ended (${prev.endedAt ?? 'running'})`);
  }
  return { name: `model ${modelId.slice(0, 8)}…: no two tasks overlapped`, ok: overlaps.length === 0 && entries.length > 0, detail: overlaps.length ? overlaps.slice(0, 3).join('; ') : `${entries.length} tasks, one at a time` };
}

export function formatResults(results: InvariantResult[]): string {
  return results.map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.name} — ${r.detail}`).join('\n');
}
