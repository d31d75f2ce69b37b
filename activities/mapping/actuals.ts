/**
 * GL activity rows (SuiteQL, aggregated by NetSuite internal IDs) → rows of the Anaplan actuals
 * import (`Account,Subsidiary,Department,Class,Location,Period,Amount`), or quarantine with a reason.
 *
 * Sign convention: Amount = debit − credit (debit-positive), summed over posting lines of the
 * primary accounting book: the sign-safe form trial-balance extractions use
 * (docs/netsuite.md §4.1, "Sign convention"). Income therefore arrives negative;
 * the model flips signs for display if it wants to. Plan write-back uses the same convention.
 */
import type { DimensionName } from '../../common/config';
import { amountProblem, centsToString, parseCents } from './amounts';
import type { MemberMaps } from './dimensions';

export const ACTUALS_HEADER = ['Account', 'Subsidiary', 'Department', 'Class', 'Location', 'Period', 'Amount'] as const;

export interface GlRow {
  account_id: string;
  subsidiary_id: string;
  department_id: string | null;
  class_id: string | null;
  location_id: string | null;
  net: string;
}

export type ActualOutcome =
  | { kind: 'row'; cells: string[]; cents: number }
  | { kind: 'out-of-scope' }
  | { kind: 'quarantine'; reason: string; dimension: DimensionName | 'amount' };

const COLUMNS: Array<[DimensionName, keyof GlRow]> = [
  ['accounts', 'account_id'],
  ['subsidiaries', 'subsidiary_id'],
  ['departments', 'department_id'],
  ['classes', 'class_id'],
  ['locations', 'location_id'],
];

export interface ActualsMappingContext {
  maps: MemberMaps;
  /** Member code for an empty dimension value, per dimension (config `unassigned`). */
  unassigned: Partial<Record<DimensionName, string>>;
  /** Anaplan time period code of the cycle's period (e.g. `Oct 26`). */
  periodCode: string;
}

export function mapGlRow(row: GlRow, ctx: ActualsMappingContext): ActualOutcome {
  if (ctx.maps.accounts.outOfScope.includes(row.account_id)) return { kind: 'out-of-scope' };
  const cells: string[] = [];
  for (const [dim, col] of COLUMNS) {
    const id = row[col];
    if (id === null || id === undefined || id === '') {
      const fallback = ctx.unassigned[dim];
      if (!fallback)
        return {
          kind: 'quarantine',
          dimension: dim,
          reason: `no ${dim.slice(0, -1)} on the line and no ${dim}.unassigned member configured`,
        };
      cells.push(fallback);
      continue;
    }
    const code = ctx.maps[dim].toCode[id];
    if (code === undefined) {
      const why =
        ctx.maps[dim].unmapped[id] ??
        `NetSuite ${dim.slice(0, -1)} ${id} is unknown to the alignment (not in the list read from NetSuite)`;
      return { kind: 'quarantine', dimension: dim, reason: why };
    }
    cells.push(code);
  }
  const cents = parseCents(row.net);
  if (cents === null || Number.isNaN(cents))
    return {
      kind: 'quarantine',
      dimension: 'amount',
      reason: amountProblem(row.net) ?? `amount ${JSON.stringify(row.net)} is not a number`,
    };
  cells.push(ctx.periodCode, centsToString(cents));
  return { kind: 'row', cells, cents };
}
