/**
 * A full planning cycle on the seeded demo company: real worker, real activities, both sandboxes,
 * the real dev server. Checks tie out against the sandboxes' own state, not against the workflow's
 * report of itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cycleWorkflowId } from '../../common/ids';
import { statusQuery } from '../../common/messages';
import type { CycleSummary } from '../../common/dto';
import { planningCycle } from '../../workflows';
import { startCycle } from '../../client/cycle-runner';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { UNMAPPED_DEPARTMENT_ID } from '../../sandbox/demo-company';

const PERIOD = '2026-10';

describe('full planning cycle against both sandboxes', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let first: CycleSummary;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 6_000 } });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  const start = () =>
    t.client.workflow.start(planningCycle, {
      taskQueue: env.taskQueue,
      workflowId: `${cycleWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, PERIOD, 'full')}`,
      args: [{ config: env.config, period: PERIOD, kind: 'full' }],
    });

  it('imports actuals that equal NetSuite posted totals per account × dimension, and quarantines what does not map', async () => {
    const h = await start();
    first = await h.result();
    assert.equal(first.status, 'completed');
    const db = env.sandboxes.netsuite.state.db;
    const periodId = (
      db.prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Oct 2026'`).get() as { id: number }
    ).id;
    const rows = db
      .prepare(
        `SELECT a.acctnumber AS acct, tl.subsidiary AS sub, tl.department AS dep, tl.class AS cls, tl.location AS loc, SUM(COALESCE(tal.debit,0) - COALESCE(tal.credit,0)) AS net
         FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction" JOIN transactionline tl ON tl."transaction" = tal."transaction" AND tl.id = tal.transactionline
         JOIN account a ON a.id = tal.account
         WHERE tal.posting = 'T' AND t.postingperiod = ? AND a.accttype IN ('Income','COGS','Expense','OthIncome','OthExpense')
         GROUP BY 1,2,3,4,5`,
      )
      .all(periodId) as Array<{ acct: string; sub: number; dep: number; cls: number; loc: number; net: number }>;
    assert.ok(rows.length > 100, `seeded activity has many combinations (${rows.length})`);
    let loaded = 0;
    let quarantined = 0;
    for (const r of rows) {
      const cell = env.sandboxes.anaplan.cellTotals('ACT01 GL Actuals', 'Amount', {
        Accounts: r.acct,
        Subsidiaries: `SUB-${r.sub}`,
        Departments: `DEP-${r.dep}`,
        Classes: `CLS-${r.cls}`,
        Locations: `LOC-${r.loc}`,
        Time: 'Oct 26',
      });
      if (r.acct === '6990' || r.dep === UNMAPPED_DEPARTMENT_ID) {
        assert.equal(cell.cells, 0, `quarantined combination ${JSON.stringify(r)} is not loaded`);
        quarantined++;
      } else {
        assert.equal(
          Math.round(cell.total * 100),
          Math.round(r.net * 100),
          `Anaplan cell equals NetSuite for ${JSON.stringify(r)}`,
        );
        loaded++;
      }
    }
    assert.ok(quarantined > 0 && loaded > 0);
    assert.equal(first.extract!.quarantined, quarantined, 'every quarantined combination is counted');
    assert.equal(first.import!.rowsImported, loaded);
    assert.equal(first.tieOut!.balanced, true, JSON.stringify(first.tieOut));
    const status = await h.query(statusQuery);
    assert.ok(status.quarantined >= quarantined);
    // The demo company is a single-book account (most NetSuite accounts, docs/netsuite.md §12): the one
    // SuiteQL refusal of the cycle is the Multi-Book probe; no GL query named accountingbook.
    assert.equal(env.sandboxes.netsuite.state.multiBook, false);
    const stats = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/stats`)).json()) as {
      requests: Record<string, Record<string, number>>;
    };
    assert.equal(
      stats.requests['POST /services/rest/query/v1/suiteql']!['400'],
      1,
      JSON.stringify(stats.requests['POST /services/rest/query/v1/suiteql']),
    );
  });

  it('refuses an accounting book setting on a single-book account in preflight, naming the setting', async () => {
    const ours = async () =>
      ((await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/journals`)).json()) as any[])
        .map((j) => JSON.stringify(j))
        .sort()
        .join();
    const before = await ours();
    const config = { ...env.config, journals: { ...env.config.journals, accountingBook: 2 } };
    const h = await startCycle(t.client, config, '2026-11', 'plan', undefined, env.taskQueue);
    await assert.rejects(h.result(), (err: unknown) => {
      const messages: string[] = [];
      for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
        messages.push(String(e.message));
      return messages.some(
        (m) => /journals\.accountingBook \(2\) cannot be used/.test(m) && /no Multi-Book Accounting/.test(m),
      );
    });
    assert.equal(await ours(), before, 'nothing posted or changed');
  });

  it('aligns list members on both sides', () => {
    const db = env.sandboxes.netsuite.state.db;
    const nsAccounts = (
      db
        .prepare(
          `SELECT acctnumber FROM account WHERE accttype IN ('Income','COGS','Expense','OthIncome','OthExpense') AND isinactive = 'F' AND acctnumber <> '6990'`,
        )
        .all() as Array<{ acctnumber: string }>
    ).map((r) => r.acctnumber);
    // Accounts is a composite hierarchy: summary accounts are members of its parent list, Account Groups.
    const accountLists = [
      env.sandboxes.anaplan.state.model.lists.get('Accounts')!,
      env.sandboxes.anaplan.state.model.lists.get('Account Groups')!,
    ];
    const anaplanAccounts = new Set(accountLists.flatMap((l) => l.items.map((i) => i.code)));
    assert.ok(nsAccounts.length > 20);
    for (const a of nsAccounts) assert.ok(anaplanAccounts.has(a), `account ${a} exists in the Anaplan Accounts list`);
    assert.ok(!anaplanAccounts.has('6990'), 'the excluded suspense account was not created in Anaplan');
    const deps = new Set(env.sandboxes.anaplan.state.model.lists.get('Departments')!.items.map((i) => i.code));
    assert.ok(!deps.has(`DEP-${UNMAPPED_DEPARTMENT_ID}`), 'a planner-maintained list is not written to');
    assert.equal(first.align!.dimensions.departments.unmapped, 1, 'Special Projects is reported as unmapped');
  });

  it('posts the approved plan as balanced journals whose sums equal the plan', async () => {
    const journals = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/journals`)).json()) as
      | { items?: Array<Record<string, any>> }
      | Array<Record<string, any>>;
    const list = Array.isArray(journals) ? journals : (journals.items ?? []);
    const ours = list.filter((j) => String(j.externalId ?? '').startsWith('mlc-'));
    assert.equal(ours.length, first.plan!.journals, 'one NetSuite journal per planned journal');
    assert.equal(first.journals!.posted, ours.length);
    let planNet = 0;
    for (const j of ours) {
      const lines = j.line?.items ?? j.lines ?? [];
      const debit = lines.reduce((s: number, l: any) => s + Math.round(Number(l.debit ?? 0) * 100), 0);
      const credit = lines.reduce((s: number, l: any) => s + Math.round(Number(l.credit ?? 0) * 100), 0);
      assert.equal(debit, credit, `${j.externalId} is balanced`);
      for (const l of lines)
        if (String(l.account?.id ?? l.account) !== '90')
          planNet += Math.round(Number(l.debit ?? 0) * 100) - Math.round(Number(l.credit ?? 0) * 100);
    }
    assert.equal(planNet, first.plan!.planCents, 'journal lines (without offsets) sum to the approved plan values');
  });

  it('posts nothing new when the same cycle runs again', async () => {
    const second = await (await start()).result();
    assert.equal(second.journals!.posted, 0);
    assert.equal(second.journals!.unchanged, first.plan!.journals);
    const list = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/journals`)).json()) as any;
    const ours = (Array.isArray(list) ? list : (list.items ?? [])).filter((j: any) =>
      String(j.externalId ?? '').startsWith('mlc-'),
    );
    assert.equal(ours.length, first.plan!.journals, 'same count, same externalIds');
    assert.equal(new Set(ours.map((j: any) => j.externalId)).size, ours.length, 'no externalId twice');
  });
});
