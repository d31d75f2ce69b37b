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

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function planJournals(values: Iterable<PlanValue>, o: JournalPlanOptions): PlannedJournal[] {
  const grouping = new PlanGrouping();
  for (const v of values) grouping.add(v);
  return grouping.journals(o);
}

/** One journal group's folded lines (see `PlanGrouping`). */
interface GroupLines {
  lines: Map<string, { accountId: string; departmentId: string | null; cents: number; sourceLines: number[] }>;
  values: number;
  cents: number;
}

/**
 * Plan values folded as they arrive onto their journal group (version, period, subsidiary) and
 * line (account, department): an export can carry one value per cell only, but several Anaplan
 * members may map onto one NetSuite account. Only the folded lines are kept, never the values, so
 * a caller streaming the export holds one entry per journal line; groups can be left out later
 * (`include`) without reading the export again.
 */
export class PlanGrouping {
  private readonly groups = new Map<string, GroupLines>();

  add(v: PlanValue): void {
    const g = `${v.version}\u0000${v.period}\u0000${v.subsidiaryId}`;
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

  /** Values added and their sum, over the groups `include` keeps (all by default). */
  totals(include: (version: string, period: string, subsidiaryId: string) => boolean = () => true): {
    values: number;
    cents: number;
  } {
    let values = 0;
    let cents = 0;
    for (const [g, group] of this.groups) {
      const [version, period, subsidiaryId] = g.split('\u0000') as [string, string, string];
      if (!include(version, period, subsidiaryId)) continue;
      values += group.values;
      cents += group.cents;
    }
    return { values, cents };
  }

  /** The journals of the groups `include` keeps, in a stable order (groups sorted, lines by account then department). */
  journals(
    o: JournalPlanOptions,
    include: (version: string, period: string, subsidiaryId: string) => boolean = () => true,
  ): PlannedJournal[] {
    return [...this.eachJournal(o, include)];
  }

  /**
   * `journals`, one at a time: a caller that writes them out as they come (preparePlan) never holds
   * the whole plan's journal lines twice. Every pass yields the same journals in the same order.
   */
  *eachJournal(
    o: JournalPlanOptions,
    include: (version: string, period: string, subsidiaryId: string) => boolean = () => true,
  ): Generator<PlannedJournal> {
    if (o.maxLinesPerJournal < 2) throw new RangeError('maxLinesPerJournal must leave room for the offset line');
    for (const g of [...this.groups.keys()].sort(cmp)) {
      const [version, period, subsidiaryId] = g.split('\u0000') as [string, string, string];
      if (!include(version, period, subsidiaryId)) continue;
      const lines = [...this.groups.get(g)!.lines.values()]
        .filter((l) => l.cents !== 0)
        .sort(
          (a, b) =>
            cmp(a.accountId.padStart(12, '0'), b.accountId.padStart(12, '0')) ||
            cmp(a.departmentId ?? '', b.departmentId ?? ''),
        );
      if (lines.length === 0) continue;
      const perPart = o.maxLinesPerJournal - 1;
      const parts = Math.ceil(lines.length / perPart);
      for (let p = 0; p < parts; p++) {
        const slice = lines.slice(p * perPart, (p + 1) * perPart);
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
        yield {
          externalId: journalExternalId(o, version, period, subsidiaryId, p + 1),
          subsidiaryId,
          period,
          version,
          part: p + 1,
          parts,
          lines: jl,
          debitCents,
          creditCents,
        };
      }
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
