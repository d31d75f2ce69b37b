/**
 * Approval gate and dry run (issue 11 item 8), against the sandboxes on the dev server. With
 * `journals.approval: manual` a cycle stores the diff against the ledger, shows it (`cycle diff`,
 * status "waiting for approval") and posts nothing until `cycle approve`; `reject` and the timeout
 * end it with nothing posted; every decision is in the audit trail with who and when. `cycle start
 * --dry-run` prints the diff and writes nothing to NetSuite.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCycle } from '../../client/cycle-runner';
import type { ConnectionConfig } from '../../common/config';
import type { JournalDiff } from '../../common/dto';
import { statusQuery } from '../../common/messages';
import { setProcessEnv } from '../../common/node/env';
import { runCli as cli } from '../helpers/cli';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { ledgerJournals, until } from '../helpers/until';

describe('approval gate and dry run', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let restoreEnv = () => {};
  const withApproval = (approval: 'auto' | 'manual', approvalTimeoutHours = 72): ConnectionConfig => ({
    ...env.config,
    journals: { ...env.config.journals, approval, approvalTimeoutHours },
  });
  /** Starts a plan cycle of `period` with the given approval mode on the test's worker. */
  const planCycle = (period: string, approval: 'auto' | 'manual', approvalTimeoutHours?: number) =>
    startCycle(t.client, withApproval(approval, approvalTimeoutHours), period, 'plan', undefined, env.taskQueue);
  /** The cycle's status once it waits for a decision. */
  const waitingForApproval = (h: Awaited<ReturnType<typeof planCycle>>) =>
    until(
      () => h.query(statusQuery),
      (s) => s.approval?.state === 'waiting',
      60_000,
    );
  const ledger = async () =>
    JSON.stringify(
      (await ledgerJournals(env.sandboxes.netsuite.url)).map((j) => [j.externalId, j.lastModifiedDate]).sort(),
    );

  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 300 } });
    await env.startWorker();
    // `cycle diff` reads the diff artifact from this host's data dir.
    restoreEnv = setProcessEnv({ ML_CONNECTOR_DATA_DIR: env.dataDir });
  });
  after(async () => {
    restoreEnv();
    await env?.close();
    await t?.close();
  });

  it('manual: shows the diff, posts nothing while waiting, posts exactly the diff once approved', async () => {
    const h = await planCycle('2026-10', 'manual');
    const waiting = await waitingForApproval(h);
    assert.equal(waiting.pauseReason, 'waiting for approval');
    assert.ok(waiting.approval!.diff.counts.create > 0, 'a fresh ledger: every journal is to be created');
    assert.equal((await ledgerJournals(env.sandboxes.netsuite.url)).length, 0, 'nothing posted before approval');

    const status = await cli(['cycle', 'status', h.workflowId]);
    assert.match(status.text, /waiting for approval — \d+ create, 0 update, 0 unchanged, 0 retire/);
    const json = await cli(['cycle', 'diff', h.workflowId, '--json']);
    assert.equal(json.code, 0, json.text);
    const diff = JSON.parse(json.lines.at(-1)!) as JournalDiff;
    assert.deepEqual(diff.counts, waiting.approval!.diff.counts);
    assert.equal(diff.journals.filter((j) => j.action === 'create').length, diff.counts.create);
    assert.equal(
      diff.rows.reduce((a, r) => a + r.planCents, 0),
      waiting.approval!.diff.planCents,
      'amounts per subsidiary × period × version add up',
    );
    const table = await cli(['cycle', 'diff', h.workflowId]);
    assert.match(
      table.text,
      /period\s+version\s+subsidiary\s+create\s+update\s+unchanged\s+retire\s+plan\s+ledger now/,
    );
    assert.ok(table.lines.length >= 2 + diff.rows.length, table.text);

    const ok = await cli(['cycle', 'approve', h.workflowId, '--note', 'checked against the budget', '--by', 'alice']);
    assert.equal(ok.code, 0, ok.text);
    const summary = await h.result();
    assert.equal(summary.approval?.state, 'approved');
    assert.equal(summary.approval?.by, 'alice');
    assert.equal(summary.journals?.posted, diff.counts.create, 'exactly the approved creates were posted');
    const posted = (await ledgerJournals(env.sandboxes.netsuite.url)).map((j) => j.externalId).sort();
    assert.deepEqual(
      posted,
      diff.journals
        .filter((j) => j.action === 'create')
        .map((j) => j.externalId)
        .sort(),
    );
    const ev = await env.built.stores.audit.queryEvents({ cycleId: h.workflowId, kind: 'approved' });
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.actor, 'alice');
    assert.match(ev[0]!.note ?? '', /checked against the budget/);
    assert.ok(!Number.isNaN(Date.parse(ev[0]!.at)), 'when it was approved');
    const shown = await cli(['audit', '--cycle', h.workflowId, '--events']);
    assert.equal(shown.code, 0, shown.text);
    assert.match(shown.text, /approved\s+alice/, shown.text);
    assert.match(shown.text, /ledger_write/, 'the cycle’s write of the ledger scope is listed too');
  });

  it('manual: a rejection ends the cycle with nothing posted, recorded with who', async () => {
    const before = await ledger();
    const h = await planCycle('2026-09', 'manual');
    await waitingForApproval(h);
    const no = await cli(['cycle', 'reject', h.workflowId, '--note', 'wrong version', '--by', 'bob']);
    assert.equal(no.code, 0, no.text);
    const summary = await h.result();
    assert.equal(summary.approval?.state, 'rejected');
    assert.equal(summary.journals, undefined, 'nothing posted');
    assert.equal((await h.query(statusQuery)).steps.find((s) => s.name === 'postJournals')!.state, 'skipped');
    assert.equal(await ledger(), before, 'the ledger is untouched');
    const ev = await env.built.stores.audit.queryEvents({ cycleId: h.workflowId, kind: 'rejected' });
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.actor, 'bob');
    // A decision on a cycle that no longer waits is refused.
    const late = await cli(['cycle', 'approve', h.workflowId]);
    assert.equal(late.code, 1, late.text);
    assert.match(late.text, /not waiting for approval/);
  });

  it('manual: no decision within the timeout ends the cycle as not approved, posting nothing', async () => {
    const before = await ledger();
    // 0.0005 h = 1.8 s
    const h = await planCycle('2026-08', 'manual', 0.0005);
    const summary = await h.result();
    assert.equal(summary.approval?.state, 'expired');
    assert.equal(summary.journals, undefined);
    assert.equal(await ledger(), before);
    assert.equal(
      (await env.built.stores.audit.queryEvents({ cycleId: h.workflowId, kind: 'approval_expired' })).length,
      1,
    );
  });

  it('manual: an approved diff does not post when another cycle wrote the ledger after it was computed', async () => {
    const h = await planCycle('2026-07', 'manual');
    await waitingForApproval(h);
    // Meanwhile an auto cycle writes the same ledger scope.
    const other = await planCycle('2026-06', 'auto');
    await other.result();
    const before = await ledger();
    assert.equal((await cli(['cycle', 'approve', h.workflowId, '--by', 'carol'])).code, 0);
    await assert.rejects(h.result());
    const s = await h.query(statusQuery);
    assert.match(s.lastError ?? '', /ledger changed after the approved diff/);
    assert.ok(s.lastError!.includes(other.workflowId), `names the other writer: ${s.lastError}`);
    assert.equal(await ledger(), before, 'nothing posted from the stale diff');
  });

  it('cycle start --dry-run prints the diff and writes nothing to NetSuite', async () => {
    const before = await ledger();
    const file = path.join(env.dataDir, 'connection.json');
    fs.writeFileSync(file, JSON.stringify(withApproval('auto')));
    const dryRun = (...extra: string[]) =>
      cli(['cycle', 'start', '--config', file, '--period', '2026-11', '--kind', 'plan', '--dry-run', ...extra]);
    const r = await dryRun('--json', '--task-queue', env.taskQueue);
    assert.equal(r.code, 0, r.text);
    const out = JSON.parse(r.lines.at(-1)!) as { approval: { state: string }; diff: JournalDiff; journals?: unknown };
    assert.equal(out.approval.state, 'dry-run');
    assert.ok(out.diff.journals.length > 0, 'the diff lists the journals');
    assert.equal(out.journals, undefined, 'nothing posted');
    assert.equal(await ledger(), before, 'the ledger is untouched');
    const text = await dryRun('--task-queue', env.taskQueue);
    assert.equal(text.code, 0, text.text);
    assert.match(text.text, /Journal diff of .*: \d+ to create, \d+ to update, \d+ unchanged, \d+ to retire/);
    assert.match(text.text, /dry run: nothing was written to NetSuite/);
  });
});
