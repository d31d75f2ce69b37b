/**
 * Journal entries through the REST record service (../shared/reference/netsuite.md §5).
 *
 * Writes are upserts by external ID: `PUT /record/v1/journalentry/eid:<externalId>?replace=line`.
 * The externalId is the idempotency key of the write (STYLE.md §12): a retried or replayed post
 * lands on the same record, and `replace=line` swaps the whole line set instead of appending to it
 * (non-keyed sublists append on update, §5.3/§10.10). Success is any 2xx with the record's URL in
 * `Location` (204 documented, 201 seen in examples, §5.2).
 */
import { ExternalIdSchema, JournalEntryInputSchema, JournalRecordSchema, type JournalEntryInput, type JournalRecord } from './types';
import { NetSuiteNotFoundError, NetSuiteProtocolError } from './errors';
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
    accountingBook: ref(j.accountingBook),
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
  if (!id) throw new NetSuiteProtocolError(`NetSuite ${method} ${path}: no record id in the Location header`, { method, path });
  return id;
}

export async function upsertJournal(client: NetSuiteClient, externalId: string, input: JournalEntryInput, signal?: AbortSignal): Promise<{ id: string }> {
  ExternalIdSchema.parse(externalId);
  const path = `${JOURNAL_PATH}/eid:${externalId}`;
  const res = await client.request('PUT', path, { query: { replace: 'line' }, json: toJournalBody(input, externalId), signal });
  return { id: idFromLocation(res.location, 'PUT', path) };
}

export async function createJournal(client: NetSuiteClient, input: JournalEntryInput, externalId?: string, signal?: AbortSignal): Promise<{ id: string }> {
  if (externalId !== undefined) ExternalIdSchema.parse(externalId);
  const res = await client.request('POST', JOURNAL_PATH, { json: toJournalBody(input, externalId), signal });
  return { id: idFromLocation(res.location, 'POST', JOURNAL_PATH) };
}

/** Reads a journal with its lines; undefined when it does not exist. */
export async function getJournal(client: NetSuiteClient, idOrEid: { id: string } | { externalId: string }, signal?: AbortSignal): Promise<JournalRecord | undefined> {
  const key = 'id' in idOrEid ? idOrEid.id : `eid:${ExternalIdSchema.parse(idOrEid.externalId)}`;
  const path = `${JOURNAL_PATH}/${key}`;
  try {
    const res = await client.request('GET', path, { query: { expandSubResources: 'true' }, signal });
    const parsed = JournalRecordSchema.safeParse(res.json);
    if (!parsed.success) throw new NetSuiteProtocolError(`NetSuite GET ${path}: unexpected journal entry shape`, { method: 'GET', path, status: res.status });
    return parsed.data;
  } catch (err) {
    if (err instanceof NetSuiteNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Deletes a journal by external ID (`DELETE …/journalentry/eid:<externalId>`, 204; reference §5
 * lists Delete, its status UNCONFIRMED). Returns false when there is none, so a repeat is harmless.
 */
export async function deleteJournal(client: NetSuiteClient, externalId: string, signal?: AbortSignal): Promise<boolean> {
  const path = `${JOURNAL_PATH}/eid:${ExternalIdSchema.parse(externalId)}`;
  try {
    await client.request('DELETE', path, { signal });
    return true;
  } catch (err) {
    if (err instanceof NetSuiteNotFoundError) return false;
    throw err;
  }
}
