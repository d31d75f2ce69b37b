/**
 * Dimension alignment (pure): NetSuite list members → Anaplan list member codes.
 *
 * Default identity: accounts by `acctnumber` (the code finance uses); subsidiaries, departments,
 * classes and locations by `<PREFIX>-<internal id>` (NetSuite has no code field on them and names
 * change, internal IDs do not). Config overrides replace a default code, or exclude it with null.
 * A member is mapped only when its code exists (or will exist, for synced lists) in Anaplan;
 * otherwise it is unmapped with a reason, and rows that reference it are quarantined.
 */
import type { DimensionName } from '../../common/config';
import { restoreFormula } from './csv';

export const CODE_PREFIX: Record<Exclude<DimensionName, 'accounts'>, string> = {
  subsidiaries: 'SUB',
  departments: 'DEP',
  classes: 'CLS',
  locations: 'LOC',
};

export interface NetSuiteMember {
  id: string;
  /** Accounts: acctnumber; other lists: unused (code derives from id). */
  number?: string;
  name: string;
  parent: string | null;
  isinactive: boolean;
  /** Accounts: NetSuite account type (Income, Expense...). */
  type?: string;
  issummary?: boolean;
}

export interface DimensionRule {
  sync: boolean;
  overrides: Record<string, string | null>;
  /** Accounts: in-scope types; members of other types are out of scope (not quarantined). */
  accountTypes?: string[];
}

export type MemberOutcome =
  | { id: string; code: string; status: 'mapped' }
  | { id: string; code: string | null; status: 'unmapped'; reason: string }
  | { id: string; code: null; status: 'out-of-scope'; reason: string };

export function defaultCode(dimension: DimensionName, m: NetSuiteMember): string {
  if (dimension === 'accounts') return m.number ?? m.id;
  return `${CODE_PREFIX[dimension]}-${m.id}`;
}

export interface AlignmentResult {
  dimension: DimensionName;
  outcomes: MemberOutcome[];
  /** Rows for the list import (`Code,Name,Parent`), parents before children; empty when not synced. */
  importRows: Array<{ code: string; name: string; parent: string }>;
}

/**
 * @param anaplanCodes codes already in the Anaplan list (read through the API before aligning).
 */
export function alignDimension(
  dimension: DimensionName,
  members: NetSuiteMember[],
  rule: DimensionRule,
  anaplanCodes: ReadonlySet<string>,
): AlignmentResult {
  const byId = new Map(members.map((m) => [m.id, m]));
  const codeOf = new Map<string, string | null>();
  for (const m of members) {
    const def = defaultCode(dimension, m);
    codeOf.set(m.id, Object.prototype.hasOwnProperty.call(rule.overrides, def) ? rule.overrides[def]! : def);
  }
  const inScope = (m: NetSuiteMember) =>
    dimension !== 'accounts' || !rule.accountTypes || (m.type !== undefined && rule.accountTypes.includes(m.type));
  const outcomes: MemberOutcome[] = [];
  const importRows: AlignmentResult['importRows'] = [];
  const emitted = new Set<string>();
  // Parents first so a hierarchical list import never references a parent it has not created yet.
  const emit = (m: NetSuiteMember, depth = 0): void => {
    const code = codeOf.get(m.id);
    if (!code || emitted.has(code) || depth > 50) return;
    const parent = m.parent ? byId.get(m.parent) : undefined;
    const parentCode = parent && !parent.isinactive && inScope(parent) ? (codeOf.get(parent.id) ?? null) : null;
    if (parent && parentCode) emit(parent, depth + 1);
    emitted.add(code);
    importRows.push({ code, name: m.name, parent: parentCode ?? '' });
  };
  for (const m of members) {
    const code = codeOf.get(m.id) ?? null;
    if (!inScope(m)) {
      outcomes.push({
        id: m.id,
        code: null,
        status: 'out-of-scope',
        reason: `account type ${m.type ?? '?'} is not in the plan`,
      });
      continue;
    }
    if (code === null) {
      outcomes.push({
        id: m.id,
        code: null,
        status: 'unmapped',
        reason: `excluded by ${dimension}.overrides["${defaultCode(dimension, m)}"] = null`,
      });
      continue;
    }
    if (m.isinactive) {
      outcomes.push({
        id: m.id,
        code,
        status: anaplanCodes.has(code) ? 'mapped' : 'unmapped',
        ...(anaplanCodes.has(code) ? {} : { reason: 'inactive in NetSuite and absent from Anaplan' }),
      } as MemberOutcome);
      continue;
    }
    if (rule.sync) {
      emit(m);
      outcomes.push({ id: m.id, code, status: 'mapped' });
    } else if (anaplanCodes.has(code)) {
      outcomes.push({ id: m.id, code, status: 'mapped' });
    } else {
      outcomes.push({
        id: m.id,
        code,
        status: 'unmapped',
        reason: `${code} is not a member of the Anaplan list (list is maintained in Anaplan, not synced)`,
      });
    }
  }
  return { dimension, outcomes, importRows };
}

/** Lookup tables a step needs: NetSuite id → code (mapped only), and back. */
export interface MemberMap {
  toCode: Record<string, string>;
  fromCode: Record<string, string>;
  /** id → reason, for members that exist but do not map. */
  unmapped: Record<string, string>;
  outOfScope: string[];
}

export function memberMap(result: AlignmentResult): MemberMap {
  const map: MemberMap = { toCode: {}, fromCode: {}, unmapped: {}, outOfScope: [] };
  for (const o of result.outcomes) {
    if (o.status === 'mapped') {
      map.toCode[o.id] = o.code;
      map.fromCode[o.code] ??= o.id;
    } else if (o.status === 'unmapped') map.unmapped[o.id] = o.reason;
    else map.outOfScope.push(o.id);
  }
  return map;
}

export type MemberMaps = Record<DimensionName, MemberMap>;

/** A member as the Anaplan list holds it: code, name, and its parent's code (none: null or ''). */
export interface AnaplanMember {
  code: string;
  name: string;
  parent: string | null;
}

/**
 * The import rows that would change the list: a member Anaplan lacks, or one whose name or parent
 * differs. A list import of `Code,Name,Parent` sets exactly those three, so a row that matches the
 * list's item is a no-op — and an import that is all no-ops still takes the model for a task (a
 * start, at least one poll, the model lock meanwhile). The order of the rows (parents first) is kept.
 */
export function changedImportRows(
  rows: AlignmentResult['importRows'],
  existing: ReadonlyMap<string, AnaplanMember>,
): AlignmentResult['importRows'] {
  return rows.filter((r) => {
    const have = existing.get(r.code);
    return !have || have.name !== r.name || (have.parent ?? '') !== r.parent;
  });
}

/** A list item as the Anaplan port reads it (`AnaplanListItem` in activities/cycle/ports.ts). */
export interface AnaplanItem {
  code: string;
  name: string;
  parent?: string | null;
  /** The item's ID and its parent's (an item of the parent list in a composite hierarchy), when known. */
  id?: string;
  parentId?: string;
}

/**
 * The Anaplan side of one dimension by code, as NetSuite knows the codes (imports formula-guard
 * them: csvLine), each with its name and its parent's code. A composite hierarchy's parent is an
 * item of the parent list, found by ID there.
 */
export function anaplanMembers(
  listItems: AnaplanItem[],
  parentItems: AnaplanItem[],
): { list: Map<string, AnaplanMember>; parentList: Map<string, AnaplanMember> } {
  const codeById = new Map<string, string>();
  for (const i of [...parentItems, ...listItems]) if (i.id !== undefined) codeById.set(i.id, i.code);
  const byCode = (items: AnaplanItem[]) =>
    new Map(
      items.map((i) => {
        const parent = i.parent ?? (i.parentId !== undefined ? codeById.get(i.parentId) : undefined) ?? null;
        return [
          restoreFormula(i.code),
          {
            code: restoreFormula(i.code),
            name: restoreFormula(i.name),
            parent: parent === null ? null : restoreFormula(parent),
          },
        ];
      }),
    );
  return { list: byCode(listItems), parentList: byCode(parentItems) };
}
