/**
 * Invariants of finished planning cycles, checked against the sandboxes' own state (never against
 * the workflow's report of itself): shared by the fault sweep, the chaos test and `npm run chaos`.
 *
 * - actuals: every NetSuite combination (posted P&L activity of the period, by account ×
 *   subsidiary × department × class × location) equals its Anaplan cell; quarantined ones have none;
 * - journals: each connector journal exists once (no externalId twice), balances, and the journals'
 *   plan lines (offsets excluded) sum to the plan the cycle prepared (lines appended twice would not);
 * - tasks: no two Anaplan tasks overlapped on a model (the sandbox's per-model timeline);
 * - ledger (the ledger chaos run): the ledger equals the approved, fully mapped plan computed here
 *   from the sandboxes; no delete in a scope the plan covers; every write has its own audit row.
 */
import type { ConnectionConfig } from '../common/config';
import { anaplanPeriodCode, netsuitePeriodName } from '../common/config';
import type { Sandboxes } from '../sandbox/embedded';
import type { CycleSummary } from '../common/dto';

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
  const p = db.prepare(`SELECT id FROM accountingperiod WHERE periodname = ?`).get(netsuitePeriodName(period)) as
    | { id: number }
    | undefined;
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
  const excluded = new Set(
    Object.entries(config.dimensions.accounts.overrides)
      .filter(([, v]) => v === null)
      .map(([k]) => k),
  );
  const deps = new Set(s.anaplan.state.model.lists.get(config.dimensions.departments.list)!.items.map((i) => i.code));
  const time = anaplanPeriodCode(config, period);
  const combos = netsuiteCombinations(s, config, period);
  let loaded = 0;
  let quarantined = 0;
  const wrong: string[] = [];
  for (const r of combos) {
    const cell = s.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', {
      Accounts: r.acct,
      Subsidiaries: `SUB-${r.sub}`,
      Departments: `DEP-${r.dep}`,
      Classes: `CLS-${r.cls}`,
      Locations: `LOC-${r.loc}`,
      Time: time,
    });
    const isQuarantined = excluded.has(r.acct) || !deps.has(`DEP-${r.dep}`);
    if (isQuarantined) {
      quarantined++;
      if (cell.cells !== 0) wrong.push(`quarantined ${r.acct}/${r.sub}/${r.dep}/${r.cls}/${r.loc} was loaded`);
    } else {
      loaded++;
      if (Math.round(cell.total * 100) !== Math.round(r.net * 100))
        wrong.push(
          `${r.acct}/SUB-${r.sub}/DEP-${r.dep}/CLS-${r.cls}/LOC-${r.loc}: Anaplan ${cell.total} ≠ NetSuite ${r.net}`,
        );
    }
  }
  if (loaded === 0) wrong.push('no combination was loaded at all');
  return {
    name,
    ok: wrong.length === 0,
    detail: wrong.length
      ? `${wrong.length} wrong, first: ${wrong.slice(0, 3).join('; ')}`
      : `${loaded} combinations equal, ${quarantined} quarantined and absent`,
  };
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
export async function checkJournals(
  s: Sandboxes,
  config: ConnectionConfig,
  expected?: { count: number; planCents: number },
): Promise<InvariantResult[]> {
  const prefix = `${config.journals.externalIdPrefix}-${config.anaplan.modelId.slice(0, 12).toLowerCase()}-`;
  const dupes = s.netsuite.state.db
    .prepare(
      `SELECT externalid, COUNT(*) AS n FROM "transaction" WHERE externalid LIKE ? GROUP BY externalid HAVING COUNT(*) > 1`,
    )
    .all(`${prefix}%`) as Array<{ externalid: string; n: number }>;
  const res = await fetch(`${s.netsuite.url}/__sandbox/journals?limit=100000`);
  const body = (await res.json()) as ApiJournal[] | { items?: ApiJournal[] };
  const ours = (Array.isArray(body) ? body : (body.items ?? [])).filter((j) =>
    String(j.externalId ?? '').startsWith(prefix),
  );
  const offsetId = (
    s.netsuite.state.db.prepare(`SELECT id FROM account WHERE acctnumber = ?`).get(config.journals.offsetAccount) as
      | { id: number }
      | undefined
  )?.id;
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
    {
      name: `journals of model ${config.anaplan.modelId.slice(0, 8)}…: no externalId twice`,
      ok: dupes.length === 0 && new Set(ours.map((j) => j.externalId)).size === ours.length,
      detail: dupes.length
        ? `duplicated: ${dupes
            .slice(0, 3)
            .map((d) => `${d.externalid}×${d.n}`)
            .join(', ')}`
        : `${ours.length} journals, all distinct`,
    },
    {
      name: `journals of model ${config.anaplan.modelId.slice(0, 8)}…: balanced`,
      ok: unbalanced.length === 0,
      detail: unbalanced.length ? unbalanced.slice(0, 3).join('; ') : 'every journal balances',
    },
  ];
  if (expected) {
    const ok = ours.length === expected.count && planCents === expected.planCents;
    out.push({
      name: `journals of model ${config.anaplan.modelId.slice(0, 8)}…: exactly the planned ones`,
      ok,
      detail: `${ours.length}/${expected.count} journals, plan lines ${planCents}/${expected.planCents} cents`,
    });
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
    if (prev.endedAt === undefined || cur.startedAt < prev.endedAt)
      overlaps.push(
        `${cur.actionName} started at ${cur.startedAt} before ${prev.actionName} ended (${prev.endedAt ?? 'running'})`,
      );
  }
  return {
    name: `model ${modelId.slice(0, 8)}…: no two tasks overlapped`,
    ok: overlaps.length === 0 && entries.length > 0,
    detail: overlaps.length ? overlaps.slice(0, 3).join('; ') : `${entries.length} tasks, one at a time`,
  };
}

export function formatResults(results: InvariantResult[]): string {
  return results.map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.name} — ${r.detail}`).join('\n');
}

// ————— Ledger chaos (issue 11 item 9) —————
// The expected ledger is computed here from the Anaplan sandbox's approved cells and the mapping
// rules as the README states them (a member's code is its NetSuite number / SUB-<id> / DEP-<id>
// unless `overrides` renames it or sets it to null), not with the connector's mapping code.

export interface LedgerWrite {
  seq: number;
  ext: string;
  op: 'insert' | 'update' | 'delete';
  /** When the sandbox applied it (ms since the epoch). */
  at: number;
}

/**
 * Starts the NetSuite sandbox's write timeline: every insert, update and delete of a journal whose
 * externalId starts with `prefix`, in the order the sandbox applied them (TEMP triggers on the
 * sandbox's own connection, so whatever process wrote through the REST API is recorded).
 */
export function recordLedgerWrites(s: Sandboxes, prefix: string): () => LedgerWrite[] {
  const db = s.netsuite.state.db;
  const like = `${prefix.replace(/'/g, "''")}%`;
  db.exec(`
    CREATE TEMP TABLE IF NOT EXISTS mlc_chaos_writes (seq INTEGER PRIMARY KEY, ext TEXT, op TEXT, at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
    CREATE TEMP TRIGGER IF NOT EXISTS mlc_chaos_ins AFTER INSERT ON "transaction" WHEN NEW.externalid LIKE '${like}' BEGIN INSERT INTO mlc_chaos_writes (ext, op) VALUES (NEW.externalid, 'insert'); END;
    CREATE TEMP TRIGGER IF NOT EXISTS mlc_chaos_upd AFTER UPDATE ON "transaction" WHEN NEW.externalid LIKE '${like}' BEGIN INSERT INTO mlc_chaos_writes (ext, op) VALUES (NEW.externalid, 'update'); END;
    CREATE TEMP TRIGGER IF NOT EXISTS mlc_chaos_del AFTER DELETE ON "transaction" WHEN OLD.externalid LIKE '${like}' BEGIN INSERT INTO mlc_chaos_writes (ext, op) VALUES (OLD.externalid, 'delete'); END;
  `);
  return () =>
    (
      db.prepare('SELECT seq, ext, op, at FROM mlc_chaos_writes ORDER BY seq').all() as Array<
        Omit<LedgerWrite, 'at'> & { at: string }
      >
    ).map((w) => ({ ...w, at: Date.parse(w.at) }));
}

/** `<prefix>-<model12>-` of this model's plan journals. */
export function planJournalPrefix(config: ConnectionConfig): string {
  return `${config.journals.externalIdPrefix}-${config.anaplan.modelId.slice(0, 12).toLowerCase()}-`;
}

/** version slug, YYYY-MM, subsidiary and part of one of this model's plan journal externalIds. */
export function parsePlanExternalId(config: ConnectionConfig, ext: string): { scope: string; part: number } | null {
  const prefix = planJournalPrefix(config);
  if (!ext.startsWith(prefix)) return null;
  const m = /^([a-z0-9_]+)-(\d{4})(\d{2})-s(\d+)-p(\d+)$/.exec(ext.slice(prefix.length));
  return m ? { scope: `${m[1]}|${m[2]}-${m[3]}|${m[4]}`, part: Number(m[5]) } : null;
}

export interface ExpectedLedger {
  /** `versionSlug|YYYY-MM|subsidiaryId` → `accountId|departmentId` → net cents (debit positive). */
  scopes: Map<string, Map<string, number>>;
  /**
   * The approved plan's scopes by Anaplan member (subsidiary `SUB-<id>` read as <id>, whatever the
   * mapping says) → rows with a value: what the plan still covers, mapped or not.
   */
  covered: Map<string, number>;
  /** Approved rows that do not map (the plan is not fully mapped). */
  unmapped: string[];
  months: string[];
}

/**
 * The ledger the connector must leave behind: the Anaplan sandbox's approved plan (cells whose
 * `Approved` flag is set, of the configured versions), mapped with the config's overrides onto
 * NetSuite's current accounts, subsidiaries and departments, for the months after `fromPeriod`
 * that NetSuite has open and not locked.
 */
export function expectedLedger(s: Sandboxes, config: ConnectionConfig, fromPeriod: string): ExpectedLedger {
  const db = s.netsuite.state.db;
  const months = (
    db
      .prepare(
        `SELECT substr(startdate, 1, 7) AS m FROM accountingperiod WHERE isposting = 'T' AND isquarter = 'F' AND isyear = 'F' AND isadjust = 'F' AND closed = 'F' AND alllocked = 'F'`,
      )
      .all() as Array<{ m: string }>
  )
    .map((r) => r.m)
    .filter((m) => m > fromPeriod);
  const open = new Set(months);
  const byCode = (rows: Array<{ id: number; code: string }>, overrides: Record<string, string | null>) => {
    const out = new Map<string, string>();
    for (const r of rows) {
      const code = r.code in overrides ? overrides[r.code] : r.code;
      if (code !== null && code !== undefined) out.set(code, String(r.id));
    }
    return out;
  };
  const accounts = byCode(
    db.prepare('SELECT id, acctnumber AS code FROM account').all() as Array<{ id: number; code: string }>,
    config.dimensions.accounts.overrides,
  );
  const subsidiaries = byCode(
    db.prepare(`SELECT id, 'SUB-' || id AS code FROM subsidiary`).all() as Array<{ id: number; code: string }>,
    config.dimensions.subsidiaries.overrides,
  );
  const departments = byCode(
    db.prepare(`SELECT id, 'DEP-' || id AS code FROM department`).all() as Array<{ id: number; code: string }>,
    config.dimensions.departments.overrides,
  );
  const slugs = new Map(config.plan.versions.map((v) => [v, v.toLowerCase()]));
  for (const slug of slugs.values())
    if (!/^[a-z0-9_]+$/.test(slug)) throw new Error(`ledger chaos expects plain ASCII version names (got ${slug})`);

  const model = s.anaplan.state.model;
  const pln = model.modules.get('PLN01 Plan')!;
  const approved = pln.lineItem('Approved')!.cells;
  const amount = pln.lineItem('Amount')!.cells;
  const axis = (name: string) => pln.dims.findIndex((_, i) => pln.dimName(i) === name);
  const [ax, sx, dx, tx, vx] = [
    axis('Accounts'),
    axis('Subsidiaries'),
    axis('Departments'),
    axis('Time'),
    axis('Versions'),
  ];
  const scopes = new Map<string, Map<string, number>>();
  const covered = new Map<string, number>();
  const unmapped: string[] = [];
  const idx: number[] = [];
  for (const [k, flag] of approved) {
    if (!flag) continue;
    pln.decode(k, idx);
    const label = (d: number) => model.memberLabel(pln.dims[d]!, idx[d]!);
    const slug = slugs.get(label(vx));
    const month = model.time[idx[tx]!]!.start.slice(0, 7);
    if (!slug || !open.has(month)) continue;
    const cents = Math.round(Number(amount.get(k) ?? 0) * 100);
    if (cents === 0) continue;
    const [acct, sub, dept] = [label(ax), label(sx), label(dx)];
    const asIs = /^SUB-(\d+)$/.exec(sub)?.[1];
    if (asIs) covered.set(`${slug}|${month}|${asIs}`, (covered.get(`${slug}|${month}|${asIs}`) ?? 0) + 1);
    const [a, su, de] = [accounts.get(acct), subsidiaries.get(sub), departments.get(dept)];
    if (!a || !su || !de) {
      unmapped.push(`${acct}/${sub}/${dept} ${month} ${label(vx)}`);
      continue;
    }
    const scope = `${slug}|${month}|${su}`;
    let lines = scopes.get(scope);
    if (!lines) scopes.set(scope, (lines = new Map()));
    lines.set(`${a}|${de}`, (lines.get(`${a}|${de}`) ?? 0) + cents);
  }
  for (const [scope, lines] of scopes) {
    for (const [l, c] of lines) if (c === 0) lines.delete(l);
    if (lines.size === 0) scopes.delete(scope);
  }
  return { scopes, covered, unmapped, months };
}

/**
 * What NetSuite holds: this model's plan journals, by the scope their own header says (version of
 * the externalId, month of the posting period, subsidiary of the lines), offset lines excluded.
 */
export function ledgerByScope(
  s: Sandboxes,
  config: ConnectionConfig,
): { scopes: Map<string, Map<string, number>>; journals: number; wrongScope: string[] } {
  const db = s.netsuite.state.db;
  const offset = (
    db.prepare('SELECT id FROM account WHERE acctnumber = ?').get(config.journals.offsetAccount) as
      | { id: number }
      | undefined
  )?.id;
  const rows = db
    .prepare(
      `SELECT t.externalid AS ext, substr(p.startdate, 1, 7) AS month, tl.subsidiary AS sub, tal.account AS acct, tl.department AS dep, COALESCE(tal.debit, 0) AS debit, COALESCE(tal.credit, 0) AS credit
       FROM "transaction" t JOIN accountingperiod p ON p.id = t.postingperiod JOIN transactionline tl ON tl."transaction" = t.id
       JOIN transactionaccountingline tal ON tal."transaction" = t.id AND tal.transactionline = tl.id
       WHERE t.externalid LIKE ? AND tal.posting = 'T'`,
    )
    .all(`${planJournalPrefix(config)}%`) as Array<{
    ext: string;
    month: string;
    sub: number;
    acct: number;
    dep: number | null;
    debit: number;
    credit: number;
  }>;
  const scopes = new Map<string, Map<string, number>>();
  const exts = new Set<string>();
  const wrongScope = new Set<string>();
  for (const r of rows) {
    exts.add(r.ext);
    const id = parsePlanExternalId(config, r.ext);
    if (!id) {
      wrongScope.add(`${r.ext}: not a plan journal externalId`);
      continue;
    }
    const [slug, month, sub] = id.scope.split('|') as [string, string, string];
    if (month !== r.month || sub !== String(r.sub))
      wrongScope.add(`${r.ext}: posted in ${r.month} on subsidiary ${r.sub}`);
    if (r.acct === offset) continue;
    const scope = `${slug}|${r.month}|${r.sub}`;
    let lines = scopes.get(scope);
    if (!lines) scopes.set(scope, (lines = new Map()));
    const k = `${r.acct}|${r.dep ?? ''}`;
    lines.set(k, (lines.get(k) ?? 0) + Math.round(r.debit * 100) - Math.round(r.credit * 100));
  }
  for (const [scope, lines] of scopes) {
    for (const [l, c] of lines) if (c === 0) lines.delete(l);
    if (lines.size === 0) scopes.delete(scope);
  }
  return { scopes, journals: exts.size, wrongScope: [...wrongScope] };
}

/** The ledger equals the expected plan exactly, scope by scope and line by line. */
export function checkLedgerEqualsPlan(s: Sandboxes, config: ConnectionConfig, fromPeriod: string): InvariantResult {
  const name = `ledger = latest approved, fully mapped plan per version × month × subsidiary (months after ${fromPeriod})`;
  const want = expectedLedger(s, config, fromPeriod);
  const have = ledgerByScope(s, config);
  const wrong: string[] = [...have.wrongScope];
  if (want.unmapped.length)
    wrong.push(`the plan is not fully mapped (${want.unmapped.length} rows, first ${want.unmapped[0]})`);
  if (want.scopes.size === 0) wrong.push('the approved plan has no scope at all');
  for (const scope of new Set([...want.scopes.keys(), ...have.scopes.keys()])) {
    const w = want.scopes.get(scope);
    const h = have.scopes.get(scope);
    if (!h) {
      wrong.push(`${scope}: missing from the ledger`);
      continue;
    }
    if (!w) {
      wrong.push(`${scope}: in the ledger but not in the plan (${h.size} lines)`);
      continue;
    }
    for (const l of new Set([...w.keys(), ...h.keys()]))
      if ((w.get(l) ?? 0) !== (h.get(l) ?? 0))
        wrong.push(`${scope} line ${l}: ledger ${h.get(l) ?? 0} ≠ plan ${w.get(l) ?? 0} cents`);
  }
  const lines = [...want.scopes.values()].reduce((n, m) => n + m.size, 0);
  return {
    name,
    ok: wrong.length === 0,
    detail: wrong.length
      ? `${wrong.length} differences, first: ${wrong.slice(0, 3).join('; ')}`
      : `${want.scopes.size} scopes, ${lines} lines, ${have.journals} journals equal`,
  };
}

/**
 * Rule 1: a journal is deleted only where the approved plan no longer covers its scope (or its
 * scope shrank to fewer parts). `coveredAt(seq)` is the plan's coverage when write `seq` happened
 * (scope → rows with a value, by Anaplan member, so frozen scopes count as covered).
 */
export function checkDeletes(
  config: ConnectionConfig,
  writes: LedgerWrite[],
  coveredAt: (seq: number) => Map<string, number>,
): InvariantResult {
  const name = 'no journal deleted in a scope the approved plan covers (frozen or not)';
  const perPart = config.journals.maxLinesPerJournal - 1;
  const deletes = writes.filter((w) => w.op === 'delete');
  const wrong: string[] = [];
  for (const d of deletes) {
    const id = parsePlanExternalId(config, d.ext);
    if (!id) {
      wrong.push(`${d.ext}: deleted, not a plan journal`);
      continue;
    }
    const rows = coveredAt(d.seq).get(id.scope) ?? 0;
    // Rows ≥ lines (rows may fold onto one line), so this bound never flags a legitimate shrink.
    if (rows > 0 && id.part <= Math.ceil(rows / perPart))
      wrong.push(`${d.ext} (write ${d.seq}): deleted while the plan covers ${id.scope} with ${rows} values`);
  }
  return {
    name,
    ok: wrong.length === 0,
    detail: wrong.length
      ? `${wrong.length} wrong deletes, first: ${wrong.slice(0, 3).join('; ')}`
      : `${deletes.length} deletes, each of a scope the plan retired`,
  };
}

/** Accepted audit rows of journal writes (`recordKind: 'journal'`, step postJournals). */
export interface JournalAuditRow {
  targetRef: string | null;
  outcome: string;
  reason: string | null;
  at: string;
}

/**
 * Every write in the sandbox's timeline is explained by its own accepted journal audit row for that
 * externalId, written after it: a delete by a `retired: no longer in the plan` row, an insert or
 * update by a `posted` / `updated` row (one row explains one write). The one exception is a worker
 * killed between a write and its audit row: then a kill happened after the write and the retry's
 * row (`unchanged`: the journal was already written) comes after the kill.
 */
export function checkWritesExplained(
  writes: LedgerWrite[],
  rows: JournalAuditRow[],
  killTimes: number[],
): InvariantResult {
  const name = 'every journal write in the NetSuite timeline has an accepted audit row';
  const byExt = new Map<string, Array<{ at: number; kind: 'upsert' | 'retire' | 'unchanged'; used: boolean }>>();
  for (const r of rows) {
    if (r.outcome !== 'accepted' || !r.targetRef) continue;
    const reason = r.reason ?? '';
    const kind = /^retired: no longer/.test(reason)
      ? 'retire'
      : /^(posted|updated)/.test(reason)
        ? 'upsert'
        : /^(unchanged|retired)/.test(reason)
          ? 'unchanged'
          : undefined;
    if (!kind) continue;
    let list = byExt.get(r.targetRef);
    if (!list) byExt.set(r.targetRef, (list = []));
    list.push({ at: Date.parse(r.at), kind, used: false });
  }
  for (const list of byExt.values()) list.sort((a, b) => a.at - b.at);
  // Millisecond clocks of two writers (the sandbox's SQLite, the worker's audit store) on one host.
  const SLACK_MS = 5;
  const wrong: string[] = [];
  let afterKill = 0;
  for (const w of writes) {
    const list = byExt.get(w.ext) ?? [];
    const want = w.op === 'delete' ? 'retire' : 'upsert';
    const own = list.find((r) => !r.used && r.kind === want && r.at >= w.at - SLACK_MS);
    if (own) {
      own.used = true;
      continue;
    }
    const kill = killTimes.find((k) => k >= w.at - SLACK_MS);
    if (kill !== undefined && list.some((r) => r.at >= kill)) {
      afterKill++;
      continue;
    }
    wrong.push(`${w.op} of ${w.ext} (write ${w.seq}) has no accepted audit row after it`);
  }
  return {
    name,
    ok: wrong.length === 0 && writes.length > 0,
    detail: wrong.length
      ? `${wrong.length} unexplained, first: ${wrong.slice(0, 3).join('; ')}`
      : `${writes.length} writes (${writes.filter((w) => w.op === 'delete').length} deletes) each explained by its own audit row${afterKill ? ` (${afterKill} by the retry after a worker kill)` : ''}`,
  };
}

/** One chaos cycle: which model (index into the run's sandboxes/configs), month and kind. */
export interface ChaosCycle {
  model: number;
  period: string;
  kind: string;
}
export type CycleOutcome = CycleSummary | Error | undefined;

/** Every cycle of the run completed (a failure names its innermost cause). */
export function checkCompleted(runs: ChaosCycle[], outcomes: CycleOutcome[]): InvariantResult[] {
  return runs.map((r, i) => {
    const o = outcomes[i];
    const ok = o !== undefined && !(o instanceof Error) && o.status === 'completed';
    return {
      name: `cycle ${r.model}:${r.period}:${r.kind} completed`,
      ok,
      detail:
        o instanceof Error
          ? `failed: ${o.message}${o.cause ? ` — ${(o.cause as Error).message}` : ''}`
          : o
            ? `status ${o.status}`
            : 'no result',
    };
  });
}

/**
 * What the sandboxes hold after the run: actuals of each finished cycle equal NetSuite, each model's
 * planned journals exactly once (against its full cycle's plan), and no two tasks overlapped on a model.
 */
export async function checkModels(
  models: Sandboxes[],
  configs: ConnectionConfig[],
  runs: ChaosCycle[],
  outcomes: CycleOutcome[],
): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  for (const [i, r] of runs.entries())
    if (!(outcomes[i] instanceof Error)) results.push(checkActuals(models[r.model]!, configs[r.model]!, r.period));
  for (const m of models.keys()) {
    const full = runs.findIndex((r) => r.model === m && r.kind === 'full');
    const sum = outcomes[full];
    const expected =
      sum && !(sum instanceof Error) && sum.plan
        ? { count: sum.plan.journals, planCents: sum.plan.planCents }
        : undefined;
    if (full >= 0) results.push(...(await checkJournals(models[m]!, configs[m]!, expected)));
    results.push(checkNoOverlap(models[m]!, configs[m]!.anaplan.modelId));
  }
  return results;
}
