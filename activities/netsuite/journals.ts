/**
 * Journal entries through the REST record service (docs/netsuite.md §5).
 *
 * Writes are keyed by external ID, the idempotency key of the write (docs/style.md §12): a retried or
 * replayed post lands on the same record. `upsertJournal` is `PUT …/eid:<externalId>?replace=line`.
 * `writeJournal` is what the cycle uses: create with that PUT, replace an existing journal's lines
 * with the documented `PATCH …/eid:<externalId>?replace=line` and the complete line set (whether PUT
 * honours `replace` is UNCONFIRMED, §12; without it a non-keyed sublist appends, §5.3), then read the
 * journal back and compare it with what was sent. Success is any 2xx (204 documented, 201 seen, §5.2).
 */
import {
  ExternalIdSchema,
  JournalEntryInputSchema,
  JournalRecordSchema,
  type JournalEntryInput,
  type JournalRecord,
} from './types';
import {
  NetSuiteJournalMismatchError,
  NetSuiteNotFoundError,
  NetSuiteProtocolError,
  parseNetSuite,
  NetSuiteValidationError,
  type JournalDifference,
} from './errors';
import type { NetSuiteClient } from './client';

export const JOURNAL_PATH = '/services/rest/record/v1/journalentry';

const ref = (id: string | number | undefined) => (id === undefined ? undefined : { id: String(id) });

/** The connector's journal → the REST body (camelCase field names, references as {id}). */
export function toJournalBody(input: JournalEntryInput, externalId?: string): Record<string, unknown> {
  const j = JournalEntryInputSchema.parse(input);
  const body: Record<string, unknown> = {
    externalId,
    subsidiary: ref(j.subsidiary),
    tranDate: j.tranDate,
    postingPeriod: ref(j.postingPeriod),
    currency: ref(j.currency),
    memo: j.memo,
    approved: j.approved,
    approvalStatus: ref(j.approvalStatus),
    accountingBook: ref(j.accountingBook),
    // A journal for one book is book-specific: the record carries both fields (§12, UNCONFIRMED for REST).
    isBookSpecific: j.accountingBook === undefined ? undefined : true,
    line: {
      items: j.lines.map((l) => ({
        account: ref(l.account),
        debit: l.debit,
        credit: l.credit,
        department: ref(l.department),
        class: ref(l.class),
        location: ref(l.location),
        entity: ref(l.entity),
        memo: l.memo,
      })),
    },
  };
  return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
}

export function idFromLocation(location: string | undefined, method: string, path: string): string {
  const id = location ? /\/(\d+)\/?$/.exec(location)?.[1] : undefined;
  if (!id)
    throw new NetSuiteProtocolError(`NetSuite ${method} ${path}: no record id in the Location header`, {
      method,
      path,
    });
  return id;
}

export async function upsertJournal(
  client: NetSuiteClient,
  externalId: string,
  input: JournalEntryInput,
  signal?: AbortSignal,
): Promise<{ id: string }> {
  ExternalIdSchema.parse(externalId);
  const path = `${JOURNAL_PATH}/eid:${externalId}`;
  const res = await client.request('PUT', path, {
    query: { replace: 'line' },
    json: toJournalBody(input, externalId),
    signal,
  });
  return { id: idFromLocation(res.location, 'PUT', path) };
}

const cents = (n: number | undefined) => Math.round((n ?? 0) * 100);
const money = (c: number) => (c / 100).toFixed(2);
const shown = (r: { id: string; refName?: string } | undefined) =>
  r ? (r.refName ? `${r.id} (${r.refName})` : r.id) : 'none';

/**
 * What NetSuite holds vs what was sent: line count, debit and credit totals, posting period,
 * subsidiary and (when one was sent) book. Empty when they agree.
 */
export function compareJournal(sent: JournalEntryInput, held: JournalRecord | undefined): JournalDifference[] {
  const j = JournalEntryInputSchema.parse(sent);
  if (!held) return [{ field: 'record', sent: 'a journal', held: 'none' }];
  const out: JournalDifference[] = [];
  const items = held.line?.items ?? [];
  if (items.length !== j.lines.length)
    out.push({ field: 'lines', sent: String(j.lines.length), held: String(items.length) });
  const total = (ls: Array<{ debit?: number; credit?: number }>, k: 'debit' | 'credit') =>
    ls.reduce((s, l) => s + cents(l[k]), 0);
  for (const k of ['debit', 'credit'] as const) {
    const a = total(j.lines, k);
    const b = total(items, k);
    if (a !== b) out.push({ field: `${k}Total`, sent: money(a), held: money(b) });
  }
  if (j.postingPeriod !== undefined && held.postingPeriod?.id !== j.postingPeriod)
    out.push({ field: 'postingPeriod', sent: j.postingPeriod, held: shown(held.postingPeriod) });
  if (held.subsidiary?.id !== j.subsidiary)
    out.push({ field: 'subsidiary', sent: j.subsidiary, held: shown(held.subsidiary) });
  if (j.accountingBook !== undefined && held.accountingBook?.id !== j.accountingBook)
    out.push({ field: 'accountingBook', sent: j.accountingBook, held: shown(held.accountingBook) });
  return out;
}

export interface VerifiedJournalWrite {
  id: string;
  /** Created by this write (PUT), not an existing journal replaced (PATCH). */
  created: boolean;
  /** What the first write left different, when a repair fixed it. */
  repaired?: JournalDifference[];
}

/**
 * Writes one journal and proves it: `exists` (the caller just read the ledger) picks PATCH
 * `?replace=line` for an existing journal, PUT upsert for a new one (a PATCH that finds none falls back
 * to PUT). The journal is then read back and compared (`compareJournal`); on a difference the documented
 * call (PATCH `?replace=line`, complete body) is sent once more and the journal compared again. Still
 * different → `NetSuiteJournalMismatchError`; a journal this write created is deleted first, so the
 * ledger never keeps one in the wrong period or book (an existing one is left as found: deleting a
 * posted journal is not this step's call).
 */
export async function writeJournal(
  client: NetSuiteClient,
  externalId: string,
  input: JournalEntryInput,
  opts: { exists: boolean; signal?: AbortSignal },
): Promise<VerifiedJournalWrite> {
  ExternalIdSchema.parse(externalId);
  const { signal } = opts;
  const path = `${JOURNAL_PATH}/eid:${externalId}`;
  const body = toJournalBody(input, externalId);
  const replaceLines = () => client.request('PATCH', path, { query: { replace: 'line' }, json: body, signal });
  let created = false;
  if (opts.exists) {
    try {
      await replaceLines();
    } catch (err) {
      if (!(err instanceof NetSuiteNotFoundError)) throw err;
      created = true;
    }
  } else created = true;
  if (created) await client.request('PUT', path, { query: { replace: 'line' }, json: body, signal });

  let held = await getJournal(client, { externalId }, signal);
  const first = compareJournal(input, held);
  if (first.length === 0) return { id: held!.id, created };
  let refusal: string | undefined;
  try {
    await replaceLines();
  } catch (err) {
    // NetSuite refusing the repair (e.g. the period it was meant for is locked) leaves the mismatch standing.
    if (!(err instanceof NetSuiteValidationError || err instanceof NetSuiteNotFoundError)) throw err;
    refusal = err.message;
  }
  held = await getJournal(client, { externalId }, signal);
  const second = compareJournal(input, held);
  if (second.length === 0) return { id: held!.id, created, repaired: first };
  const removed =
    created && held !== undefined
      ? await deleteJournal(client, externalId, signal).catch((err: unknown) => {
          if (err instanceof NetSuiteValidationError) return false;
          throw err;
        })
      : false;
  throw new NetSuiteJournalMismatchError(externalId, second, removed, { method: 'PATCH', path }, refusal);
}

export async function createJournal(
  client: NetSuiteClient,
  input: JournalEntryInput,
  externalId?: string,
  signal?: AbortSignal,
): Promise<{ id: string }> {
  if (externalId !== undefined) ExternalIdSchema.parse(externalId);
  const res = await client.request('POST', JOURNAL_PATH, { json: toJournalBody(input, externalId), signal });
  return { id: idFromLocation(res.location, 'POST', JOURNAL_PATH) };
}

/** Reads a journal with its lines; undefined when it does not exist. */
export async function getJournal(
  client: NetSuiteClient,
  idOrEid: { id: string } | { externalId: string },
  signal?: AbortSignal,
): Promise<JournalRecord | undefined> {
  const key = 'id' in idOrEid ? idOrEid.id : `eid:${ExternalIdSchema.parse(idOrEid.externalId)}`;
  const path = `${JOURNAL_PATH}/${key}`;
  try {
    const res = await client.request('GET', path, { query: { expandSubResources: 'true' }, signal });
    return parseNetSuite(JournalRecordSchema, res.json, {
      method: 'GET',
      path,
      status: res.status,
      what: 'journal entry',
    });
  } catch (err) {
    if (err instanceof NetSuiteNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Deletes a journal by external ID (`DELETE …/journalentry/eid:<externalId>`, 204; docs/netsuite.md §5
 * lists Delete, its status UNCONFIRMED). Returns false when there is none, so a repeat is harmless.
 */
export async function deleteJournal(
  client: NetSuiteClient,
  externalId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const path = `${JOURNAL_PATH}/eid:${ExternalIdSchema.parse(externalId)}`;
  try {
    await client.request('DELETE', path, { signal });
    return true;
  } catch (err) {
    if (err instanceof NetSuiteNotFoundError) return false;
    throw err;
  }
}
