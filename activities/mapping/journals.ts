/**
 * Approved plan values → balanced NetSuite journal entries (pure).
 *
 * One journal per subsidiary × period × version, split deterministically when it has more lines
 * than the limit; every part balances on its own against the configured offset account. Each part's
 * externalId is derived from model, version, period, subsidiary and part number, so a re-run of the
 * same plan upserts the same records (the idempotency key of the write, docs/style.md §12) and a changed
 * plan replaces their lines. Amounts follow the actuals convention: positive = debit.
 */
import { versionSlug } from '../../common/node/version-slug';
import { centsToString } from './amounts';

export interface PlanValue {
  /** NetSuite internal IDs (already mapped from Anaplan codes). */
  accountId: string;
  subsidiaryId: string;
  departmentId: string | null;
  /** YYYY-MM */
  period: string;
  version: string;
  cents: number;
  /** 1-based line of the export file, for the audit trail. */
  sourceLine: number;
}

export interface JournalLine {
  accountId: string;
  departmentId: string | null;
  debitCents: number;
  creditCents: number;
  /** Export file lines folded into this journal line (empty for the offset line). */
  sourceLines: number[];
  isOffset: boolean;
}

export interface PlannedJournal {
  externalId: string;
  subsidiaryId: string;
  period: string;
  version: string;
  part: number;
  parts: number;
  lines: JournalLine[];
  debitCents: number;
  creditCents: number;
}

export interface JournalPlanOptions {
  modelId: string;
  externalIdPrefix: string;
  offsetAccountId: string;
  maxLinesPerJournal: number;
}

type IdOptions = Pick<JournalPlanOptions, 'externalIdPrefix' | 'modelId'>;

/**
 * Our ceiling for a journal externalId. NetSuite documents the characters (letters, digits, `_`, `-`;
 * docs/netsuite.md §5.1) but no maximum length for REST — UNCONFIRMED — so IDs are kept
 * short enough for any plausible limit and `journalExternalId` refuses to build a longer one.
 */
export const MAX_JOURNAL_EXTERNAL_ID_LENGTH = 96;

export { canonicalVersion, collidingVersions, versionSlug, VERSION_SLUG_MAX } from '../../common/node/version-slug';

/** Start of every external ID the connector gives this model's plan journals. */
export function journalIdPrefix(o: IdOptions): string {
  return `${o.externalIdPrefix}-${o.modelId.slice(0, 12).toLowerCase()}-`;
}

/** NetSuite external IDs allow letters, digits, `_` and `-` (docs/netsuite.md §5.1). */
export function journalExternalId(
  o: IdOptions,
  version: string,
  period: string,
  subsidiaryId: string,
  part: number,
): string {
  const id = `${journalIdPrefix(o)}${versionSlug(version)}-${period.replace('-', '')}-s${subsidiaryId}-p${part}`;
  if (id.length > MAX_JOURNAL_EXTERNAL_ID_LENGTH)
    throw new RangeError(`journal externalId ${id} is longer than ${MAX_JOURNAL_EXTERNAL_ID_LENGTH} characters`);
  return id;
}

/** Two planned journals with one externalId: posting both would overwrite one with the other. */
export class DuplicateExternalIdError extends Error {
  constructor(
    readonly externalId: string,
    readonly first: string,
    readonly second: string,
  ) {
    super(
      `two planned journals share the externalId ${externalId} (${first} and ${second}); nothing was posted — make the plan versions distinct`,
    );
    this.name = 'DuplicateExternalIdError';
  }
}

/** Refuses a plan in which two journals would land on one NetSuite record (IDs compare case-insensitively there). */
export function assertDistinctExternalIds(
  journals: Iterable<Pick<PlannedJournal, 'externalId' | 'version' | 'period' | 'subsidiaryId' | 'part'>>,
): void {
  const seen = new Map<string, string>();
  for (const j of journals) {
    const key = j.externalId.toLowerCase();
    const what = `${j.version} ${j.period} subsidiary ${j.subsidiaryId} part ${j.part}`;
    const first = seen.get(key);
    if (first !== undefined) throw new DuplicateExternalIdError(j.externalId, first, what);
    seen.set(key, what);
  }
}

/** The parts of an external ID `journalExternalId` made for this model, or null for any other. */
export function parseJournalExternalId(
  o: IdOptions,
  externalId: string,
): { version: string; period: string; subsidiaryId: string; part: number } | null {
  const prefix = journalIdPrefix(o);
  if (!externalId.startsWith(prefix)) return null;
  const m = /^([a-z0-9_]+)-(\d{4})(\d{2})-s(\d+)-p(\d+)$/.exec(externalId.slice(prefix.length));
  return m ? { version: m[1]!, period: `${m[2]}-${m[3]}`, subsidiaryId: m[4]!, part: Number(m[5]) } : null;
}

export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function planJournals(values: Iterable<PlanValue>, o: JournalPlanOptions): PlannedJournal[] {
  const grouping = new PlanGrouping();
  for (const v of values) grouping.add(v);
  return grouping.journals(o);
}

/** Which journal groups (version × period × subsidiary) a caller keeps; frozen scopes are left out. */
export type GroupFilter = (version: string, period: string, subsidiaryId: string) => boolean;

/** A planned journal without its lines: what the plan makes, for checks before the lines are built. */
export type PlannedJournalHead = Pick<
  PlannedJournal,
  'externalId' | 'version' | 'period' | 'subsidiaryId' | 'part' | 'parts'
>;

/**
 * What preparePlan folds the export into: `PlanGrouping` here (in memory), or the scratch-file one of
 * activities/cycle/plan-grouping-disk.ts, which yields the same journals without holding the lines.
 */
export interface PlanGroups {
  add(v: PlanValue): void;
  /** Values added and their sum, over the groups `include` keeps (all by default). */
  totals(include?: GroupFilter): { values: number; cents: number };
  /** The journals `eachJournal` yields, without lines, in the same order. */
  heads(o: JournalPlanOptions, include?: GroupFilter): PlannedJournalHead[];
  /** The journals of the groups `include` keeps, one at a time; every pass yields the same journals in the same order. */
  eachJournal(o: JournalPlanOptions, include?: GroupFilter): Iterable<PlannedJournal>;
}

/** One journal line folded from the values on its account and department (before the debit/credit split). */
export interface FoldedLine {
  accountId: string;
  departmentId: string | null;
  cents: number;
  sourceLines: number[];
}

/** Group key: sorting the keys sorts by version, then period, then subsidiary (NUL sorts first). */
export function groupKey(version: string, period: string, subsidiaryId: string): string {
  return `${version}\u0000${period}\u0000${subsidiaryId}`;
}

export function splitGroupKey(g: string): [version: string, period: string, subsidiaryId: string] {
  return g.split('\u0000') as [string, string, string];
}

/** Line order inside a journal: account ID as a number (IDs are digits), then department. */
export const accountOrderKey = (accountId: string) => accountId.padStart(12, '0');
export const compareLines = (a: FoldedLine, b: FoldedLine) =>
  cmp(accountOrderKey(a.accountId), accountOrderKey(b.accountId)) || cmp(a.departmentId ?? '', b.departmentId ?? '');

/** Non-offset lines a part holds (one line of every journal is left for its offset). */
export function linesPerPart(o: JournalPlanOptions): number {
  if (o.maxLinesPerJournal < 2) throw new RangeError('maxLinesPerJournal must leave room for the offset line');
  return o.maxLinesPerJournal - 1;
}

/** Heads of the journals of groups given in key order with their non-zero line counts. */
export function journalHeads(
  groups: Iterable<{ key: string; lines: number }>,
  o: JournalPlanOptions,
  include: GroupFilter = () => true,
): PlannedJournalHead[] {
  const perPart = linesPerPart(o);
  const heads: PlannedJournalHead[] = [];
  for (const { key, lines } of groups) {
    const [version, period, subsidiaryId] = splitGroupKey(key);
    if (lines === 0 || !include(version, period, subsidiaryId)) continue;
    const parts = Math.ceil(lines / perPart);
    for (let p = 1; p <= parts; p++)
      heads.push({
        externalId: journalExternalId(o, version, period, subsidiaryId, p),
        version,
        period,
        subsidiaryId,
        part: p,
        parts,
      });
  }
  return heads;
}

/**
 * Part `part` of `parts` of a group's journal from its slice of non-zero lines (in line order):
 * the lines, then the offset line that balances this part on its own.
 */
export function partJournal(
  o: JournalPlanOptions,
  groupKeyOf: string,
  part: number,
  parts: number,
  slice: FoldedLine[],
): PlannedJournal {
  const [version, period, subsidiaryId] = splitGroupKey(groupKeyOf);
  const jl: JournalLine[] = slice.map((l) => ({
    accountId: l.accountId,
    departmentId: l.departmentId,
    debitCents: l.cents > 0 ? l.cents : 0,
    creditCents: l.cents < 0 ? -l.cents : 0,
    sourceLines: l.sourceLines,
    isOffset: false,
  }));
  const net = slice.reduce((s, l) => s + l.cents, 0);
  if (net !== 0)
    jl.push({
      accountId: o.offsetAccountId,
      departmentId: null,
      debitCents: net < 0 ? -net : 0,
      creditCents: net > 0 ? net : 0,
      sourceLines: [],
      isOffset: true,
    });
  const debitCents = jl.reduce((s, l) => s + l.debitCents, 0);
  const creditCents = jl.reduce((s, l) => s + l.creditCents, 0);
  return {
    externalId: journalExternalId(o, version, period, subsidiaryId, part),
    subsidiaryId,
    period,
    version,
    part,
    parts,
    lines: jl,
    debitCents,
    creditCents,
  };
}

/** Values and their sum over the kept groups. */
export function groupTotals(
  groups: Iterable<[key: string, { values: number; cents: number }]>,
  include: GroupFilter = () => true,
): { values: number; cents: number } {
  let values = 0;
  let cents = 0;
  for (const [g, group] of groups) {
    if (!include(...splitGroupKey(g))) continue;
    values += group.values;
    cents += group.cents;
  }
  return { values, cents };
}

/** One journal group's folded lines (see `PlanGrouping`). */
interface GroupLines {
  lines: Map<string, FoldedLine>;
  values: number;
  cents: number;
}

/**
 * Plan values folded as they arrive onto their journal group (version, period, subsidiary) and
 * line (account, department): an export can carry one value per cell only, but several Anaplan
 * members may map onto one NetSuite account. Only the folded lines are kept, never the values, so
 * a caller streaming the export holds one entry per journal line; groups can be left out later
 * (`include`) without reading the export again. preparePlan folds on disk instead
 * (plan-grouping-disk.ts): a plan's lines grow with its size.
 */
export class PlanGrouping implements PlanGroups {
  private readonly groups = new Map<string, GroupLines>();

  add(v: PlanValue): void {
    const g = groupKey(v.version, v.period, v.subsidiaryId);
    let group = this.groups.get(g);
    if (!group) this.groups.set(g, (group = { lines: new Map(), values: 0, cents: 0 }));
    group.values++;
    group.cents += v.cents;
    const k = `${v.accountId}\u0000${v.departmentId ?? ''}`;
    const line = group.lines.get(k);
    if (line) {
      line.cents += v.cents;
      line.sourceLines.push(v.sourceLine);
    } else
      group.lines.set(k, {
        accountId: v.accountId,
        departmentId: v.departmentId,
        cents: v.cents,
        sourceLines: [v.sourceLine],
      });
  }

  totals(include?: GroupFilter): { values: number; cents: number } {
    return groupTotals(this.groups, include);
  }

  /** The journals of the groups `include` keeps, in a stable order (groups sorted, lines by account then department). */
  journals(o: JournalPlanOptions, include?: GroupFilter): PlannedJournal[] {
    return [...this.eachJournal(o, include)];
  }

  heads(o: JournalPlanOptions, include?: GroupFilter): PlannedJournalHead[] {
    const counted = [...this.groups.keys()].sort(cmp).map((key) => {
      let lines = 0;
      for (const l of this.groups.get(key)!.lines.values()) if (l.cents !== 0) lines++;
      return { key, lines };
    });
    return journalHeads(counted, o, include);
  }

  /**
   * `journals`, one at a time: a caller that writes them out as they come never holds the whole
   * plan's journal lines twice. Every pass yields the same journals in the same order.
   */
  *eachJournal(o: JournalPlanOptions, include: GroupFilter = () => true): Generator<PlannedJournal> {
    const perPart = linesPerPart(o);
    for (const g of [...this.groups.keys()].sort(cmp)) {
      if (!include(...splitGroupKey(g))) continue;
      // Stable sort: lines with equal keys keep the order their first values came in.
      const lines = [...this.groups.get(g)!.lines.values()].filter((l) => l.cents !== 0).sort(compareLines);
      const parts = Math.ceil(lines.length / perPart);
      for (let p = 0; p < parts; p++)
        yield partJournal(o, g, p + 1, parts, lines.slice(p * perPart, (p + 1) * perPart));
    }
  }
}

export interface JournalBodyOptions {
  postingPeriodId: string;
  tranDate: string;
  memo: string;
  accountingBookId?: number;
  approved: boolean;
  /** SuiteFlow journal approval routing: the record has `approvalStatus` (1 pending, 2 approved) instead of `approved`. */
  approvalRouting?: boolean;
}

/** The REST record body (`PUT /record/v1/journalEntry/eid:<externalId>?replace=line`). */
export function journalBody(j: PlannedJournal, o: JournalBodyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    externalId: j.externalId,
    subsidiary: { id: j.subsidiaryId },
    postingPeriod: { id: o.postingPeriodId },
    tranDate: o.tranDate,
    memo: `${o.memo} · ${j.version} ${j.period}${j.parts > 1 ? ` · part ${j.part}/${j.parts}` : ''}`,
    ...(o.approvalRouting ? { approvalStatus: { id: o.approved ? '2' : '1' } } : { approved: o.approved }),
    line: {
      items: j.lines.map((l) => ({
        account: { id: l.accountId },
        ...(l.debitCents ? { debit: Number(centsToString(l.debitCents)) } : {}),
        ...(l.creditCents ? { credit: Number(centsToString(l.creditCents)) } : {}),
        ...(l.departmentId ? { department: { id: l.departmentId } } : {}),
        memo: l.isOffset ? 'ml-connector offset' : `${j.version} plan`,
      })),
    },
  };
  if (o.accountingBookId !== undefined) {
    // A journal for one book only is book-specific: the record needs both fields (docs/netsuite.md §12).
    body.accountingBook = { id: String(o.accountingBookId) };
    body.isBookSpecific = true;
  }
  return body;
}
