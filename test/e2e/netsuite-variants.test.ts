/**
 * Full and plan cycles against a NetSuite account that differs from the sandbox default in every
 * way sandbox/FIDELITY.md lists as plausible at once: SuiteQL without `account.issummary` (N25) and
 * without `transaction.externalid` (N23), JSON numbers and explicit nulls (N6), a German date
 * preference (N8), a single-book account that refuses only the book record (N10), `expires_in` as a
 * number (N2) and upserts answered 201 (N17). The cycle must tie out, post the plan once, and —
 * when the plan shrinks — delete exactly the stale journals, found without SuiteQL.
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
const OFFSET_ACCOUNT_ID = '90';

describe('cycles against a NetSuite account with the other plausible behaviours', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, {
      netsuite: {
        glLines: 1_000,
        dateFormat: 'DD.MM.YYYY',
        expiresIn: 'number',
        variants: {
          hiddenFields: ['account.issummary', 'transaction.externalid'],
          jsonValues: true,
          singleBookRefuses: 'table',
        },
      },
      // Small parts, so one subsidiary × month × version needs several journals.
      configOverrides: { journals: { offsetAccount: '2900', maxLinesPerJournal: 12 } },
    });
    const res = await fetch(`${env.sandboxes.netsuite.url}/__sandbox/journal-switches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ upsertCreated201: true }),
    });
    assert.equal(res.status, 200);
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  const run = async (kind: 'full' | 'plan'): Promise<CycleSummary> =>
    (await startCycle(t.client, env.config, PERIOD, kind, undefined, env.taskQueue)).result();
  const groupOf = (externalId: string) => journalGroup(env.config, externalId);
  const stats = async () =>
    (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/stats`)).json()) as {
      requests: Record<string, Record<string, number>>;
    };

  it('ties out, posts the plan once, and retires exactly the journals a smaller plan no longer needs', async () => {
    const first = await run('full');
    assert.equal(first.status, 'completed');
    assert.equal(first.tieOut!.balanced, true, JSON.stringify(first.tieOut));
    // How many rows a month has depends on the environment's seed (it varies with the test process), so
    // the check is that actuals arrived and tie out, not a count.
    assert.ok(first.import!.rowsImported > 0, `actuals loaded (${first.import!.rowsImported})`);
    // The seeded model already holds the chart (a list in line is not imported again): read and mapped.
    assert.ok(
      first.align!.dimensions.accounts.mapped > 20,
      'the chart of accounts was read without issummary and maps to Anaplan',
    );
    const before = await ledgerJournals(env.sandboxes.netsuite.url);
    assert.ok(first.journals!.posted > 0);
    assert.equal(before.length, first.plan!.journals, 'one journal per planned journal');
    assert.equal(ledgerPlanCents(before, OFFSET_ACCOUNT_ID), first.plan!.planCents);
    const s1 = await stats();
    assert.ok(
      (s1.requests['PUT /services/rest/record/v1/journalentry/{eid}']?.['201'] ?? 0) >= before.length,
      'creates were answered 201',
    );

    const { shrunkGroup, goneGroup } = shrinkTwoBudgetScopes(env.sandboxes.anaplan, env.config, before);

    const second = await run('plan');
    const afterShrink = await ledgerJournals(env.sandboxes.netsuite.url);
    const afterIds = new Set(afterShrink.map((j) => j.externalId!));
    const gone = before.map((j) => j.externalId!).filter((id) => !afterIds.has(id));
    assert.equal(
      afterShrink.length,
      second.plan!.journals,
      'the ledger holds exactly the journals of the new plan: no stale part beside them',
    );
    assert.ok(gone.length > 0);
    assert.equal(second.journals!.retired, gone.length);
    assert.ok(!afterShrink.some((j) => groupOf(j.externalId!) === goneGroup), 'the emptied group has no journal left');
    assert.ok(
      gone.every((id) => [shrunkGroup, goneGroup].includes(groupOf(id))),
      'nothing outside the two changed groups was touched',
    );
    assert.equal(
      ledgerPlanCents(afterShrink, OFFSET_ACCOUNT_ID),
      second.plan!.planCents,
      'ledger plan lines sum to the approved plan',
    );

    assert.match(first.warnings.join(' | '), /looked up by external ID/, 'the refused SuiteQL search is reported');
    const third = await run('plan');
    assert.equal(third.plan!.retire, 0);
    assert.equal(third.journals!.posted, 0);
    assert.equal(third.journals!.unchanged, second.plan!.journals);
    assert.equal((await ledgerJournals(env.sandboxes.netsuite.url)).length, afterShrink.length);
  });

  it('preflight reads the journal approval mode and refuses a setting that contradicts it, before anything moves', async () => {
    const ns = env.sandboxes.netsuite.url;
    const switches = (body: unknown) =>
      fetch(`${ns}/__sandbox/journal-switches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const snapshot = async () => JSON.stringify(await ledgerJournals(ns));
    const before = await snapshot();
    assert.equal((await switches({ approvalRouting: true })).status, 200);
    try {
      const h = await startCycle(t.client, env.config, PERIOD, 'plan', undefined, env.taskQueue);
      await assert.rejects(h.result(), (err: unknown) => {
        const messages: string[] = [];
        for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
          messages.push(String(e.message));
        return messages.some(
          (m) => /routes journal approval through SuiteFlow/.test(m) && /set journals\.approvalRouting: true/.test(m),
        );
      });
      assert.equal(await snapshot(), before, 'nothing posted or changed');
      const routed = { ...env.config, journals: { ...env.config.journals, approvalRouting: true } };
      const ok = await (await startCycle(t.client, routed, PERIOD, 'plan', undefined, env.taskQueue)).result();
      assert.equal(ok.status, 'completed');
      assert.ok(!ok.warnings.some((w) => /approval mode not known/.test(w)), ok.warnings.join(' | '));
    } finally {
      await switches({ approvalRouting: false });
    }
  });
});
