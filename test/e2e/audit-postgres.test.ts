/**
 * Issue 14 item 2 end to end: a full planning cycle whose audit trail is PostgreSQL
 * (ML_CONNECTOR_AUDIT_DB=postgres://…, migrated by `ml-connector audit migrate`) completes, and
 * `audit --cycle` / `report` read its rows back from PostgreSQL; no SQLite file is written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pg from 'pg';
import { cycleWorkflowId } from '../../common/ids';
import type { CycleSummary } from '../../common/dto';
import { planningCycle } from '../../workflows';
import { parseCommandArgs, type Command } from '../../client/command';
import { createAuditCommand } from '../../client/commands/audit';
import { createReportCommand } from '../../client/commands/report';
import type { AuditCall, AuditRecord } from '../../activities/store';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { freshPgDatabase } from '../helpers/pg';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

const PERIOD = '2026-10';

async function runCli(cmd: Command, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('full cycle with the audit trail on PostgreSQL', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let url: string;
  let summary: CycleSummary;
  let cycleId: string;
  before(async () => {
    url = await freshPgDatabase('e2e_audit');
    const migrated = await runCli(createAuditCommand({ env: { ML_CONNECTOR_AUDIT_DB: url } }), ['migrate']);
    assert.equal(migrated.code, 0, migrated.err);
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 2_000 }, env: { ML_CONNECTOR_AUDIT_DB: url } });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('completes, and `audit --cycle` shows its rows from PostgreSQL', async () => {
    cycleId = cycleWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, PERIOD, 'full');
    const h = await t.client.workflow.start(planningCycle, {
      taskQueue: env.taskQueue,
      workflowId: cycleId,
      args: [{ config: env.config, period: PERIOD, kind: 'full' }],
    });
    summary = await h.result();
    assert.equal(summary.status, 'completed');
    assert.equal(summary.tieOut!.balanced, true, JSON.stringify(summary.tieOut));
    assert.ok(!fs.existsSync(path.join(env.dataDir, 'audit.db')), 'no SQLite audit file: the trail is in PostgreSQL');

    const audit = createAuditCommand({ env: { ML_CONNECTOR_AUDIT_DB: url } });
    const records = JSON.parse(
      (await runCli(audit, ['--cycle', cycleId, '--limit', '1000000', '--json'])).out,
    ) as AuditRecord[];
    const accepted = records.filter(
      (r) => r.step === 'importActuals' && r.recordKind === 'actual' && r.outcome === 'accepted',
    );
    assert.equal(accepted.length, summary.import!.rowsImported, 'one accepted audit row per imported actuals row');
    assert.ok(records.some((r) => r.step === 'importActuals' && r.outcome === 'quarantined'));
    const journals = records.filter(
      (r) => r.step === 'postJournals' && r.recordKind === 'journal' && r.outcome === 'accepted',
    );
    assert.ok(
      journals.length > 0 && journals.every((j) => j.targetInternalId),
      'posted journals carry their NetSuite internal id',
    );

    // The same rows, counted in PostgreSQL itself.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const n = Number(
        (await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM records WHERE cycle_id = $1', [cycleId])).rows[0]!.n,
      );
      assert.equal(n, records.length);
    } finally {
      await c.end();
    }

    const table = await runCli(audit, ['--cycle', cycleId, '--step', 'postJournals']);
    assert.equal(table.code, 0);
    assert.match(table.out, /postJournals\s+journal/);
    assert.match(table.out, /cycle totals: accepted \d+/);
    const calls = JSON.parse(
      (await runCli(audit, ['--cycle', cycleId, '--calls', '--limit', '100000', '--json'])).out,
    ) as AuditCall[];
    assert.ok(
      calls.some((x) => x.system === 'netsuite') && calls.some((x) => x.system === 'anaplan'),
      'every external call recorded by the worker observer',
    );
  });

  it('`report` reads the same trail', async () => {
    const report = await runCli(
      createReportCommand({ env: { ...process.env, ML_CONNECTOR_DATA_DIR: env.dataDir, ML_CONNECTOR_AUDIT_DB: url } }),
      ['--cycle', cycleId, '--no-temporal', '--json'],
    );
    assert.equal(report.code, 0, report.err);
    const data = JSON.parse(report.out) as { auditRows: number; calls: Array<{ system: string; calls: number }> };
    assert.ok(data.auditRows > 100, `report read ${data.auditRows} audit rows`);
    assert.ok(data.calls.some((l) => l.system === 'netsuite' && l.calls > 0));
  });
});
