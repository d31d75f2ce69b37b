/**
 * Audit trail schema (docs/design.md §5). Both tables are append-only: triggers abort any UPDATE or
 * DELETE, so a row, once written, is the record of what happened. Enumerations are CHECK
 * constraints so a bulk insert need not validate each row in JavaScript.
 */
export const RECORD_KINDS = ['actual', 'list_member', 'plan_value', 'journal_line', 'journal'] as const;
export const OUTCOMES = ['accepted', 'rejected', 'quarantined', 'pending'] as const;
export const CYCLE_EVENT_KINDS = ['ledger_write', 'approved', 'rejected', 'approval_expired'] as const;
export type CycleEventKind = (typeof CYCLE_EVENT_KINDS)[number];
export type RecordKind = (typeof RECORD_KINDS)[number];
export type Outcome = (typeof OUTCOMES)[number];

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id                 INTEGER PRIMARY KEY,
  cycle_id           TEXT NOT NULL,
  step               TEXT NOT NULL,
  record_kind        TEXT NOT NULL CHECK (record_kind IN (${list(RECORD_KINDS)})),
  source_ref         TEXT,            -- query hash / export id, and row number
  artifact_hash      TEXT,            -- sha256 of the artifact the record came from
  target_ref         TEXT,            -- Anaplan task id / NetSuite journal externalId
  target_internal_id TEXT,            -- NetSuite internal id once posted
  outcome            TEXT NOT NULL CHECK (outcome IN (${list(OUTCOMES)})),
  reason             TEXT,            -- vendor's rejection reason / quarantine cause
  account            TEXT,
  amount             TEXT,            -- decimal as text: no float rounding
  at                 TEXT NOT NULL    -- ISO-8601 UTC
);
CREATE INDEX IF NOT EXISTS records_cycle_step ON records (cycle_id, step);
CREATE INDEX IF NOT EXISTS records_cycle_account ON records (cycle_id, account);
CREATE INDEX IF NOT EXISTS records_target ON records (target_ref);

CREATE TABLE IF NOT EXISTS calls (
  id          INTEGER PRIMARY KEY,
  system      TEXT NOT NULL,          -- netsuite | anaplan
  method      TEXT NOT NULL,
  path        TEXT NOT NULL,          -- redacted, see redactText
  status      INTEGER,                -- NULL for a network error
  attempt     INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  cycle_id    TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_cycle ON calls (cycle_id);

-- Cycle-level events that are not a record of data: who wrote a ledger scope when (kind
-- ledger_write; replay refuses when another cycle wrote the scope after the replayed one), and
-- approval decisions (approved / rejected / approval_expired, with who and a note).
CREATE TABLE IF NOT EXISTS cycle_events (
  id        INTEGER PRIMARY KEY,
  cycle_id  TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN (${list(CYCLE_EVENT_KINDS)})),
  scope     TEXT,                     -- ledger lock ID for ledger_write
  actor     TEXT,                     -- workflow ID that wrote / person who decided
  note      TEXT,
  at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cycle_events_scope ON cycle_events (scope, id);
CREATE INDEX IF NOT EXISTS cycle_events_cycle ON cycle_events (cycle_id, id);
CREATE TRIGGER IF NOT EXISTS cycle_events_no_update BEFORE UPDATE ON cycle_events
BEGIN SELECT RAISE(ABORT, 'audit cycle events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS cycle_events_no_delete BEFORE DELETE ON cycle_events
BEGIN SELECT RAISE(ABORT, 'audit cycle events are append-only'); END;

CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS calls_no_update BEFORE UPDATE ON calls
BEGIN SELECT RAISE(ABORT, 'audit calls are append-only'); END;
CREATE TRIGGER IF NOT EXISTS calls_no_delete BEFORE DELETE ON calls
BEGIN SELECT RAISE(ABORT, 'audit calls are append-only'); END;
`;
