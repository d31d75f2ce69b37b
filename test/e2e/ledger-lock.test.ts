/**
 * One writer per ledger scope (issue 11 item 3): a full and a plan cycle of one model × NetSuite
 * account, released into postJournals at the same moment, write the ledger one after the other —
 * the sandbox's own write timeline shows two consecutive blocks, never an interleaving. Then a
 * replay of the cycle that wrote first is refused (a newer cycle wrote the scope since), naming
 * that cycle, and writes nothing; `replay --rederive` re-prepares from the current plan instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { ledgerLockWorkflowId } from '../../common/ids';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { runCli } from '../helpers/cli';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { until } from '../helpers/until';

describe('ledger lock: one writer per NetSuite account × Anaplan model', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let first = '';
  let second = '';
  const writes = () =>
    env.sandboxes.netsuite.state.db.prepare('SELECT seq, ext, op FROM temp.mlc_writes ORDER BY seq').all() as Array<{
      seq: number;
      ext: string;
      op: string;
    }>;
  /** `ml-connector replay --cycle <id> …` on the test's worker. */
  const replay = (cycleId: string, ...args: string[]) =>
    runCli(['replay', '--cycle', cycleId, ...args, '--task-queue', env.taskQueue]);
  /** The ledger-write events of the test connection's ledger-lock scope (what replay checks), in order. */
  const ledgerWrites = () =>
    env.built.stores.audit.queryEvents({
      scope: ledgerLockWorkflowId(
        env.config.netsuite.accountId,
        env.config.anaplan.workspaceId,
        env.config.anaplan.modelId,
      ),
      kind: 'ledger_write',
    });

  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 300 } });
    await env.startWorker();
    // The sandbox's write timeline: every insert, update and delete of a connector journal, in
    // the order the NetSuite sandbox applied them (TEMP triggers live on this connection only).
    env.sandboxes.netsuite.state.db.exec(`
      CREATE TEMP TABLE mlc_writes (seq INTEGER PRIMARY KEY, ext TEXT, op TEXT);
      CREATE TEMP TRIGGER mlc_w_ins AFTER INSERT ON "transaction" WHEN NEW.externalid LIKE 'mlc-%' BEGIN INSERT INTO mlc_writes (ext, op) VALUES (NEW.externalid, 'insert'); END;
      CREATE TEMP TRIGGER mlc_w_upd AFTER UPDATE ON "transaction" WHEN NEW.externalid LIKE 'mlc-%' BEGIN INSERT INTO mlc_writes (ext, op) VALUES (NEW.externalid, 'update'); END;
      CREATE TEMP TRIGGER mlc_w_del AFTER DELETE ON "transaction" WHEN OLD.externalid LIKE 'mlc-%' BEGIN INSERT INTO mlc_writes (ext, op) VALUES (OLD.externalid, 'delete'); END;
    `);
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('a plan cycle and a full cycle released together never interleave their journal writes', async () => {
    // Small batches: without the lock, the two cycles' batches would alternate.
    const opts = { journalBatchSize: 1 };
    const full = await startCycle(t.client, env.config, '2026-10', 'full', opts, env.taskQueue);
    // The plan cycle balances against another offset account, so its journals differ from the full
    // cycle's: journals are read before they are written (write-then-verify), and identical ones would
    // be left "unchanged", so the second writer would write nothing.
    const planConfig = { ...env.config, journals: { ...env.config.journals, offsetAccount: '6990' } };
    const plan = await startCycle(t.client, planConfig, '2026-09', 'plan', opts, env.taskQueue);
    // Hold both right before postJournals, then release them at once.
    // (Watched side by side: the plan cycle has no actuals step and gets there first.)
    await Promise.all(
      [full, plan].map(async (h) => {
        await until(
          () => h.query(statusQuery),
          (s) => s.step === 'exportPlan',
          60_000,
          10,
        );
        await h.signal(pauseSignal, { reason: 'test: hold before postJournals' });
        await until(
          () => h.query(statusQuery),
          (s) => s.paused && s.steps.find((x) => x.name === 'exportPlan')!.state === 'done',
          60_000,
        );
      }),
    );
    assert.equal(writes().length, 0, 'nothing written before the release');
    await Promise.all([full.signal(resumeSignal), plan.signal(resumeSignal)]);
    const [fs, ps] = await Promise.all([full.result(), plan.result()]);
    const written = (j: typeof fs.journals) => (j?.posted ?? 0) + (j?.updated ?? 0) + (j?.retired ?? 0);
    assert.ok(
      written(fs.journals) > 3 && written(ps.journals) > 3,
      `both cycles wrote journals (${written(fs.journals)}, ${written(ps.journals)})`,
    );

    // Who wrote first: the audit's journal rows by cycle, in write order — one switch, no alternation.
    const rows = (
      await env.built.stores.audit.queryRecords({ step: 'postJournals', recordKind: 'journal', limit: 100_000 })
    ).filter((r) => r.cycleId === full.workflowId || r.cycleId === plan.workflowId);
    first = rows[0]!.cycleId;
    second = first === full.workflowId ? plan.workflowId : full.workflowId;
    const switches = rows.filter((r, i) => i > 0 && r.cycleId !== rows[i - 1]!.cycleId).length;
    assert.equal(
      switches,
      1,
      `journal writes by cycle (A = ${first}): ${rows.map((r) => (r.cycleId === first ? 'A' : 'B')).join('')}`,
    );
    const count = (id: string) => written((id === full.workflowId ? fs : ps).journals);

    // The sandbox timeline: the first writer's journals, each once, then the second's, each once.
    const timeline = writes();
    assert.equal(
      timeline.length,
      count(first) + count(second),
      'every write the cycles report reached the ledger once',
    );
    const blockA = timeline.slice(0, count(first)).map((w) => w.ext);
    const blockB = timeline.slice(count(first)).map((w) => w.ext);
    assert.equal(
      new Set(blockA).size,
      blockA.length,
      `the first block holds no journal twice (interleaved writes): ${blockA.join(' ')}`,
    );
    assert.equal(
      new Set(blockB).size,
      blockB.length,
      `the second block holds no journal twice (interleaved writes): ${blockB.join(' ')}`,
    );

    // The ledger-write record (what replay checks) has both, in lock order.
    const events = await ledgerWrites();
    assert.deepEqual(
      events.map((e) => e.cycleId),
      [first, second],
      'each cycle recorded its write of the scope, in write order',
    );
  });

  it('refuses to replay the older writer, naming the newer cycle, and writes nothing', async () => {
    assert.ok(first && second, 'needs the two cycles of the first test');
    const before = writes().length;
    const refused = await replay(first, '--step', 'postJournals');
    assert.equal(refused.code, 1, refused.text);
    const text = refused.text;
    assert.ok(text.includes(second), `the error names the newer cycle ${second}: ${text}`);
    assert.match(text, /--rederive/);
    assert.equal(writes().length, before, 'the refused replay wrote nothing');

    // The latest writer may replay: same plan, nothing to change.
    const latest = await replay(second, '--step', 'postJournals', '--json');
    assert.equal(latest.code, 0, latest.text);
    const again = JSON.parse(latest.lines.at(-1)!) as { journals: { posted: number; updated: number; failed: number } };
    assert.equal(again.journals.failed, 0);
  });

  it('replay --rederive re-prepares from the current plan under the ledger lock', async () => {
    assert.ok(first && second, 'needs the two cycles of the first test');
    const rederive = await replay(first, '--rederive', '--json');
    assert.equal(rederive.code, 0, rederive.text);
    const r = JSON.parse(rederive.lines.at(-1)!) as { rederived: string; journals: { failed: number } };
    assert.match(r.rederived, /:plan$/, 'a plan cycle re-derived the journals');
    assert.equal(r.journals.failed, 0);
    const last = (await ledgerWrites()).at(-1)!;
    assert.equal(last.cycleId, r.rederived, 'the re-derivation is the scope’s latest write');
    // And now the former latest writer is the older one: its replay is refused too.
    if (second !== r.rederived) {
      const older = await replay(second, '--step', 'postJournals');
      assert.equal(older.code, 1, older.text);
      assert.ok(older.text.includes(r.rederived), older.text);
    }
  });
});
