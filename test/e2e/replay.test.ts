/**
 * Replay: a journal posting that fails (the plan's period was closed in NetSuite mid-cycle) leaves
 * the cycle failed with the audit naming the journals that did not post; after the period is
 * reopened, `ml-connector replay` re-sends from the stored journals and every journal exists once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { runCli } from '../helpers/cli';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { type TestTemporal } from '../helpers/temporal';
import { until, ledgerJournals } from '../helpers/until';

describe('replay of a failed journal posting', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 3_000 } }, (x) => ({ t, env } = x));

  it('fails with the refused journals audited, then posts each exactly once on replay', async () => {
    const ns = env.sandboxes.netsuite;
    const nov = (
      ns.state.db.prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Nov 2026'`).get() as { id: number }
    ).id;
    const handle = await startCycle(t.client, env.config, '2026-10', 'full', { journalBatchSize: 2 }, env.taskQueue);
    await until(
      () => handle.query(statusQuery),
      (s) => s.step === 'exportPlan',
    );
    await handle.signal(pauseSignal, { reason: 'test: close November' });
    await until(
      () => handle.query(statusQuery),
      (s) => s.paused && s.steps.find((x) => x.name === 'exportPlan')!.state === 'done',
    );
    assert.equal((await fetch(`${ns.url}/__sandbox/periods/${nov}/close`, { method: 'POST' })).status, 200);
    await handle.signal(resumeSignal);
    await assert.rejects(handle.result(), /refused|failed/i);
    const status = await handle.query(statusQuery);
    assert.equal(status.steps.find((s) => s.name === 'postJournals')!.state, 'failed');
    assert.match(status.lastError ?? '', /ml-connector replay/);

    const rejected = await env.built.stores.audit.queryRecords({
      cycleId: handle.workflowId,
      step: 'postJournals',
      recordKind: 'journal',
      outcome: 'rejected',
    });
    assert.ok(rejected.length > 0, 'the audit names the journals that did not post');
    assert.ok(
      rejected.every((r) => /-202611-/.test(r.targetRef ?? '')),
      'only November journals were refused',
    );
    const journalsBefore = await ledgerJournals(ns.url);
    for (const r of rejected)
      assert.ok(!journalsBefore.some((j) => j.externalId === r.targetRef), `${r.targetRef} is not in the ledger`);

    assert.equal((await fetch(`${ns.url}/__sandbox/periods/${nov}/reopen`, { method: 'POST' })).status, 200);
    const replay = (...args: string[]) =>
      runCli(['replay', '--cycle', handle.workflowId, ...args, '--task-queue', env.taskQueue, '--json']);
    const first = await replay();
    assert.equal(first.code, 0, first.text);
    const replayed = JSON.parse(first.lines.at(-1)!) as {
      journals: { posted: number; unchanged: number; failed: number };
    };
    assert.equal(replayed.journals.failed, 0);
    assert.equal(replayed.journals.posted, rejected.length, 'exactly the refused journals are posted');

    const all = await ledgerJournals(ns.url);
    const ids = all.map((j) => j.externalId).filter((e) => e?.startsWith('mlc-'));
    assert.equal(new Set(ids).size, ids.length, 'no externalId twice');
    for (const r of rejected) assert.ok(ids.includes(r.targetRef!), `${r.targetRef} posted by the replay`);
    const memo = (await handle.describe()).memo as { artifacts?: { journals?: number } };
    assert.equal(ids.length, memo.artifacts?.journals, 'every planned journal is in the ledger once');

    // Replaying again changes nothing downstream.
    const second = await replay('--step', 'postJournals');
    assert.equal(second.code, 0, second.text);
    const again = JSON.parse(second.lines.at(-1)!) as {
      journals: { posted: number; updated: number; unchanged: number };
    };
    assert.equal(again.journals.posted + again.journals.updated, 0);
    assert.equal(again.journals.unchanged, ids.length);
  });
});
