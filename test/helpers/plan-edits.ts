/**
 * Edits and sums the plan tests share: what a planner does in the Anaplan sandbox's model (un-approve
 * Budget cells), and the plan's net as the NetSuite ledger holds it.
 */
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';

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
