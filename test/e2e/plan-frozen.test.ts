/**
 * Retire only what the approved plan retires (issue 11, rule 1) and locked periods (rule 5), end to
 * end: after a first cycle posts the plan, mapping drift between runs — a subsidiary unmapped by
 * config, an account renumbered in NetSuite, a department dropped from Anaplan, a version gone from
 * the export — freezes the scopes it touches: the plan cycle deletes and overwrites nothing there,
 * and says so in its result, its warnings (status) and the audit trail. A period locked for all
 * transactions is skipped like a closed one; an A/P-only lock does not stop journals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { statusQuery } from '../../common/messages';
import type { ConnectionConfig } from '../../common/config';
import type { CycleSummary } from '../../common/dto';
import { parseJournalExternalId } from '../../activities/mapping/journals';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { ledgerJournals } from '../helpers/until';

const PERIOD = '2026-10';

describe('plan write-back under mapping drift and locked periods', async () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let base: ConnectionConfig;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 1_000 } });
    base = env.config;
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  const run = async (config: ConnectionConfig = base): Promise<CycleSummary> =>
    (await startCycle(t.client, config, PERIOD, 'plan', undefined, env.taskQueue)).result();
  const key = (externalId: string) =>
    parseJournalExternalId(
      { modelId: base.anaplan.modelId, externalIdPrefix: base.journals.externalIdPrefix },
      externalId,
    )!;
  const ref = (v: unknown) => String((v as { id?: string })?.id ?? v ?? '');
  /** externalId → what NetSuite holds (period and lines), for before/after comparisons. */
  async function snapshot(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const j of await ledgerJournals(env.sandboxes.netsuite.url)) {
      const lines = (j.line?.items ?? j.lines ?? [])
        .map((l: any) => `${ref(l.account)}/${ref(l.department)}/${Number(l.debit ?? 0)}/${Number(l.credit ?? 0)}`)
        .sort();
      out.set(j.externalId!, JSON.stringify([ref(j.postingPeriod), lines]));
    }
    return out;
  }
  const linesOf = async () => {
    const out: Array<{ externalId: string; account: string; department: string }> = [];
    for (const j of await ledgerJournals(env.sandboxes.netsuite.url))
      for (const l of j.line?.items ?? j.lines ?? [])
        out.push({ externalId: j.externalId!, account: ref(l.account), department: ref(l.department) });
    return out;
  };
  const withOverrides = (
    dimension: 'subsidiaries' | 'departments',
    overrides: Record<string, string | null>,
  ): ConnectionConfig => ({
    ...base,
    dimensions: {
      ...base.dimensions,
      [dimension]: {
        ...base.dimensions[dimension],
        overrides: { ...base.dimensions[dimension].overrides, ...overrides },
      },
    },
  });
  const keptAudit = async (cycleId: string) =>
    (
      await env.built.stores.audit.queryRecords({ cycleId, step: 'exportPlan', recordKind: 'journal', limit: 10_000 })
    ).filter((r) => r.reason?.startsWith('kept, not retired'));
  const pln = () => [...env.sandboxes.anaplan.state.model.modules.values()].find((m) => m.name === 'PLN01 Plan')!;
  /** Un-approves the cells that match; returns a function that approves them again. */
  function unapprove(match: (dims: number[]) => boolean): () => void {
    const approved = pln().lineItem('Approved')!.cells;
    const keys = [...approved.keys()].filter((k) => match(pln().decode(k)));
    for (const k of keys) approved.delete(k);
    return () => {
      for (const k of keys) approved.set(k, 1);
    };
  }

  let baseline: Map<string, string>;
  /** Each case starts from the posted plan, whatever the case before it left behind. */
  async function fresh(): Promise<void> {
    await run();
    assert.deepEqual(await snapshot(), baseline, 'the ledger starts as the posted plan');
  }

  it('baseline: a full cycle posts the approved plan', async () => {
    const first = await (await startCycle(t.client, base, PERIOD, 'full', undefined, env.taskQueue)).result();
    assert.ok(first.journals!.posted >= 12, `posted ${first.journals!.posted}`);
    assert.equal(
      first.plan!.frozenScopes ?? 0,
      0,
      `no scope frozen on a fully mapped export: ${JSON.stringify(first.plan!.frozen)}`,
    );
    baseline = await snapshot();
  });

  it('a subsidiary set to null in the mapping: its journals are kept, the frozen scopes are reported', async () => {
    await fresh();
    const sub = [...baseline.keys()].map((id) => key(id).subsidiaryId).find((s) => s !== '2')!;
    const ours = [...baseline.keys()].filter((id) => key(id).subsidiaryId === sub);
    assert.ok(ours.length >= 2, `subsidiary ${sub} has journals: ${ours.join(', ')}`);
    const handle = await startCycle(
      t.client,
      withOverrides('subsidiaries', { [`SUB-${sub}`]: null }),
      PERIOD,
      'plan',
      undefined,
      env.taskQueue,
    );
    const r = await handle.result();
    const status = await handle.query(statusQuery);
    assert.ok(
      status.warnings.some((w) =>
        /plan scope\(s\) frozen, nothing deleted there; \d+ ledger journal\(s\) kept as posted: .*subsidiary/.test(w),
      ),
      `the status query shows the frozen scopes: ${status.warnings.join(' / ')}`,
    );
    const after = await snapshot();
    for (const id of ours) assert.equal(after.get(id), baseline.get(id), `${id} is still in the ledger, unchanged`);
    assert.equal(r.journals!.retired ?? 0, 0, 'nothing retired');
    assert.equal(r.plan!.keptJournals, ours.length, 'every journal of the subsidiary was kept, not retired');
    assert.ok(
      (r.plan!.frozenScopes ?? 0) > 0 && r.plan!.frozen!.some((f) => f.subsidiaryId === sub || f.subsidiaryId === '*'),
    );
    assert.ok(
      r.warnings.some((w) => /plan scope\(s\) frozen/.test(w)),
      `the warning shows in the cycle's status: ${r.warnings.join(' / ')}`,
    );
    assert.deepEqual(
      (await keptAudit(r.workflowId)).map((x) => x.targetRef).sort(),
      [...ours].sort(),
      'each kept journal has an audit row',
    );
    assert.deepEqual(await snapshot(), after);
    const back = await run();
    assert.equal(back.plan!.frozenScopes ?? 0, 0);
    assert.deepEqual(await snapshot(), baseline, 'mapped again, the ledger is the plan again');
  });

  it('an account renumbered in NetSuite: values on the old code quarantine, the journals that carry it stay as posted', async () => {
    await fresh();
    const db = env.sandboxes.netsuite.state.db;
    const numberOf = (id: string) =>
      (db.prepare('SELECT acctnumber FROM account WHERE id = ?').get(Number(id)) as { acctnumber: string } | undefined)
        ?.acctnumber;
    const account = (await linesOf()).find(
      (l) => numberOf(l.account) && numberOf(l.account) !== base.journals.offsetAccount,
    )!.account;
    const { acctnumber } = db.prepare('SELECT acctnumber FROM account WHERE id = ?').get(Number(account)) as {
      acctnumber: string;
    };
    db.prepare('UPDATE account SET acctnumber = ? WHERE id = ?').run(`${acctnumber}7`, Number(account));
    try {
      const r = await run();
      assert.ok(r.plan!.quarantined > 0, 'the old code no longer maps');
      assert.deepEqual(await snapshot(), baseline, 'the ledger is exactly as posted: no line dropped, nothing deleted');
      assert.ok((r.plan!.frozenScopes ?? 0) > 0);
      assert.ok((r.plan!.heldValues ?? 0) > 0, 'scopes already posted are not overwritten with partial journals');
      assert.equal(r.journals!.retired ?? 0, 0);
    } finally {
      db.prepare('UPDATE account SET acctnumber = ? WHERE id = ?').run(acctnumber, Number(account));
    }
    await run();
    assert.deepEqual(await snapshot(), baseline);
  });

  it('a department dropped from Anaplan: journals with lines on it are neither rewritten nor deleted', async () => {
    await fresh();
    const dept = (await linesOf()).find((l) => l.department !== '')!.department;
    const touched = new Set((await linesOf()).filter((l) => l.department === dept).map((l) => l.externalId));
    const deps = env.sandboxes.anaplan.state.model.lists.get('Departments')!;
    const di = deps.getByCode(`DEP-${dept}`)!.index;
    const deptAxis = pln().dims.findIndex((d: any) => d.kind === 'list' && d.list === deps);
    // Dropped in Anaplan: its cells leave the export and NetSuite's department no longer finds its code there.
    const restore = unapprove((dims) => dims[deptAxis >= 0 ? deptAxis : 2] === di);
    try {
      const r = await run(withOverrides('departments', { [`DEP-${dept}`]: 'DEP-DROPPED' }));
      const after = await snapshot();
      for (const id of touched) assert.equal(after.get(id), baseline.get(id), `${id} keeps its lines`);
      assert.deepEqual(after, baseline);
      assert.ok((r.plan!.frozenScopes ?? 0) > 0);
      assert.ok(
        r.plan!.frozen!.some((f) => f.reason.includes(`department ${dept}`)),
        JSON.stringify(r.plan!.frozen),
      );
      assert.equal(r.journals!.retired ?? 0, 0);
    } finally {
      restore();
    }
    await run();
    assert.deepEqual(await snapshot(), baseline);
  });

  it('an export that lost a version: that version is frozen, its journals stay', async () => {
    await fresh();
    const forecast = env.sandboxes.anaplan.state.model.version('Forecast')!.index;
    const ours = [...baseline.keys()].filter((id) => key(id).version === 'forecast');
    assert.ok(ours.length > 0);
    const restore = unapprove((dims) => dims[4] === forecast);
    try {
      const r = await run();
      assert.ok(
        r.plan!.frozen!.some(
          (f) => f.version === 'Forecast' && f.period === '*' && /not in the plan export/.test(f.reason),
        ),
        JSON.stringify(r.plan!.frozen),
      );
      assert.equal(r.journals!.retired ?? 0, 0);
      assert.deepEqual(await snapshot(), baseline);
    } finally {
      restore();
    }
  });

  it('a period locked for all transactions is skipped like a closed one; an A/P lock alone does not stop journals', async () => {
    await fresh();
    const ns = env.sandboxes.netsuite;
    const id = (name: string) =>
      (ns.state.db.prepare('SELECT id FROM accountingperiod WHERE periodname = ?').get(name) as { id: number }).id;
    const [nov, dec] = [id('Nov 2026'), id('Dec 2026')];
    assert.equal(
      (await fetch(`${ns.url}/__sandbox/periods/${nov}/lock`, { method: 'POST', body: JSON.stringify({ all: true }) }))
        .status,
      200,
    );
    assert.equal(
      (
        await fetch(`${ns.url}/__sandbox/periods/${dec}/lock`, {
          method: 'POST',
          body: JSON.stringify({ ap: true, ar: true }),
        })
      ).status,
      200,
    );
    // Budget changed everywhere, so every open month has something to post.
    const amount = pln().lineItem('Amount')!.cells;
    const saved = new Map(amount);
    for (const [k, v] of amount) amount.set(k, Math.round((v + 1) * 100) / 100);
    try {
      const r = await run();
      assert.equal(r.journals!.failed, 0, 'nothing was sent into the locked period');
      assert.ok((r.plan!.skippedLockedPeriods ?? 0) > 0);
      assert.deepEqual(r.plan!.lockedMonths, ['2026-11']);
      assert.ok(
        r.warnings.some((w) => /locked in NetSuite/.test(w)),
        r.warnings.join(' / '),
      );
      const after = await snapshot();
      for (const [eid, body] of baseline) {
        if (key(eid).period === '2026-11')
          assert.equal(after.get(eid), body, `${eid} in the locked month is untouched`);
        if (key(eid).period === '2026-12')
          assert.notEqual(after.get(eid), body, `${eid} (A/P and A/R lock only) is updated`);
      }
    } finally {
      for (const [k, v] of saved) amount.set(k, v);
      await fetch(`${ns.url}/__sandbox/periods/${nov}/unlock`, { method: 'POST' });
      await fetch(`${ns.url}/__sandbox/periods/${dec}/unlock`, { method: 'POST' });
    }
  });
});
