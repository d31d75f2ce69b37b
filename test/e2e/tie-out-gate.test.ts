/**
 * Tie-out as a gate (issue 16 item 3) on the real dev server against both sandboxes. The sandbox
 * ledger gets one posted accounting line without a transaction line (NetSuite has system lines with
 * no item line behind them): NetSuite's SUM over the period counts it, the extraction — which joins
 * transaction lines for the dimensions — cannot see it, so the cycle's actuals do not tie out.
 * With `actuals.tieOut: block` the cycle fails before any plan journal, naming the account and its
 * variance; with `warn` (the default) it completes with the warning as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { cycleWorkflowId } from '../../common/ids';
import type { CycleSummary } from '../../common/dto';
import { planningCycle } from '../../workflows';
import type { TieOutLine } from '../../activities/cycle/tie-out';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { ledgerJournals } from '../helpers/until';

const PERIOD = '2026-10';
const HIDDEN = 123.45;

describe('tie-out gate', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let acct: { id: number; acctnumber: string };
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 1_500 } });
    await env.startWorker();
    const db = env.sandboxes.netsuite.state.db;
    const periodId = (
      db.prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Oct 2026'`).get() as { id: number }
    ).id;
    // A posted line of the period on an in-scope account that maps (not the quarantined 6990).
    const row = db
      .prepare(
        `SELECT tal."transaction" AS tx, tal.accountingbook AS book, a.id AS id, a.acctnumber AS acctnumber FROM transactionaccountingline tal
         JOIN "transaction" t ON t.id = tal."transaction" JOIN account a ON a.id = tal.account
         WHERE tal.posting = 'T' AND t.postingperiod = ? AND a.accttype = 'Expense' AND a.acctnumber <> '6990' ORDER BY tal."transaction" LIMIT 1`,
      )
      .get(periodId) as { tx: number; book: number; id: number; acctnumber: string };
    acct = { id: row.id, acctnumber: row.acctnumber };
    db.prepare(
      `INSERT INTO transactionaccountingline ("transaction", transactionline, accountingbook, account, amount, debit, credit, netamount, posting) VALUES (?, 99999, ?, ?, ?, ?, NULL, ?, 'T')`,
    ).run(row.tx, row.book, row.id, HIDDEN, HIDDEN, HIDDEN);
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  const run = (tieOut: 'warn' | 'block', suffix: string) =>
    t.client.workflow.start(planningCycle, {
      taskQueue: env.taskQueue,
      workflowId: `${cycleWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, PERIOD, 'full')}:${suffix}`,
      args: [{ config: { ...env.config, actuals: { tieOut } }, period: PERIOD, kind: 'full' }],
    });

  it('block: fails before any plan journal, naming the account and its variance (stored as an artifact)', async () => {
    const h = await run('block', 'block');
    const err = await h.result().then(
      (r) => assert.fail(`the cycle completed: ${JSON.stringify((r as CycleSummary).tieOut)}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = err.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    assert.equal(cause.type, 'TieOutFailed');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, new RegExp(`variance by account: ${acct.acctnumber} \\+123\\.45 `));
    const details = cause.details?.[0] as {
      varianceHash: string;
      accountsWithVariance: number;
      totalVarianceCents: number;
      accounts: TieOutLine[];
      tieOut: { balanced: boolean };
    };
    assert.equal(details.tieOut.balanced, false);
    assert.equal(details.accountsWithVariance, 1, JSON.stringify(details.accounts));
    assert.equal(details.totalVarianceCents, 12_345);
    assert.deepEqual(
      details.accounts.map((l) => [
        l.account,
        l.netsuiteId,
        l.varianceCents,
        l.netsuiteCents - l.loadedCents - l.quarantinedCents - l.rejectedCents,
      ]),
      [[acct.acctnumber, String(acct.id), 12_345, 12_345]],
    );
    // The artifact holds every account of the scope, the tied ones with a zero variance.
    const stored = JSON.parse((await env.built.stores.artifacts.read(details.varianceHash)).toString('utf8')) as {
      accounts: TieOutLine[];
    };
    assert.ok(stored.accounts.length > 5, `all accounts of the scope (${stored.accounts.length})`);
    assert.deepEqual(
      stored.accounts.filter((l) => l.varianceCents !== 0).map((l) => l.account),
      [acct.acctnumber],
    );
    assert.match(cause.message, new RegExp(details.varianceHash));
    // Nothing posted: the plan was neither exported nor posted.
    assert.equal((await ledgerJournals(env.sandboxes.netsuite.url)).length, 0, 'no plan journal in NetSuite');
    const hist = await h.fetchHistory();
    const scheduled = (hist.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    assert.ok(scheduled.includes('tieOutVariance'));
    assert.ok(!scheduled.includes('runPlanExport') && !scheduled.includes('postJournals'), scheduled.join(','));
  });

  it('warn: completes with the tie-out warning and posts the plan as before', async () => {
    const r = await (await run('warn', 'warn')).result();
    assert.equal(r.status, 'completed');
    assert.equal(r.tieOut!.balanced, false);
    assert.equal(
      r.tieOut!.netsuiteCents - r.tieOut!.loadedCents - r.tieOut!.quarantinedCents - r.tieOut!.rejectedCents,
      12_345,
    );
    assert.ok(
      r.warnings.some((w) => w.startsWith('tie-out: NetSuite')),
      JSON.stringify(r.warnings),
    );
    // Created now, not found unchanged: the blocked cycle before it posted nothing.
    assert.ok((r.journals?.posted ?? 0) > 0, JSON.stringify(r.journals));
    assert.ok((await ledgerJournals(env.sandboxes.netsuite.url)).length > 0, 'plan journals in NetSuite');
  });
});
