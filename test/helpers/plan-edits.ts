/**
 * Edits and sums the plan tests share: what a planner does in the Anaplan sandbox's model (un-approve
 * Budget cells), and the plan's net as the NetSuite ledger holds it.
 */
import assert from 'node:assert/strict';
import { parseJournalExternalId } from '../../activities/mapping/journals';
import type { ConnectionConfig } from '../../common/config';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';

/** The scope a plan journal belongs to, from its externalId: `version|YYYY-MM|subsidiaryId`. */
export function journalGroup(config: ConnectionConfig, externalId: string): string {
  const k = parseJournalExternalId(
    { modelId: config.anaplan.modelId, externalIdPrefix: config.journals.externalIdPrefix },
    externalId,
  )!;
  return `${k.version}|${k.period}|${k.subsidiaryId}`;
}

/**
 * A planner shrinks the approved plan in two Budget scopes the ledger holds in ≥ 3 parts: half the
 * cells of the first scope, all of the second. Returns both groups (`budget|YYYY-MM|subsidiaryId`).
 */
export function shrinkTwoBudgetScopes(
  anaplan: AnaplanSandbox,
  config: ConnectionConfig,
  ledger: Array<{ externalId?: string }>,
): { shrunkGroup: string; goneGroup: string } {
  const parts = new Map<string, number>();
  for (const j of ledger)
    parts.set(journalGroup(config, j.externalId!), (parts.get(journalGroup(config, j.externalId!)) ?? 0) + 1);
  const budget = [...parts.entries()].filter(([g, n]) => g.startsWith('budget|') && n >= 3).map(([g]) => g.split('|'));
  assert.ok(budget.length >= 2, `need two Budget groups with ≥ 3 parts, have ${JSON.stringify([...parts])}`);
  const [, shrinkMonth, shrinkSub] = budget[0]!;
  const [, goneMonth, goneSub] = budget.find(([, m, s]) => m !== shrinkMonth || s !== shrinkSub)!;
  assert.ok(unapproveBudget(anaplan, `SUB-${shrinkSub}`, shrinkMonth!, 'half') > 0);
  assert.ok(unapproveBudget(anaplan, `SUB-${goneSub}`, goneMonth!, 'all') > 0);
  return { shrunkGroup: `budget|${shrinkMonth}|${shrinkSub}`, goneGroup: `budget|${goneMonth}|${goneSub}` };
}

/** Un-approves Budget cells of one subsidiary in one month (`YYYY-MM`): all of them, or every other one. Returns how many. */
export function unapproveBudget(
  anaplan: AnaplanSandbox,
  subCode: string,
  month: string,
  share: 'all' | 'half',
): number {
  const model = anaplan.state.model;
  const pln = [...model.modules.values()].find((m) => m.name === 'PLN01 Plan')!;
  const approved = pln.lineItem('Approved')!.cells;
  const sub = model.lists.get('Subsidiaries')!.getByCode(subCode)!.index;
  const period = model.time.find((p) => p.start.startsWith(month))!.index;
  const budget = model.version('Budget')!.index;
  let n = 0;
  let seen = 0;
  for (const key of [...approved.keys()]) {
    const [, s, , p, v] = pln.decode(key);
    if (s !== sub || p !== period || v !== budget) continue;
    if (share === 'all' || seen++ % 2 === 0) {
      approved.delete(key);
      n++;
    }
  }
  return n;
}

/** Net of the plan journals' lines in the ledger, offset account left out, in cents. */
export function ledgerPlanCents(journals: Array<Record<string, any>>, offsetAccountId: string): number {
  let cents = 0;
  for (const j of journals)
    for (const l of j.line?.items ?? j.lines ?? [])
      if (String(l.account?.id ?? l.account) !== offsetAccountId)
        cents += Math.round(Number(l.debit ?? 0) * 100) - Math.round(Number(l.credit ?? 0) * 100);
  return cents;
}
