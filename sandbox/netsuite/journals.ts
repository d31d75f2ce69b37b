/**
 * `journalentry` on the REST record service: body parsing, NetSuite's business rules and the
 * create / read / upsert semantics (docs/netsuite.md §5). Field names are accepted in
 * camelCase (REST) and lowercase (SuiteScript IDs) because the REST spellings are UNCONFIRMED (§5.1).
 */
import { nsError, notFound, userError, type SandboxResponse } from './errors';
import {
  findJournalId,
  loadJournal,
  saveJournal,
  type JournalData,
  type JournalLine,
  type StoredJournal,
} from './journal-store';
import type { NetSuiteState } from './state';

/**
 * Switches that play NetSuite behaviours the reference marks UNCONFIRMED (§5.3, §5.4, §12); all off is
 * the strict reading. Set through the control plane (`POST /__sandbox/journal-switches`), cleared by reset.
 */
export interface JournalSwitches {
  /** (a) `PUT …/eid:X` ignores `?replace=line`: an existing journal's lines are appended to, not replaced. */
  putIgnoresReplace: boolean;
  /** (b) A write into a closed or locked period is saved in the next open period instead of refused. */
  redateLockedPeriods: boolean;
  /** (c) `accountingBook` / `isBookSpecific` are accepted and ignored: the lines post to the primary book. */
  ignoreBook: boolean;
  /** SuiteFlow journal approval routing: `approvalStatus` (1 pending, 2 approved, 3 rejected) instead of `approved`. */
  approvalRouting: boolean;
  /** An upsert (`PUT …/eid:X`) that creates answers `201 Created` + Location instead of `204` (§5.2: 201 vs 204 UNCONFIRMED). */
  upsertCreated201: boolean;
}
const DEFAULT_SWITCHES: JournalSwitches = {
  putIgnoresReplace: false,
  redateLockedPeriods: false,
  ignoreBook: false,
  approvalRouting: false,
  upsertCreated201: false,
};
const switchesByState = new WeakMap<NetSuiteState, JournalSwitches>();

export function journalSwitches(state: NetSuiteState): JournalSwitches {
  let s = switchesByState.get(state);
  if (!s) switchesByState.set(state, (s = { ...DEFAULT_SWITCHES }));
  return s;
}

/** Sets the named switches (unknown names and non-booleans are refused); `reset` = back to all off. */
export function setJournalSwitches(
  state: NetSuiteState,
  patch: Record<string, unknown>,
  reset = false,
): JournalSwitches {
  for (const [k, v] of Object.entries(patch)) {
    if (!(k in DEFAULT_SWITCHES))
      throw new Error(
        `unknown journal switch ${JSON.stringify(k)} (known: ${Object.keys(DEFAULT_SWITCHES).join(', ')})`,
      );
    if (typeof v !== 'boolean') throw new Error(`journal switch ${k} must be true or false`);
  }
  const s = journalSwitches(state);
  if (reset) Object.assign(s, DEFAULT_SWITCHES);
  Object.assign(s, patch);
  return { ...s };
}

/** "Limitations for Creating Transactions": 200 journal lines over REST (§5.4). */
export const MAX_JOURNAL_LINES = 200;
/** External IDs: letters, digits, `_` and `-` (§5.1). */
const EXTERNAL_ID = /^[A-Za-z0-9_-]{1,255}$/;

type Body = Record<string, unknown>;
const field = (o: Body, name: string): unknown => o[name] ?? o[name.toLowerCase()];
const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

class Invalid extends Error {
  constructor(readonly response: SandboxResponse) {
    super('invalid');
  }
}
const fail = (detail: string, path: string): never => {
  throw new Invalid(userError(detail, path));
};

function refId(v: unknown, path: string, label: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const raw = isObject(v) ? v.id : v;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) fail(`Invalid ${label} reference key ${JSON.stringify(raw ?? v)}.`, path);
  return n;
}

function amount(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0)
    fail(`Invalid amount ${JSON.stringify(v)}; amounts must be zero or positive numbers.`, path);
  return Math.round(n * 100) / 100;
}

interface RowCheck {
  isinactive?: string;
  issummary?: string;
  isposting?: string;
  closed?: string;
  alllocked?: string;
}

function checkRef(
  state: NetSuiteState,
  table: string,
  id: number | undefined,
  path: string,
  label: string,
  extra?: (row: RowCheck) => void,
): void {
  if (id === undefined) return;
  const row = state.prepared(`SELECT * FROM ${table} WHERE id = ?`).get(id) as RowCheck | undefined;
  if (!row) fail(`Invalid ${label} reference key ${id}.`, path);
  if (row!.isinactive === 'T') fail(`The ${label} ${id} is inactive.`, path);
  extra?.(row!);
}

/** Parses and validates a request body against the existing record (for updates). */
export function buildJournal(
  state: NetSuiteState,
  body: unknown,
  existing: StoredJournal | undefined,
  replaceLines: boolean,
  externalId?: string,
): JournalData {
  if (!isObject(body))
    throw new Invalid(
      nsError(400, {
        detail: 'Invalid content in the request body: a JSON object is expected.',
        code: 'INVALID_CONTENT',
      }),
    );
  const subsidiary = refId(field(body, 'subsidiary'), 'subsidiary', 'subsidiary') ?? existing?.subsidiary;
  if (subsidiary === undefined) fail('Please enter value(s) for: Subsidiary.', 'subsidiary');
  checkRef(state, 'subsidiary', subsidiary, 'subsidiary', 'subsidiary');
  const currency =
    refId(field(body, 'currency'), 'currency', 'currency') ??
    existing?.currency ??
    (state.prepared('SELECT currency FROM subsidiary WHERE id = ?').get(subsidiary) as { currency: number }).currency;
  checkRef(state, 'currency', currency, 'currency', 'currency');

  const rawDate = field(body, 'tranDate');
  const tranDate =
    rawDate === undefined ? (existing?.tranDate ?? new Date().toISOString().slice(0, 10)) : String(rawDate);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(tranDate) || Number.isNaN(Date.parse(`${tranDate}T00:00:00Z`)))
    fail(`Invalid date value ${JSON.stringify(rawDate)}; use YYYY-MM-DD.`, 'tranDate');

  let postingPeriod = refId(field(body, 'postingPeriod'), 'postingPeriod', 'accounting period');
  if (postingPeriod === undefined && rawDate === undefined) postingPeriod = existing?.postingPeriod;
  if (postingPeriod === undefined) {
    const p = state
      .prepared("SELECT id FROM accountingperiod WHERE isposting = 'T' AND startdate <= ? AND enddate >= ?")
      .get(tranDate, tranDate) as { id: number } | undefined;
    if (!p) fail(`No accounting period covers the transaction date ${tranDate}.`, 'tranDate');
    postingPeriod = p!.id;
  }
  const switches = journalSwitches(state);
  // Closed or locked periods are refused by default (§5.4 / §8.2); switch (b) plays the preference
  // "Default Posting Period When Transaction Date in Closed Period": saved in the next open period.
  let locked = false;
  checkRef(state, 'accountingperiod', postingPeriod, 'postingPeriod', 'accounting period', (row) => {
    if (row.isposting !== 'T') fail(`The accounting period ${postingPeriod} is not a posting period.`, 'postingPeriod');
    locked = row.closed === 'T' || row.alllocked === 'T';
  });
  if (locked) {
    if (!switches.redateLockedPeriods)
      fail(`The accounting period ${postingPeriod} is closed or locked for posting.`, 'postingPeriod');
    const next = state
      .prepared(
        "SELECT id FROM accountingperiod WHERE isposting = 'T' AND isquarter = 'F' AND isyear = 'F' AND closed = 'F' AND alllocked = 'F' AND startdate > (SELECT startdate FROM accountingperiod WHERE id = ?) ORDER BY startdate LIMIT 1",
      )
      .get(postingPeriod) as { id: number } | undefined;
    if (!next)
      fail(
        `The accounting period ${postingPeriod} is closed or locked for posting and no later period is open.`,
        'postingPeriod',
      );
    postingPeriod = next!.id;
  }

  // Book-specific journals need both fields (SOAP JournalEntry has isBookSpecific next to accountingBook, §12).
  const bookRaw = refId(field(body, 'accountingBook'), 'accountingBook', 'accounting book');
  const specificRaw = field(body, 'isBookSpecific');
  const bookSpecific = specificRaw === true || specificRaw === 'T' || specificRaw === 'true';
  let accountingBook = existing?.accountingBook ?? 1;
  if (!switches.ignoreBook) {
    if (bookRaw !== undefined && !bookSpecific)
      fail(
        `Please enter value(s) for: Book Specific. A journal for accounting book ${bookRaw} must be book-specific (isBookSpecific: true).`,
        'isBookSpecific',
      );
    if (bookSpecific && bookRaw === undefined && existing === undefined)
      fail(
        'Please enter value(s) for: Accounting Book. A book-specific journal names its accounting book.',
        'accountingBook',
      );
    accountingBook = bookRaw ?? accountingBook;
    checkRef(state, 'accountingbook', accountingBook, 'accountingBook', 'accounting book');
  }

  const memoRaw = field(body, 'memo');
  // Each approval mode refuses the field the other mode has (whether NetSuite REST refuses or ignores
  // a field the form does not show is UNCONFIRMED, §12; the refusal is the stricter reading).
  const approvedRaw = field(body, 'approved');
  const statusRaw = field(body, 'approvalStatus');
  if (switches.approvalRouting && approvedRaw !== undefined)
    throw new Invalid(
      nsError(400, {
        detail:
          "Invalid field 'approved': the field is not available on this record. Use approvalStatus (journal approval routing is enabled).",
        code: 'INVALID_CONTENT',
        path: 'approved',
      }),
    );
  if (!switches.approvalRouting && statusRaw !== undefined)
    throw new Invalid(
      nsError(400, {
        detail: "Invalid field 'approvalStatus': the field is not available on this record.",
        code: 'INVALID_CONTENT',
        path: 'approvalStatus',
      }),
    );
  let approvalStatus = existing?.approvalStatus ?? (switches.approvalRouting ? 1 : undefined);
  if (statusRaw !== undefined && statusRaw !== null) {
    approvalStatus = refId(statusRaw, 'approvalStatus', 'approval status');
    if (approvalStatus !== 1 && approvalStatus !== 2 && approvalStatus !== 3)
      fail(`Invalid approval status reference key ${approvalStatus}.`, 'approvalStatus');
  }
  const exchangeRaw = field(body, 'exchangeRate');
  const exchangeRate = exchangeRaw === undefined ? (existing?.exchangeRate ?? 1) : Number(exchangeRaw);
  if (!(exchangeRate > 0)) fail('Invalid exchange rate.', 'exchangeRate');

  const lineField = field(body, 'line');
  let provided: unknown[] = [];
  if (lineField !== undefined && lineField !== null) {
    const items = isObject(lineField) ? lineField.items : undefined;
    if (!Array.isArray(items)) fail('The line sublist must be an object with an items array.', 'line');
    provided = items as unknown[];
  }
  // Non-keyed sublists append on update unless ?replace=line (§5.3, §10.10).
  const offset = replaceLines || !existing ? 0 : existing.lines.length;
  const parsed = provided.map((item, i) => parseLine(state, item, `line.items[${offset + i}]`, subsidiary!));
  const lines = replaceLines || !existing ? parsed : [...existing.lines, ...parsed];
  if (lines.length === 0) fail('Please enter value(s) for: Line. A journal entry needs lines.', 'line');
  if (lines.length > MAX_JOURNAL_LINES)
    fail(`A journal entry can have at most ${MAX_JOURNAL_LINES} lines; this one has ${lines.length}.`, 'line');
  const debit = lines.reduce((s, l) => s + Math.round(l.debit * 100), 0);
  const credit = lines.reduce((s, l) => s + Math.round(l.credit * 100), 0);
  // "The total amount of debit lines must equal the total amount of credit lines" (§5.4).
  if (debit !== credit)
    fail(
      `The total of the debit lines (${(debit / 100).toFixed(2)}) must equal the total of the credit lines (${(credit / 100).toFixed(2)}).`,
      'line',
    );

  return {
    externalId: externalId ?? (field(body, 'externalId') as string | undefined) ?? existing?.externalId,
    subsidiary: subsidiary!,
    tranDate,
    postingPeriod: postingPeriod!,
    currency,
    exchangeRate,
    memo: memoRaw === undefined ? existing?.memo : memoRaw === null ? undefined : String(memoRaw),
    approved: switches.approvalRouting
      ? approvalStatus === 2
      : approvedRaw === undefined
        ? (existing?.approved ?? true)
        : approvedRaw === true || approvedRaw === 'T' || approvedRaw === 'true',
    approvalStatus: switches.approvalRouting ? approvalStatus : undefined,
    accountingBook,
    lines,
  };
}

function parseLine(state: NetSuiteState, item: unknown, path: string, subsidiary: number): JournalLine {
  if (!isObject(item)) fail('A line must be an object.', path);
  const line = item as Body;
  const account = refId(line.account, `${path}.account`, 'account');
  if (account === undefined) fail('Please enter value(s) for: Account.', `${path}.account`);
  checkRef(state, 'account', account, `${path}.account`, 'account', (row) => {
    if (row.issummary === 'T')
      fail(`The account ${account} is a summary account and cannot be posted to.`, `${path}.account`);
  });
  if (
    !state.prepared('SELECT 1 FROM accountsubsidiarymap WHERE account = ? AND subsidiary = ?').get(account, subsidiary)
  )
    fail(`The account ${account} is not available for subsidiary ${subsidiary}.`, `${path}.account`);
  const debit = amount(line.debit, `${path}.debit`);
  const credit = amount(line.credit, `${path}.credit`);
  if (debit > 0 && credit > 0) fail('A line can have a debit or a credit amount, not both.', `${path}.debit`);
  const department = refId(line.department, `${path}.department`, 'department');
  checkRef(state, 'department', department, `${path}.department`, 'department');
  const cls = refId(line.class, `${path}.class`, 'class');
  checkRef(state, 'classification', cls, `${path}.class`, 'class');
  const location = refId(line.location, `${path}.location`, 'location');
  checkRef(state, 'location', location, `${path}.location`, 'location');
  const entity = refId(line.entity, `${path}.entity`, 'entity');
  return {
    account: account!,
    debit,
    credit,
    department,
    class: cls,
    location,
    entity,
    memo: line.memo === undefined || line.memo === null ? undefined : String(line.memo),
  };
}

export type RecordKey = { id: number } | { externalId: string };

export function parseRecordKey(segment: string): RecordKey | SandboxResponse {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return notFound();
  }
  if (decoded.startsWith('eid:')) {
    const externalId = decoded.slice(4);
    if (!EXTERNAL_ID.test(externalId))
      return userError(
        `Invalid external ID ${JSON.stringify(externalId)}: use letters, digits, '_' and '-'.`,
        'externalId',
      );
    return { externalId };
  }
  if (!/^\d+$/.test(decoded)) return notFound();
  return { id: Number(decoded) };
}

const APPROVAL_NAMES: Record<number, string> = { 1: 'Pending Approval', 2: 'Approved', 3: 'Rejected' };

const ok = (base: string, id: number): SandboxResponse => ({
  status: 204,
  headers: { location: `${base}/services/rest/record/v1/journalentry/${id}` },
});

function attempt(fn: () => SandboxResponse): SandboxResponse {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Invalid) return err.response;
    throw err;
  }
}

/** POST: create → 204 + Location (§5.2). */
export function createJournal(
  state: NetSuiteState,
  base: string,
  body: unknown,
  replaceLines: boolean,
): SandboxResponse {
  return attempt(() => {
    const data = buildJournal(state, body, undefined, replaceLines);
    if (data.externalId !== undefined) {
      if (!EXTERNAL_ID.test(data.externalId))
        fail("Invalid external ID: use letters, digits, '_' and '-'.", 'externalId');
      if (findJournalId(state, { externalId: data.externalId }) !== undefined)
        fail(`A record with external ID ${data.externalId} already exists.`, 'externalId');
    }
    return ok(base, saveJournal(state, data));
  });
}

/** PUT eid: creates or updates (upsert); PATCH updates by id. Lines follow ?replace (§5.3). */
export function writeJournal(
  state: NetSuiteState,
  base: string,
  key: RecordKey,
  body: unknown,
  replaceLines: boolean,
  mode: 'upsert' | 'update',
): SandboxResponse {
  return attempt(() => {
    const id = findJournalId(state, key);
    if (id === undefined && (mode === 'update' || !('externalId' in key))) return notFound();
    const existing = id === undefined ? undefined : loadJournal(state, id);
    // Switch (a): an upsert that does not honour ?replace appends, like any update without it (§12).
    const replace = replaceLines && !(mode === 'upsert' && journalSwitches(state).putIgnoresReplace);
    const data = buildJournal(state, body, existing, replace, 'externalId' in key ? key.externalId : undefined);
    const res = ok(base, saveJournal(state, data, id));
    return id === undefined && journalSwitches(state).upsertCreated201 ? { ...res, status: 201 } : res;
  });
}

/**
 * The journal entry's JSON Schema as the metadata catalog gives it for this account: the approval
 * field of the current mode only (`approvalStatus` with routing, `approved` without), and the book
 * fields only on a Multi-Book account. Field set and property shapes are the sandbox's subset.
 */
export function journalSchema(state: NetSuiteState): Record<string, unknown> {
  const ref = (title: string) => ({
    type: 'object',
    title,
    properties: {
      id: { type: 'string', title: 'Internal ID' },
      refName: { type: 'string', title: 'Reference Name' },
      externalId: { type: 'string' },
      links: { type: 'array', readOnly: true },
    },
  });
  const routing = journalSwitches(state).approvalRouting;
  return {
    type: 'object',
    title: 'Journal Entry',
    properties: {
      id: { type: 'string', title: 'Internal ID' },
      externalId: { type: 'string', title: 'External ID' },
      tranId: { type: 'string', title: 'Entry No.' },
      tranDate: { type: 'string', format: 'date', title: 'Date' },
      postingPeriod: ref('Posting Period'),
      subsidiary: ref('Subsidiary'),
      currency: ref('Currency'),
      exchangeRate: { type: 'number', title: 'Exchange Rate' },
      memo: { type: 'string', title: 'Memo' },
      ...(routing
        ? { approvalStatus: { ...ref('Approval Status'), nullable: true }, nextApprover: ref('Next Approver') }
        : { approved: { type: 'boolean', title: 'Approved' } }),
      ...(state.multiBook
        ? { accountingBook: ref('Accounting Book'), isBookSpecific: { type: 'boolean', title: 'Book Specific' } }
        : {}),
      debitTotal: { type: 'number', readOnly: true },
      creditTotal: { type: 'number', readOnly: true },
      createdDate: { type: 'string', format: 'date-time', readOnly: true },
      lastModifiedDate: { type: 'string', format: 'date-time', readOnly: true },
      line: {
        type: 'object',
        title: 'Lines',
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                account: ref('Account'),
                debit: { type: 'number' },
                credit: { type: 'number' },
                department: ref('Department'),
                class: ref('Class'),
                location: ref('Location'),
                memo: { type: 'string' },
              },
            },
          },
        },
      },
    },
  };
}

/** GET: the record with references as {id, refName, links}; lines only with expandSubResources. */
export function renderJournal(state: NetSuiteState, base: string, key: RecordKey, expand: boolean): SandboxResponse {
  const id = findJournalId(state, key);
  const j = id === undefined ? undefined : loadJournal(state, id);
  if (!j) return notFound();
  const self = `${base}/services/rest/record/v1/journalentry/${j.id}`;
  const name = (table: string, col: string, ref: number) =>
    (state.prepared(`SELECT ${col} AS n FROM ${table} WHERE id = ?`).get(ref) as { n: string } | undefined)?.n;
  const ref = (type: string, table: string, col: string, v: number | undefined) =>
    v === undefined
      ? undefined
      : {
          links: [{ rel: 'self', href: `${base}/services/rest/record/v1/${type}/${v}` }],
          id: String(v),
          refName: name(table, col, v),
        };
  const clean = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const line: Record<string, unknown> = { links: [{ rel: 'self', href: `${self}/line` }] };
  if (expand) {
    line.items = j.lines.map((l, i) =>
      clean({
        links: [],
        line: i,
        account: ref('account', 'account', 'displaynamewithhierarchy', l.account),
        debit: l.debit > 0 ? l.debit : undefined,
        credit: l.credit > 0 ? l.credit : undefined,
        department: ref('department', 'department', 'fullname', l.department),
        class: ref('classification', 'classification', 'fullname', l.class),
        location: ref('location', 'location', 'fullname', l.location),
        memo: l.memo,
      }),
    );
    line.totalResults = j.lines.length;
  }
  const debitTotal = j.lines.reduce((s, l) => s + Math.round(l.debit * 100), 0) / 100;
  return {
    status: 200,
    body: clean({
      links: [{ rel: 'self', href: self }],
      id: String(j.id),
      externalId: j.externalId,
      tranId: j.tranId,
      tranDate: j.tranDate,
      postingPeriod: ref('accountingperiod', 'accountingperiod', 'periodname', j.postingPeriod),
      subsidiary: ref('subsidiary', 'subsidiary', 'name', j.subsidiary),
      currency: ref('currency', 'currency', 'name', j.currency),
      accountingBook: ref('accountingbook', 'accountingbook', 'name', j.accountingBook),
      isBookSpecific: j.accountingBook !== 1,
      exchangeRate: j.exchangeRate,
      memo: j.memo,
      ...(journalSwitches(state).approvalRouting
        ? {
            approvalStatus: {
              id: String(j.approvalStatus ?? (j.approved ? 2 : 1)),
              refName: APPROVAL_NAMES[j.approvalStatus ?? (j.approved ? 2 : 1)],
            },
          }
        : { approved: j.approved }),
      debitTotal,
      creditTotal: debitTotal,
      createdDate: j.createdDate.replace(' ', 'T') + 'Z',
      lastModifiedDate: j.lastModifiedDate.replace(' ', 'T') + 'Z',
      line,
    }),
  };
}
