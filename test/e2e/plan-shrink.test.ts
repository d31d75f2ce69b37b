/**
 * A plan that shrinks between two cycles: the journals it no longer needs (higher parts of a group
 * that got smaller, every part of a group whose approved values are all gone) are deleted from
 * NetSuite, so the ledger carries exactly the approved plan — not the new plan plus stale parts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import type { CycleSummary } from '../../common/dto';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { journalGroup, ledgerPlanCents, shrinkTwoBudgetScopes } from '../helpers/plan-edits';
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
  const groupOf = (externalId: string) => journalGroup(env.config, externalId);

  it('deletes the stale parts and groups, leaves the ledger equal to the new plan, and a re-run changes nothing', async () => {
    const first = await run();
    assert.ok(first.journals!.posted > 0);
    const before = await ledgerJournals(env.sandboxes.netsuite.url);
    const { shrunkGroup, goneGroup } = shrinkTwoBudgetScopes(env.sandboxes.anaplan, env.config, before);

    const second = await run();
    const after = await ledgerJournals(env.sandboxes.netsuite.url);
    const afterIds = new Set(after.map((j) => j.externalId!));
    const gone = before.map((j) => j.externalId!).filter((id) => !afterIds.has(id));
    assert.equal(after.length, second.plan!.journals, 'the ledger holds exactly the journals of the new plan');
    assert.equal(second.plan!.retire, gone.length);
    assert.equal(second.journals!.retired, gone.length);
    assert.ok(
      gone.some((id) => groupOf(id) === shrunkGroup),
      'higher parts of the shrunk group deleted',
    );
    assert.ok(!after.some((j) => groupOf(j.externalId!) === goneGroup), 'the emptied group has no journal left');
    assert.ok(
      gone.every((id) => {
        const g = groupOf(id);
        return g === shrunkGroup || g === goneGroup;
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
