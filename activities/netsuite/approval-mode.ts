/**
 * Which approval field the account's journal entry record has: the `approved` checkbox, or SuiteFlow
 * approval routing's `approvalStatus` (docs/netsuite.md §12, Oracle procedure_4791365580). No REST call
 * reports the accounting preference itself; the REST metadata catalog is "a fully personalized view"
 * of each record for the account's setup ("Working with Resource Metadata", chapter_1540810168), so
 * the journal entry's JSON Schema (`GET /record/v1/metadata-catalog/journalentry`, `Accept:
 * application/schema+json`) is read and its approval field taken as the mode. That the schema drops
 * the other mode's field is inferred, not documented: a schema with both or neither, or no answer
 * (the catalog can be slow, §10.12, or not allowed to the role), says nothing, and the configuration
 * is used as it stands.
 */
import { z } from 'zod';
import type { NetSuiteClient } from './client';
import { NetSuiteError } from './errors';

export const JOURNAL_METADATA_PATH = '/services/rest/record/v1/metadata-catalog/journalentry';
/** The catalog has been seen taking over a minute for the whole catalog (§10.12); one record is smaller. */
const METADATA_TIMEOUT_MS = 30_000;

export type JournalApprovalMode = 'routing' | 'checkbox';

export interface ApprovalModeReading {
  /** Undefined when the catalog did not tell. */
  mode?: JournalApprovalMode;
  /** What was read, or why nothing was. */
  detail: string;
}

const SchemaDoc = z.object({ properties: z.record(z.unknown()) }).passthrough();

export async function readJournalApprovalMode(
  client: NetSuiteClient,
  signal?: AbortSignal,
): Promise<ApprovalModeReading> {
  const timeout = AbortSignal.timeout(METADATA_TIMEOUT_MS);
  try {
    const res = await client.request('GET', JOURNAL_METADATA_PATH, {
      headers: { accept: 'application/schema+json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const doc = SchemaDoc.safeParse(res.json);
    if (!doc.success) return { detail: 'the metadata catalog answered without a JSON Schema for journalentry' };
    const fields = new Set(Object.keys(doc.data.properties).map((k) => k.toLowerCase()));
    const status = fields.has('approvalstatus');
    const box = fields.has('approved');
    if (status && !box)
      return {
        mode: 'routing',
        detail: 'the journal entry record has approvalStatus and no approved checkbox (REST metadata catalog)',
      };
    if (box && !status)
      return {
        mode: 'checkbox',
        detail: 'the journal entry record has the approved checkbox and no approvalStatus (REST metadata catalog)',
      };
    return {
      detail: `the journal entry schema has ${status ? 'both approved and approvalStatus' : 'neither approved nor approvalStatus'}`,
    };
  } catch (err) {
    if (signal?.aborted) throw err;
    if (timeout.aborted)
      return { detail: `the metadata catalog did not answer within ${METADATA_TIMEOUT_MS / 1000} s` };
    if (err instanceof NetSuiteError) return { detail: `the metadata catalog could not be read (${err.message})` };
    throw err;
  }
}

/**
 * The error text when the account's mode contradicts `journals.approvalRouting`, or undefined. A
 * journal sent with the other mode's field is refused or, worse, saved without the intended approval.
 */
export function approvalSettingConflict(
  reading: ApprovalModeReading,
  config: { name: string; netsuite: { accountId: string }; journals: { approvalRouting: boolean } },
): string | undefined {
  if (reading.mode === 'routing' && !config.journals.approvalRouting) {
    return `connection ${config.name}: NetSuite account ${config.netsuite.accountId} routes journal approval through SuiteFlow (${reading.detail}), but journals.approvalRouting is false: set journals.approvalRouting: true so journals carry approvalStatus`;
  }
  if (reading.mode === 'checkbox' && config.journals.approvalRouting) {
    return `connection ${config.name}: NetSuite account ${config.netsuite.accountId} has no journal approval routing (${reading.detail}), but journals.approvalRouting is true: set journals.approvalRouting: false so journals carry the approved checkbox`;
  }
  return undefined;
}
