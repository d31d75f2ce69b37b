import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { DEFAULT_POLL, PollClock, TaskTimes, firstPollDelay } from '../../activities/anaplan/tasks';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, glCsv, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
before(async () => {
  sb = await sandbox();
});
after(() => sb.close());

test('firstPollDelay: 1 s with no history under the default policy; the expected end (+10 %) when known, within 1 s … maxMs', () => {
  assert.equal(firstPollDelay(DEFAULT_POLL, undefined), 1000, 'young task: the early step, not 5 s');
  assert.equal(firstPollDelay(DEFAULT_POLL, 3000), 3300);
  assert.equal(firstPollDelay(DEFAULT_POLL, 200), 1000, 'never sooner than the early step');
  assert.equal(firstPollDelay(DEFAULT_POLL, 10 * 60_000), 60_000, 'capped at maxMs');
  assert.equal(
    firstPollDelay({ initialMs: 250, factor: 1.5, maxMs: 2000 }, undefined),
    250,
    'a policy faster than 1 s keeps its own first step',
  );
  assert.equal(
    firstPollDelay({ ...DEFAULT_POLL, earlyMs: 5000 }, undefined),
    5000,
    'earlyMs = initialMs: no early window',
  );
});

test('PollClock: stretching early steps while the task is young, then ≥ initialMs apart (§7.3), each moved to the predicted end', () => {
  const clock = new PollClock(DEFAULT_POLL);
  assert.equal(clock.next(1000, undefined), 1500, 'no progress yet: early steps stretch ×1.5');
  assert.equal(clock.next(2500, undefined), 2250);
  assert.equal(clock.next(4750, 0.5), 4988, 'half done after 4.75 s: aim at the end (+5 %)');
  assert.equal(clock.next(12_000, undefined), 5000, 'past 10 s: at least 5 s apart');
  assert.equal(clock.next(17_000, undefined), 7500, '… stretching');
  assert.equal(clock.next(24_500, 0.99), 11_250, 'nearly done: the floor still holds');
  const fast = new PollClock({ initialMs: 250, factor: 1.5, maxMs: 2000 });
  assert.equal(fast.next(250, undefined), 375, 'no early window when initialMs ≤ 1 s: plain backoff as before');
  assert.equal(fast.next(625, undefined), 563);
});

test('TaskTimes: scales the last run by data size, never down past half, and an upper bound never raises the estimate', () => {
  const t = new TaskTimes();
  assert.equal(t.expect('imports/1', 1000), undefined, 'nothing seen yet');
  t.record('imports/1', 4000, 1_000_000, false);
  assert.equal(t.expect('imports/1', 1_000_000), 4000);
  assert.equal(t.expect('imports/1', 2_000_000), 8000, 'twice the data, twice the time');
  assert.equal(t.expect('imports/1', 800_000), 4000, 'a little less data: not scaled down (the fixed part)');
  assert.equal(t.expect('imports/1', 100_000), undefined, 'much less data: unknown');
  assert.equal(t.expect('imports/2', 1_000_000), undefined, 'per action');
  t.record('imports/1', 4400, 1_000_000, true);
  assert.equal(t.expect('imports/1', 1_000_000), 4000, 'seen done at its first poll (4.4 s): the estimate stays');
  t.record('imports/1', 3000, 1_000_000, true);
  assert.equal(t.expect('imports/1', 1_000_000), 3000, 'an upper bound below the estimate lowers it');
});

test('with the default policy a 1.5 s import is polled early (not first at 5 s), and the next run of it is first polled near its end', async () => {
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const csv = glCsv([['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '100']]);
  await control(sb, 'POST', '/faults', { kind: 'task-duration', durationMs: 1500 });
  const run = async () => {
    await c.uploadFile(imp.importDataSourceId!, Readable.from([csv]));
    const polls: Array<{ state: string; progress: number }> = [];
    const r = await c.runImport(imp.id, {
      poll: DEFAULT_POLL,
      workBytes: csv.length,
      onProgress: (t) => polls.push({ state: t.taskState ?? '', progress: t.progress ?? -1 }),
    });
    assert.equal(r.successful, true);
    return polls;
  };
  const cold = await run();
  const warm = await run();
  await control(sb, 'DELETE', '/faults');
  // Cold: the first status call comes at 1 s, while the task runs; its progress times the next.
  assert.equal(cold[0]!.state, 'IN_PROGRESS', JSON.stringify(cold));
  assert.ok(cold.length <= 3, JSON.stringify(cold));
  // Warm: the client knows it takes ~1.5 s, so the first call comes at its end (+10 %).
  assert.ok(warm[0]!.state === 'COMPLETE' || warm[0]!.progress >= 0.9, JSON.stringify(warm));
  assert.ok(warm.length <= 2, JSON.stringify(warm));
});
