/**
 * Write, then verify, end to end (issue 11 item 4, issue 12 item 4): plan cycles on the real dev
 * server against the NetSuite sandbox with each journal switch on. The ledger ends exactly equal to
 * the plan — every planned journal with exactly its lines, period and subsidiary, nothing else — or
 * the journals NetSuite stored differently are refused, audited and left out of the ledger; never
 * reported posted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import type { ConnectionConfig } from '../../common/config';
import type { CycleSummary } from '../../common/dto';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import type { StoredJournals } from '../../activities/cycle/plan';
import { runCli } from '../helpers/cli';
import { readStoredJournals } from '../../activities/cycle/stored-journals';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { type TestTemporal } from '../helpers/temporal';
import { ledgerJournals, until } from '../helpers/until';

const PERIOD = '2026-10';

describe('journals are read back and compared after every write', async () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 1_000 } }, (x) => ({ t, env } = x));

  const ns = () => env.sandboxes.netsuite;
  const switches = async (s: Record<string, boolean>) =>
    assert.equal(
      (
        await fetch(`${ns().url}/__sandbox/journal-switches`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(s),
        })
      ).status,
      200,
    );
  const resetLedger = async () =>
    assert.equal((await fetch(`${ns().url}/__sandbox/reset`, { method: 'POST' })).status, 200);
  const run = (config: ConnectionConfig = env.config) =>
    startCycle(t.client, config, PERIOD, 'plan', undefined, env.taskQueue);
  /** Journal audit rows of a cycle ID, only those after `afterId` (cycle IDs repeat per period and kind). */
  const auditOf = (cycleId: string, afterId?: number) =>
    env.built.stores.audit.queryRecords({
      cycleId,
      step: 'postJournals',
      recordKind: 'journal',
      afterId,
      limit: 10_000,
    });
  const lastAuditId = async () => (await env.built.stores.audit.queryRecords({ limit: 1_000_000 })).at(-1)?.id ?? 0;
  const planOf = async (cycleId: string): Promise<StoredJournals> =>
    readStoredJournals(env.built.stores.artifacts, (await auditOf(cycleId)).at(-1)!.artifactHash!);

  /** Every planned journal (but `except`) is in the ledger with exactly its lines, period and subsidiary; nothing else is. */
  async function assertLedgerEqualsPlan(
    plan: StoredJournals,
    except: (externalId: string) => boolean = () => false,
  ): Promise<number> {
    const ledger = new Map((await ledgerJournals(ns().url)).map((j) => [j.externalId!, j]));
    const wanted = plan.journals.filter((j) => !except(j.externalId));
    assert.ok(wanted.length > 0);
    assert.deepEqual(
      [...ledger.keys()].sort(),
      wanted.map((j) => j.externalId).sort(),
      'the ledger holds exactly the planned journals',
    );
    for (const j of wanted) {
      const held = ledger.get(j.externalId)!;
      const line = (account: string, debit: number, credit: number, department: unknown) =>
        `${account}|${debit}|${credit}|${department ?? ''}`;
      assert.deepEqual(
        held.lines
          .map((l: any) => line(String(l.account), Math.round(l.debit * 100), Math.round(l.credit * 100), l.department))
          .sort(),
        j.lines.map((l) => line(l.accountId, l.debitCents, l.creditCents, l.departmentId)).sort(),
        `${j.externalId} has exactly the planned lines`,
      );
      assert.equal(String(held.postingPeriod), plan.periods[j.period]!.id, `${j.externalId} is in its period`);
      assert.equal(String(held.subsidiary), j.subsidiaryId);
    }
    return wanted.length;
  }

  /** Changes the Amount of a few approved Budget cells, so some planned journals change their lines. */
  function changePlan(delta: number): number {
    const pln = [...env.sandboxes.anaplan.state.model.modules.values()].find((m) => m.name === 'PLN01 Plan')!;
    const amount = pln.lineItem('Amount')!.cells;
    const model = env.sandboxes.anaplan.state.model;
    const budget = model.version('Budget')!.index;
    // Months after the cycle's period: the plan cycle posts those (earlier ones are closed).
    const later = new Set(model.time.filter((p) => p.start.slice(0, 7) > PERIOD).map((p) => p.index));
    let n = 0;
    for (const key of pln.lineItem('Approved')!.cells.keys()) {
      const [, , , time, version] = pln.decode(key);
      if (version !== budget || !later.has(time!) || n >= 5) continue;
      amount.set(key, (amount.get(key) ?? 0) + delta);
      n++;
    }
    return n;
  }

  it('switch (a) — PUT ignores ?replace=line: a changed plan re-posted leaves no doubled lines; the ledger equals the plan', async () => {
    await resetLedger();
    const first: CycleSummary = await (await run()).result();
    assert.ok(first.journals!.posted > 0);
    await assertLedgerEqualsPlan(await planOf(first.workflowId));

    await switches({ putIgnoresReplace: true });
    assert.equal(changePlan(1234.5), 5);
    const h = await run();
    const second = await h.result();
    assert.ok(second.journals!.updated > 0, `some journals changed (${JSON.stringify(second.journals)})`);
    assert.equal(second.journals!.failed, 0);
    assert.equal(second.journals!.posted, 0, 'no journal was created twice');
    const n = await assertLedgerEqualsPlan(await planOf(h.workflowId));
    assert.equal(second.journals!.updated + second.journals!.unchanged, n);
  });

  it('switch (b) — a period locked mid-cycle is re-dated by NetSuite: those journals are refused, audited and not left in another period', async () => {
    await resetLedger();
    const nov = (
      ns().state.db.prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Nov 2026'`).get() as { id: number }
    ).id;
    await switches({ redateLockedPeriods: true });
    const since = await lastAuditId();
    const h = await run();
    await until(
      () => h.query(statusQuery),
      (s) => s.step === 'exportPlan',
    );
    await h.signal(pauseSignal, { reason: 'test: lock November' });
    await until(
      () => h.query(statusQuery),
      (s) => s.paused && s.steps.find((x) => x.name === 'exportPlan')!.state === 'done',
    );
    assert.equal((await fetch(`${ns().url}/__sandbox/periods/${nov}/close`, { method: 'POST' })).status, 200);
    await h.signal(resumeSignal);
    await assert.rejects(
      h.result(),
      (e: { cause?: { message?: string; type?: string } }) =>
        e.cause?.type === 'JournalsRefused' && /refused by NetSuite/.test(e.cause.message ?? ''),
    );
    const status = await h.query(statusQuery);
    const step = status.steps.find((s) => s.name === 'postJournals')!;
    assert.equal(step.state, 'failed');

    const plan = await planOf(h.workflowId);
    const isNov = (id: string) => /-202611-/.test(id);
    const novPlanned = plan.journals
      .filter((j) => isNov(j.externalId))
      .map((j) => j.externalId)
      .sort();
    assert.ok(novPlanned.length > 0);
    const audit = await auditOf(h.workflowId, since);
    const rejected = audit.filter((r) => r.outcome === 'rejected');
    assert.deepEqual(rejected.map((r) => r.targetRef).sort(), novPlanned, 'exactly the November journals are refused');
    for (const r of rejected)
      assert.match(r.reason ?? '', /postingPeriod sent \d+, NetSuite holds \d+ \(Dec 2026\).*deleted again/);
    assert.ok(
      !audit.some((r) => r.outcome === 'accepted' && isNov(r.targetRef ?? '')),
      'no November journal is reported posted',
    );
    assert.equal(step.counts?.failed, novPlanned.length, 'counted as failed');
    await assertLedgerEqualsPlan(plan, isNov);

    // Refused, so replayable: once November is open again, the replay posts exactly the missing journals.
    assert.equal((await fetch(`${ns().url}/__sandbox/periods/${nov}/reopen`, { method: 'POST' })).status, 200);
    const replay = await runCli([
      'replay',
      '--cycle',
      h.workflowId,
      '--step',
      'postJournals',
      '--task-queue',
      env.taskQueue,
      '--json',
    ]);
    assert.equal(replay.code, 0, replay.text);
    const replayed = JSON.parse(replay.lines.at(-1)!) as { journals: { posted: number; failed: number } };
    assert.equal(replayed.journals.failed, 0);
    assert.equal(replayed.journals.posted, novPlanned.length);
    await assertLedgerEqualsPlan(plan);
  });

  it('journal approval routing: the account mode decides the field; the wrong mode is refused with the setting to change', async () => {
    await resetLedger();
    await switches({ approvalRouting: true });
    // When the metadata catalog does not tell (here: not allowed to the role), preflight lets the
    // cycle run and the post step refuses, naming the setting.
    const faults = (method: string, body?: unknown) =>
      fetch(`${ns().url}/__sandbox/faults`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal(
      (
        await faults('POST', {
          match: { method: 'GET', path: '/services/rest/record/v1/metadata-catalog/journalentry' },
          status: 403,
          rate: 1,
        })
      ).status,
      201,
    );
    const since = await lastAuditId();
    const h = await run();
    await assert.rejects(
      h.result(),
      (e: { cause?: { message?: string; type?: string } }) =>
        e.cause?.type === 'JournalsRefused' && /refused by NetSuite/.test(e.cause.message ?? ''),
    );
    const rejected = (await auditOf(h.workflowId, since)).filter((r) => r.outcome === 'rejected');
    assert.ok(rejected.length > 0);
    for (const r of rejected) assert.match(r.reason ?? '', /approved.*set journals\.approvalRouting: true/);
    assert.equal((await ledgerJournals(ns().url)).length, 0);
    await faults('DELETE');
    // When it tells, preflight refuses before any journal is sent.
    const since2 = await lastAuditId();
    const h2 = await run();
    await assert.rejects(h2.result(), (err: unknown) => {
      const messages: string[] = [];
      for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
        messages.push(String(e.message));
      return messages.some((m) =>
        /routes journal approval through SuiteFlow.*set journals\.approvalRouting: true/.test(m),
      );
    });
    assert.equal(
      (await auditOf(h2.workflowId, since2)).filter((r) => r.outcome === 'rejected').length,
      0,
      'no journal sent',
    );
    assert.equal((await ledgerJournals(ns().url)).length, 0);

    const routed = { ...env.config, journals: { ...env.config.journals, approvalRouting: true } };
    const ok = await (await run(routed)).result();
    assert.equal(ok.journals!.failed, 0);
    assert.ok(ok.journals!.posted > 0);
    const rows = ns()
      .state.db.prepare(`SELECT DISTINCT posting, approvalstatus FROM "transaction" WHERE externalid LIKE 'mlc-%'`)
      .all();
    assert.deepEqual(rows, [{ posting: 'T', approvalstatus: 2 }], 'approved through approvalStatus');
    const pending = await (
      await run({ ...routed, journals: { ...routed.journals, approvalStatus: 'pendingApproval' } })
    ).result();
    assert.equal(pending.journals!.failed, 0);
    assert.deepEqual(
      ns()
        .state.db.prepare(`SELECT DISTINCT posting, approvalstatus FROM "transaction" WHERE externalid LIKE 'mlc-%'`)
        .all(),
      [{ posting: 'F', approvalstatus: 1 }],
    );
  });
});
