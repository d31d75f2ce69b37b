/**
 * The audit trail's PostgreSQL schema as versioned migrations (`ml-connector audit migrate`
 * applies the pending ones and records each in schema_migrations). Same tables, columns and CHECKs
 * as the SQLite schema (audit-schema.ts); `at` stays ISO-8601 text so both backends answer the same
 * strings. Append-only by triggers, which refuse UPDATE, DELETE and TRUNCATE for any role, owner
 * included (a revoked privilege would not bind the owner).
 * Never edit a released migration: add the next version.
 */
import { CYCLE_EVENT_KINDS, OUTCOMES, RECORD_KINDS } from './audit-schema';

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const appendOnly = (table: string, label: string) => `
CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change('${label}');
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change('${label}');`;

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records, calls and cycle events, append-only',
    sql: `
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit % are append-only', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TABLE records (
  id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id           TEXT NOT NULL,
  step               TEXT NOT NULL,
  record_kind        TEXT NOT NULL CHECK (record_kind IN (${list(RECORD_KINDS)})),
  source_ref         TEXT,
  artifact_hash      TEXT,
  target_ref         TEXT,
  target_internal_id TEXT,
  outcome            TEXT NOT NULL CHECK (outcome IN (${list(OUTCOMES)})),
  reason             TEXT,
  account            TEXT,
  amount             TEXT,
  at                 TEXT NOT NULL
);
CREATE INDEX records_cycle_step ON records (cycle_id, step);
CREATE INDEX records_cycle_account ON records (cycle_id, account);
CREATE INDEX records_target ON records (target_ref);

CREATE TABLE calls (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system      TEXT NOT NULL,
  method      TEXT NOT NULL,
  path        TEXT NOT NULL,
  status      INTEGER,
  attempt     INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  cycle_id    TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX calls_cycle ON calls (cycle_id);

CREATE TABLE cycle_events (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cycle_id  TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN (${list(CYCLE_EVENT_KINDS)})),
  scope     TEXT,
  actor     TEXT,
  note      TEXT,
  at        TEXT NOT NULL
);
CREATE INDEX cycle_events_scope ON cycle_events (scope, id);
CREATE INDEX cycle_events_cycle ON cycle_events (cycle_id, id);
${appendOnly('records', 'records')}
${appendOnly('calls', 'calls')}
${appendOnly('cycle_events', 'cycle events')}
`,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.at(-1)!.version;
