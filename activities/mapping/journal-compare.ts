/**
 * Whether the ledger already holds a journal as the plan wants it: the one test shared by
 * postJournals (leave an identical journal "unchanged") and diffJournals (the approval diff's
 * create / update / unchanged), so the diff a controller approves is what posting then does.
 */
const ref = (v: unknown) => String((v as { id?: string } | undefined)?.id ?? v ?? '');
const items = (b: Record<string, unknown>) =>
  (b.line as { items?: Array<Record<string, unknown>> } | undefined)?.items ?? [];

/** Line set as NetSuite compares it: account, debit, credit, department (order-free, to the cent). */
function canonical(lines: Array<Record<string, unknown>>): string {
  return JSON.stringify(
    lines
      .map((l) => [
        ref(l.account),
        Number(l.debit ?? 0).toFixed(2),
        Number(l.credit ?? 0).toFixed(2),
        ref(l.department),
      ])
      .sort(),
  );
}

/** Same book (when one is asked for), approval, subsidiary, posting period and line set. */
export function sameJournalContent(existing: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  const sameBook = wanted.accountingBook === undefined || ref(existing.accountingBook) === ref(wanted.accountingBook);
  // A changed approval setting is a change too (compared where the ledger shows the field).
  const sameApproval = (['approved', 'approvalStatus'] as const).every(
    (f) => wanted[f] === undefined || existing[f] === undefined || ref(existing[f]) === ref(wanted[f]),
  );
  return (
    sameBook &&
    sameApproval &&
    ref(existing.subsidiary) === ref(wanted.subsidiary) &&
    ref(existing.postingPeriod) === ref(wanted.postingPeriod) &&
    canonical(items(existing)) === canonical(items(wanted))
  );
}
