/**
 * `ml-connector audit --cycle ID` (issue 6 item 4): what happened to each record of a cycle, from
 * the audit trail opened read-only, as a table or JSON. `--calls` lists the external calls instead.
 * `ml-connector audit migrate` applies the PostgreSQL schema's pending migrations (ML_CONNECTOR_AUDIT_DB=postgres://…).
 */
import * as fs from 'node:fs';
import {
  AuditTrail,
  isPostgresUrl,
  openAuditStore,
  OUTCOMES,
  PgAuditStore,
  RECORD_KINDS,
  type Outcome,
  type RecordKind,
} from '../../activities/store';
import { UsageError, type Command, type CommandContext } from '../command';
import { dataPaths, type Env } from '../../common/node/env';

/** Left-aligned text table; cells are cut at `max` characters. */
export function formatTable(
  header: string[],
  rows: Array<Array<string | number | null | undefined>>,
  max = 60,
): string {
  const cells = [
    header,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '—' : String(c)))),
  ].map((r) => r.map((c) => (c.length > max ? c.slice(0, max - 1) + '…' : c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The audit database: ML_CONNECTOR_AUDIT_DB (a SQLite file or postgres://…), else `audit.db` in the data directory. */
export function auditDbFile(env?: Env): string {
  return dataPaths(env).auditDb;
}

/** A SQLite file must exist to be queried; a PostgreSQL URL is checked by connecting. */
export const auditDbMissing = (spec: string) => !isPostgresUrl(spec) && !fs.existsSync(spec);

async function migrate(ctx: CommandContext, spec: string): Promise<number> {
  if (!isPostgresUrl(spec)) {
    // The embedded SQLite trail creates its schema when opened for writing.
    await new AuditTrail({ file: spec }).close();
    ctx.out(`SQLite audit trail ${spec}: schema is current`);
    return 0;
  }
  const store = new PgAuditStore({ url: spec });
  try {
    const applied = await store.migrate();
    ctx.out(
      `${store.location}: ${applied.length ? `applied migration(s) ${applied.join(', ')}` : 'nothing to apply'}; schema version ${await store.schemaVersion()}`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

function opt(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function createAuditCommand(deps: { env?: Env } = {}): Command {
  return {
    name: 'audit',
    summary: 'Query the audit trail',
    usage:
      'ml-connector audit migrate | ml-connector audit --cycle ID [--account A] [--external-id E] [--outcome O] [--step S] [--kind K] [--calls | --events] [--limit N] [--json]',
    options: {
      cycle: { type: 'string', description: 'Cycle (workflow) ID' },
      account: { type: 'string', description: 'Account number' },
      'external-id': { type: 'string', description: 'NetSuite journal externalId / Anaplan task ID' },
      outcome: { type: 'string', description: OUTCOMES.join(' | ') },
      step: { type: 'string', description: 'Cycle step (e.g. importActuals, postJournals)' },
      kind: { type: 'string', description: RECORD_KINDS.join(' | ') },
      calls: { type: 'boolean', description: 'List the external calls of the cycle instead of records' },
      events: {
        type: 'boolean',
        description: 'List the cycle events instead: ledger writes, approvals and rejections (who, when, note)',
      },
      limit: { type: 'string', description: 'Rows at most', default: '1000' },
      json: { type: 'boolean', description: 'JSON output' },
    },
    async run(ctx) {
      const env = deps.env;
      if (ctx.positionals[0] === 'migrate') return migrate(ctx, auditDbFile(env));
      if (ctx.positionals.length > 0)
        throw new UsageError(`unknown audit subcommand ${JSON.stringify(ctx.positionals[0])} (only: migrate)`);
      const cycleId = opt(ctx, 'cycle');
      if (!cycleId) throw new UsageError('--cycle is required');
      const outcome = opt(ctx, 'outcome');
      if (outcome && !(OUTCOMES as readonly string[]).includes(outcome))
        throw new UsageError(`--outcome must be one of ${OUTCOMES.join(', ')}`);
      const kind = opt(ctx, 'kind');
      if (kind && !(RECORD_KINDS as readonly string[]).includes(kind))
        throw new UsageError(`--kind must be one of ${RECORD_KINDS.join(', ')}`);
      const limit = Number(opt(ctx, 'limit') ?? 1000);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
      const file = auditDbFile(env);
      if (auditDbMissing(file)) {
        ctx.err(`no audit database at ${file} (set ML_CONNECTOR_DATA_DIR or ML_CONNECTOR_AUDIT_DB)`);
        return 1;
      }
      const audit = openAuditStore(file, { readonly: true });
      try {
        if (ctx.values.calls === true) {
          const calls = await audit.queryCalls({ cycleId, limit });
          if (ctx.values.json === true) ctx.out(JSON.stringify(calls, null, 2));
          else if (calls.length === 0) ctx.out(`no calls recorded for cycle ${cycleId}`);
          else
            ctx.out(
              formatTable(
                ['AT', 'SYSTEM', 'METHOD', 'PATH', 'STATUS', 'ATTEMPT', 'MS'],
                calls.map((c) => [
                  c.at,
                  c.system,
                  c.method,
                  c.path,
                  c.status ?? 'network error',
                  c.attempt,
                  c.durationMs,
                ]),
                90,
              ),
            );
          return 0;
        }
        if (ctx.values.events === true) {
          const events = await audit.queryEvents({ cycleId, limit });
          if (ctx.values.json === true) ctx.out(JSON.stringify(events, null, 2));
          else if (events.length === 0) ctx.out(`no events recorded for cycle ${cycleId}`);
          else
            ctx.out(
              formatTable(
                ['AT', 'EVENT', 'WHO', 'SCOPE', 'NOTE'],
                events.map((e) => [e.at, e.kind, e.actor, e.scope, e.note]),
                90,
              ),
            );
          return 0;
        }
        const records = await audit.queryRecords({
          cycleId,
          account: opt(ctx, 'account'),
          externalId: opt(ctx, 'external-id'),
          outcome: outcome as Outcome | undefined,
          step: opt(ctx, 'step'),
          recordKind: kind as RecordKind | undefined,
          limit,
        });
        if (ctx.values.json === true) {
          ctx.out(JSON.stringify(records, null, 2));
          return 0;
        }
        if (records.length === 0) {
          ctx.out(`no audit records match (cycle ${cycleId})`);
          return 0;
        }
        ctx.out(
          formatTable(
            ['ID', 'STEP', 'KIND', 'ACCOUNT', 'AMOUNT', 'OUTCOME', 'TARGET', 'INTERNAL ID', 'SOURCE', 'AT', 'REASON'],
            records.map((r) => [
              r.id,
              r.step,
              r.recordKind,
              r.account,
              r.amount,
              r.outcome,
              r.targetRef,
              r.targetInternalId,
              r.sourceRef,
              r.at,
              r.reason,
            ]),
          ),
        );
        const counts = await audit.countsByOutcome(cycleId, opt(ctx, 'step'));
        ctx.out(
          `\n${records.length} row${records.length === 1 ? '' : 's'} shown${records.length === limit ? ` (limit ${limit}; raise --limit for more)` : ''}; cycle totals: ${OUTCOMES.map((o) => `${o} ${counts[o]}`).join(', ')}`,
        );
        return 0;
      } finally {
        await audit.close();
      }
    },
  };
}

export const auditCommand = createAuditCommand();
