/**
 * The account's journal approval mode (SuiteFlow routing or the `approved` checkbox), read from the
 * REST metadata catalog (activities/netsuite/approval-mode.ts) and checked against
 * `journals.approvalRouting` in preflight, before a journal is sent with the wrong field. Read once
 * per cycle, not cached per connection like the Multi-Book probe: an administrator can switch
 * routing on in Accounting Preferences while workers run, and one record's schema is a small read.
 */
import type { NetSuitePort } from './ports';
import type { ApprovalModeReading } from '../netsuite/approval-mode';

/** Undefined for a port that cannot read the catalog (test doubles): nothing is said about the account then. */
export function journalApprovalMode(netsuite: NetSuitePort): Promise<ApprovalModeReading | undefined> {
  return netsuite.journalApprovalMode ? netsuite.journalApprovalMode() : Promise.resolve(undefined);
}
