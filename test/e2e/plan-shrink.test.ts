/**
 * A plan that shrinks between two cycles: the journals it no longer needs (higher parts of a group
 * that got smaller, every part of a group whose approved values are all gone) are deleted from
 * NetSuite, so the ledger carries exactly the approved plan — not the new plan plus stale parts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import type { CycleSummary } from '../../common/dto';
import { parseJournalExternalId } from '../../activities/mapping/journals';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { ledgerPlanCents, unapproveBudget } from '../helpers/plan-edits';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { ledgerJournals } from '../helpers/until';

const PERIOD = '2026-10';

describe('plan write-back when the plan shrinks', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  before(async () => {
    t = await testTemporal();
    // Small parts, so one subsidiary × month × version needs several journals.
    env = await cycleEnv(t, {
      netsuite: { glLines: 1_000 },
      configOverrides: { journals: { offsetAccount: '2900', maxLinesPerJournal: 12 } },
    });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  const run = async (): Promise<CycleSummary> =>
    (await startCycle(t.client, env.config, PERIOD, 'plan', undefined, env.taskQueue)).result();
  const ids = { modelId: () => env.config.anaplan.modelId, prefix: () => env.config.journals.externalIdPrefix };
  const parse = (externalId: string) =>
    parseJournalExternalId({ modelId: ids.modelId(), externalIdPrefix: ids.prefix() }, externalId)!;
  const groupOf = (externalId: string) => {
    const k = parse(externalId);
    return `${k.version}|${k.period}|${k.subsidiaryId}`;
  };

  it('deletes the stale parts and groups, leaves the ledger equal to the new plan, and a re-run changes nothing', async () => {
    const first = await run();
    assert.ok(first.journals!.posted > 0);
    const before = await ledgerJournals(env.sandboxes.netsuite.url);
    const parts = new Map<string, number>();
    for (const j of before) parts.set(groupOf(j.externalId!), (parts.get(groupOf(j.externalId!)) ?? 0) + 1);
    const budget = [...parts.entries()]
      .filter(([g, n]) => g.startsWith('budget|') && n >= 3)
      .map(([g]) => g.split('|'));
    assert.ok(budget.length >= 2, `need two Budget groups with ≥ 3 parts, have ${JSON.stringify([...parts])}`);
    const [, shrinkMonth, shrinkSub] = budget[0]!;
    const [, goneMonth, goneSub] = budget.find(([, m, s]) => m !== shrinkMonth || s !== shrinkSub)!;
    assert.ok(unapproveBudget(env.sandboxes.anaplan, `SUB-${shrinkSub}`, shrinkMonth!, 'half') > 0);
    assert.ok(unapproveBudget(env.sandboxes.anaplan, `SUB-${goneSub}`, goneMonth!, 'all') > 0);

    const second = await run();
    const after = await ledgerJournals(env.sandboxes.netsuite.url);
    const afterIds = new Set(after.map((j) => j.externalId!));
    const gone = before.map((j) => j.externalId!).filter((id) => !afterIds.has(id));
    assert.equal(after.length, second.plan!.journals, 'the ledger holds exactly the journals of the new plan');
    assert.equal(second.plan!.retire, gone.length);
    assert.equal(second.journals!.retired, gone.length);
    assert.ok(
      gone.some((id) => groupOf(id) === `budget|${shrinkMonth}|${shrinkSub}`),
      'higher parts of the shrunk group deleted',
    );
    assert.ok(
      !after.some((j) => groupOf(j.externalId!) === `budget|${goneMonth}|${goneSub}`),
      'the emptied group has no journal left',
    );
    assert.ok(
      gone.every((id) => {
        const g = groupOf(id);
        return g === `budget|${shrinkMonth}|${shrinkSub}` || g === `budget|${goneMonth}|${goneSub}`;
      }),
      'nothing outside the two changed groups was touched',
    );
    assert.equal(ledgerPlanCents(after, '90'), second.plan!.planCents, 'ledger plan lines sum to the approved plan');

    const audit = (
      await env.built.stores.audit.queryRecords({ step: 'postJournals', recordKind: 'journal', limit: 10_000 })
    ).filter((r) => r.reason?.startsWith('retired'));
    assert.deepEqual(audit.map((r) => r.targetRef).sort(), [...gone].sort(), 'each deletion is in the audit trail');

    const third = await run();
    assert.equal(third.plan!.retire, 0);
    assert.equal(third.journals!.unchanged, second.plan!.journals);
    assert.equal((await ledgerJournals(env.sandboxes.netsuite.url)).length, after.length);
  });
});
