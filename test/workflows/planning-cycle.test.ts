/**
 * The planningCycle and modelLock workflows on the real dev server, with typed fake activities
 * (the e2e tests run the real ones against the sandboxes).
 */
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import assert from 'node:assert/strict';
import { createActivities, type Activities } from '../../activities';
import type { ConnectionConfig } from '../../common/config';
import { parseConfig } from '../../common/config';
import type { CycleInput } from '../../common/dto';
import { cycleWorkflowId } from '../../common/ids';
import { pauseSignal, resumeSignal, statusQuery } from '../../common/messages';
import { createConnectorWorker } from '../../worker/create-worker';
import { planningCycle } from '../../workflows';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { until } from '../helpers/until';

const WS = '8a81b09d5f3c4e21a0b1c2d3e4f5a6b7';
// Each test uses its own model: a lock workflow lives on the task queue of the test that started it.
let modelSeq = 0;
const nextModel = () =>
  `75A40874E6B64FA3AE07432789${(0x96bf8d + process.pid * 16 + modelSeq++).toString(16).toUpperCase().padStart(6, '0').slice(-6)}`;
let MODEL = nextModel();

function config(): ConnectionConfig {
  const dim = (list: string, sync: boolean) => ({ list, sync, importAction: sync ? `Import ${list}` : undefined });
  return parseConfig({
    name: 'test',
    netsuite: { accountId: '1234567_SB1', credentials: 'ns' },
    anaplan: { workspaceId: WS, modelId: MODEL, credentials: 'ap' },
    actions: { importActuals: 'Import GL Actuals', exportPlan: 'Export Approved Plan' },
    dimensions: {
      accounts: dim('Accounts', true),
      subsidiaries: dim('Subsidiaries', true),
      departments: dim('Departments', false),
      classes: dim('Classes', true),
      locations: dim('Locations', true),
    },
    journals: { offsetAccount: '2900' },
  });
}

type Interval = { who: string; what: string; start: number; end: number };

/** Fake step activities: each "Anaplan action" holds for `holdMs` and records its interval. */
function fakes(timeline: Interval[], calls: string[], holdMs = 150): Partial<Activities> {
  const hold = async (who: string, what: string) => {
    const start = Date.now();
    await new Promise((r) => setTimeout(r, holdMs));
    timeline.push({ who, what, start, end: Date.now() });
  };
  return {
    async preflight({ period }) {
      calls.push('preflight');
      const info = { period, id: '22', name: 'Oct 2026', startDate: '2026-10-01', endDate: '2026-10-31', closed: true };
      return { periodInfo: info, anaplanPeriodCode: 'Oct 26', periods: [info], definitionHash: 'x', warnings: [] };
    },
    async alignDimensions({ cycleId }) {
      calls.push('alignDimensions');
      await hold(cycleId, 'align');
      const c = { members: 1, mapped: 1, unmapped: 0, outOfScope: 0, imported: 1, rejected: 0 };
      return {
        memberMapsHash: 'm',
        quarantineHash: null,
        dimensions: { accounts: c, subsidiaries: c, departments: c, classes: c, locations: c },
        anaplanTaskIds: [],
      };
    },
    async extractActuals() {
      calls.push('extractActuals');
      return {
        csvHash: 'c',
        rows: 10,
        quarantined: 1,
        outOfScope: 0,
        quarantineHash: 'q',
        csvCents: 1000,
        quarantinedCents: 50,
        netsuiteCents: 1050,
        pages: 1,
      };
    },
    async runActualsImport({ cycleId }) {
      calls.push('runActualsImport');
      await hold(cycleId, 'import');
      return {
        taskId: 't',
        fileBytes: 1,
        chunks: 1,
        rowsImported: 10,
        rowsRejected: 0,
        dumpHash: null,
        rejectedCents: 0,
        successful: true,
      };
    },
    async runPlanExport({ cycleId }) {
      calls.push('runPlanExport');
      await hold(cycleId, 'export');
      return { taskId: 'e', exportHash: 'x', rows: 4, bytes: 10 };
    },
    async preparePlan() {
      calls.push('preparePlan');
      return {
        journalsHash: 'j',
        journals: 3,
        values: 4,
        quarantined: 0,
        quarantineHash: null,
        skippedClosedPeriods: 0,
        planCents: 0,
      };
    },
    async postJournals({ from, to }) {
      calls.push(`postJournals:${from}-${to}`);
      return { posted: to - from, updated: 0, unchanged: 0, failed: 0, failures: [] };
    },
    // The ledger-write record (audit) under the ledger lock; the lock itself is the real one.
    async recordLedgerWrite() {
      calls.push('recordLedgerWrite');
      return 1;
    },
  };
}

describe('planningCycle workflow (fake activities, real server)', () => {
  let t: TestTemporal;
  before(async () => {
    t = await testTemporal();
  });
  after(async () => {
    await t?.close();
  });

  it('serializes Anaplan actions of three concurrent cycles on one model through modelLock', async () => {
    MODEL = nextModel();
    const taskQueue = uniqueTaskQueue('cycle-lock');
    const timeline: Interval[] = [];
    const calls: string[] = [];
    const activities = { ...createActivities({ temporal: t.client, taskQueue }), ...fakes(timeline, calls) };
    const { worker, connection } = await createConnectorWorker({ address: t.server.address, taskQueue, activities });
    try {
      await worker.runUntil(async () => {
        const cfg = config();
        const handles = await Promise.all(
          ['2026-08', '2026-09', '2026-10'].map((period) =>
            t.client.workflow.start(planningCycle, {
              taskQueue,
              workflowId: `${cycleWorkflowId(WS, MODEL, period, 'full')}-${taskQueue}`,
              args: [{ config: cfg, period, kind: 'full', options: { journalBatchSize: 2 } } satisfies CycleInput],
            }),
          ),
        );
        const results = await Promise.all(handles.map((h) => h.result()));
        for (const r of results) {
          assert.equal(r.status, 'completed');
          assert.equal(r.journals?.posted, 3, 'two batches (2 + 1) posted');
          assert.equal(r.tieOut?.balanced, true);
        }
      });
    } finally {
      await connection.close();
    }
    assert.equal(timeline.length, 9, 'align + import + export for each of three cycles');
    const sorted = [...timeline].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(
        sorted[i]!.start >= sorted[i - 1]!.end,
        `no overlap: ${JSON.stringify(sorted[i - 1])} vs ${JSON.stringify(sorted[i])}`,
      );
    }
  });

  it('holds while paused (no activity runs) and completes after resume', async () => {
    MODEL = nextModel();
    const taskQueue = uniqueTaskQueue('cycle-pause');
    const timeline: Interval[] = [];
    const calls: string[] = [];
    const base = fakes(timeline, calls);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const activities = {
      ...createActivities({ temporal: t.client, taskQueue }),
      ...base,
      // Hold inside the first step so the pause arrives mid-cycle, deterministically.
      async preflight(input: Parameters<NonNullable<typeof base.preflight>>[0]) {
        await gate;
        return base.preflight!(input);
      },
    };
    const { worker, connection } = await createConnectorWorker({ address: t.server.address, taskQueue, activities });
    try {
      await worker.runUntil(async () => {
        const h = await t.client.workflow.start(planningCycle, {
          taskQueue,
          workflowId: `pause-${taskQueue}`,
          args: [{ config: config(), period: '2026-10', kind: 'actuals' }],
        });
        await until(
          () => h.query(statusQuery),
          (s) => s.step === 'preflight',
        );
        await h.signal(pauseSignal, { reason: 'month-end freeze' });
        release();
        const paused = await until(
          () => h.query(statusQuery),
          (s) => s.paused && s.steps[0]!.state === 'done',
        );
        assert.equal(paused.pauseReason, 'month-end freeze');
        const callsAtPause = calls.length;
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(
          calls.length,
          callsAtPause,
          `no activity while paused (saw ${calls.slice(callsAtPause).join(', ')})`,
        );
        assert.equal((await h.query(statusQuery)).steps[1]!.state, 'pending');
        await h.signal(resumeSignal);
        const r = await h.result();
        assert.equal(r.status, 'completed');
        assert.deepEqual(calls, ['preflight', 'alignDimensions', 'extractActuals', 'runActualsImport']);
        const s = await h.query(statusQuery);
        assert.equal(s.quarantined, 1);
        assert.deepEqual(
          s.steps.map((x) => x.state),
          ['done', 'done', 'done', 'skipped', 'skipped'],
        );
      });
    } finally {
      await connection.close();
    }
  });
  it('a holder whose model-lock lease expires mid-action is told, and the action retries under a new grant', async () => {
    MODEL = nextModel();
    const taskQueue = uniqueTaskQueue('cycle-lease');
    const timeline: Interval[] = [];
    const calls: string[] = [];
    const base = fakes(timeline, calls);
    let exports = 0;
    const activities = {
      ...createActivities({ temporal: t.client, taskQueue }),
      ...base,
      // The first export outlives the 1.5 s lease; like the real activities it heartbeats, so the
      // cancellation that follows the lost lease reaches it (Context.sleep rejects on cancellation).
      async runPlanExport(input: Parameters<NonNullable<typeof base.runPlanExport>>[0]) {
        if (exports++ === 0) {
          const ctx = Context.current();
          for (let i = 0; i < 100; i++) {
            ctx.heartbeat({ i });
            await ctx.sleep(100);
          }
        }
        return base.runPlanExport!(input);
      },
    };
    const { worker, connection } = await createConnectorWorker({ address: t.server.address, taskQueue, activities });
    try {
      await worker.runUntil(async () => {
        const h = await t.client.workflow.start(planningCycle, {
          taskQueue,
          workflowId: `${cycleWorkflowId(WS, MODEL, '2026-10', 'plan')}-${taskQueue}`,
          args: [
            {
              config: config(),
              period: '2026-10',
              kind: 'plan',
              options: { lockLeaseMs: 1_500, heartbeatTimeoutMs: 2_000 },
            } satisfies CycleInput,
          ],
        });
        const r = await h.result();
        assert.equal(r.status, 'completed');
        const history = await h.fetchHistory();
        const signals = (history.events ?? [])
          .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
          .filter(Boolean);
        assert.ok(
          signals.includes('lock-lost'),
          `the holder was told its lease expired (signals: ${signals.join(', ')})`,
        );
      });
    } finally {
      await connection.close();
    }
    assert.equal(exports, 2, 'the export ran again after taking the lock again');
    assert.equal(
      calls.filter((c) => c === 'runPlanExport').length,
      1,
      'the first export was cancelled (it never finished)',
    );
  });

  it('refuses a lock lease above the maximum, naming the option', async () => {
    const taskQueue = uniqueTaskQueue('cycle-lease-max');
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      activities: createActivities({ temporal: t.client, taskQueue }),
    });
    try {
      await worker.runUntil(async () => {
        const h = await t.client.workflow.start(planningCycle, {
          taskQueue,
          workflowId: `lease-max-${taskQueue}`,
          args: [
            {
              config: config(),
              period: '2026-10',
              kind: 'plan',
              options: { lockLeaseMs: 13 * 60 * 60_000 },
            } satisfies CycleInput,
          ],
        });
        await assert.rejects(h.result(), (err: Error & { cause?: Error }) =>
          /lockLeaseMs must be an integer from 1000 to 43200000 ms \(got 46800000\)/.test(err.cause?.message ?? ''),
        );
      });
    } finally {
      await connection.close();
    }
  });
});
