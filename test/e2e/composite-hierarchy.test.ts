/**
 * Composite hierarchies (issue 12 item 7, docs/anaplan.md §16): in the seeded model Accounts keeps its
 * parents in the list Account Groups. `dimensions.accounts.parentList` + `parentImportAction` load a
 * new NetSuite summary account into Account Groups first, then its child into Accounts with Parent =
 * the summary's code. Without the parent import, a Parent that is not in the parent list is refused
 * ("invalid parent") and the account is reported, not loaded. Same-list parents (the sandbox seeded
 * with `compositeAccounts: false`) still load as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import type { ConnectionConfig } from '../../common/config';
import type { Sandboxes } from '../../sandbox/embedded';
import { cycleEnv, cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

/** A NetSuite summary account and one posting child under it (ids above the demo chart's). */
function addSummaryAccount(s: Sandboxes, id: number, number: string, name: string): void {
  const db = s.netsuite.state.db;
  const acct = db.prepare(
    `INSERT INTO account (id, acctnumber, accountsearchdisplayname, displaynamewithhierarchy, fullname, accttype, parent, isinactive, issummary, subsidiary, externalid) VALUES (?, ?, ?, ?, ?, 'OthExpense', ?, 'F', ?, '1, 2, 3, 4', ?)`,
  );
  const map = db.prepare('INSERT INTO accountsubsidiarymap (account, subsidiary) VALUES (?, ?)');
  const child = String(Number(number) + 10);
  acct.run(id, number, name, `${number} ${name}`, name, null, 'T', `ACCT-${number}`);
  acct.run(
    id + 1,
    child,
    `${name} detail`,
    `${number} ${name} : ${child} ${name} detail`,
    `${name} : ${name} detail`,
    id,
    'F',
    `ACCT-${child}`,
  );
  for (const sub of [1, 2, 3, 4]) {
    map.run(id, sub);
    map.run(id + 1, sub);
  }
  s.netsuite.state.touch();
}

async function anaplanList(
  env: CycleEnv,
  name: string,
): Promise<Array<{ code: string; name: string; parent: string | null }>> {
  return (
    (await (await fetch(`${env.sandboxes.anaplan.url}/__sandbox/lists/${encodeURIComponent(name)}`)).json()) as {
      items: Array<{ code: string; name: string; parent: string | null }>;
    }
  ).items;
}

describe('composite hierarchy: Accounts → Account Groups', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 300 } }, (x) => ({ t, env } = x));

  it('loads a new parent into the parent list first, then its child with Parent = the parent code', async () => {
    addSummaryAccount(env.sandboxes, 2000, '8000', 'Special Items');
    const timelineBefore = (
      (await (await fetch(`${env.sandboxes.anaplan.url}/__sandbox/timeline`)).json()) as { entries: unknown[] }
    ).entries.length;
    const summary = await (
      await startCycle(t.client, env.config, '2026-10', 'actuals', undefined, env.taskQueue)
    ).result();
    assert.equal(summary.status, 'completed');
    assert.equal(summary.align!.dimensions.accounts.rejected, 0);
    const groups = await anaplanList(env, 'Account Groups');
    const accounts = await anaplanList(env, 'Accounts');
    assert.ok(
      groups.some((g) => g.code === '8000'),
      'the new summary account is in Account Groups',
    );
    assert.equal(accounts.find((a) => a.code === '8010')?.parent, '8000', 'its child is in Accounts under it');
    const groupCodes = new Set(groups.map((g) => g.code));
    assert.ok(!accounts.some((a) => groupCodes.has(a.code)), 'no summary account is an Accounts member');
    assert.ok(
      accounts.every((a) => a.parent === null || groupCodes.has(a.parent)),
      'every Accounts parent is an Account Groups item',
    );
    // The parent import ran before the child import in this cycle.
    const entries = (
      (await (await fetch(`${env.sandboxes.anaplan.url}/__sandbox/timeline`)).json()) as {
        entries: Array<{ actionName: string }>;
      }
    ).entries
      .slice(timelineBefore)
      .map((e) => e.actionName);
    assert.ok(
      entries.indexOf('Import Account Groups') >= 0 &&
        entries.indexOf('Import Account Groups') < entries.indexOf('Import Accounts'),
      entries.join(', '),
    );
  });

  it('imports only what changed: no list import when NetSuite and Anaplan agree, one row for a renamed member', async () => {
    // The previous test's cycle brought every synced list in line (Accounts under Account Groups included).
    const timeline = async () =>
      (
        (await (await fetch(`${env.sandboxes.anaplan.url}/__sandbox/timeline`)).json()) as {
          entries: Array<{ actionName: string }>;
        }
      ).entries.map((e) => e.actionName);
    /** Runs an actuals cycle; its summary and the list imports (not the actuals import) it ran. */
    const actualsCycle = async () => {
      const before = (await timeline()).length;
      const summary = await (
        await startCycle(t.client, env.config, '2026-10', 'actuals', undefined, env.taskQueue)
      ).result();
      assert.equal(summary.status, 'completed');
      const listImports = (await timeline())
        .slice(before)
        .filter((a) => a.startsWith('Import ') && a !== 'Import GL Actuals');
      return { summary, listImports };
    };
    const same = await actualsCycle();
    assert.deepEqual(same.listImports, [], 'no list import ran');
    assert.deepEqual(same.summary.align!.anaplanTaskIds, []);
    assert.ok(same.summary.align!.dimensions.accounts.mapped > 20, 'the accounts still map');

    const db = env.sandboxes.netsuite.state.db;
    const cls = db.prepare('SELECT id FROM classification ORDER BY id LIMIT 1').get() as { id: number };
    db.prepare('UPDATE classification SET name = ? WHERE id = ?').run('Renamed Class', cls.id);
    env.sandboxes.netsuite.state.touch();
    const renamed = await actualsCycle();
    assert.deepEqual(renamed.listImports, ['Import Classes']);
    assert.equal(renamed.summary.align!.dimensions.classes.imported, 1, 'only the renamed class went up');
    assert.equal((await anaplanList(env, 'Classes')).find((c) => c.code === `CLS-${cls.id}`)?.name, 'Renamed Class');
  });

  it('without the parent import, a child whose parent is not in the parent list is refused as "invalid parent" and reported', async () => {
    addSummaryAccount(env.sandboxes, 2010, '9000', 'Discontinued Ops');
    const { parentImportAction: _drop, ...accounts } = env.config.dimensions.accounts;
    const config: ConnectionConfig = { ...env.config, dimensions: { ...env.config.dimensions, accounts } };
    const summary = await (await startCycle(t.client, config, '2026-10', 'actuals', undefined, env.taskQueue)).result();
    assert.equal(summary.status, 'completed');
    assert.equal(summary.align!.dimensions.accounts.rejected, 1);
    assert.ok(!(await anaplanList(env, 'Accounts')).some((a) => a.code === '9010'));
    assert.ok(!(await anaplanList(env, 'Account Groups')).some((a) => a.code === '9000'));
    const refused = (
      await env.built.stores.audit.queryRecords({
        cycleId: summary.workflowId,
        step: 'alignDimensions',
        outcome: 'quarantined',
        limit: 10_000,
      })
    ).filter((r) => r.targetRef === 'Accounts:9010');
    assert.equal(refused.length, 1);
    assert.match(refused[0]!.reason ?? '', /Anaplan refused 9010: Invalid parent/);
  });
});

describe('same-list parents (Accounts seeded as one parent-child list)', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 300 }, anaplan: { compositeAccounts: false } });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('loads parents and children into the one list and completes the cycle', async () => {
    assert.equal(env.config.dimensions.accounts.parentList, undefined);
    addSummaryAccount(env.sandboxes, 2000, '8000', 'Special Items');
    const summary = await (
      await startCycle(t.client, env.config, '2026-10', 'actuals', undefined, env.taskQueue)
    ).result();
    assert.equal(summary.status, 'completed');
    assert.ok(summary.tieOut!.balanced);
    const accounts = await anaplanList(env, 'Accounts');
    assert.equal(accounts.find((a) => a.code === '8010')?.parent, '8000');
    assert.ok(accounts.some((a) => a.code === '8000' && a.parent === null));
  });
});
