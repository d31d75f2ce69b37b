/**
 * Fault sweep (issue 7 item 4): a full cycle while both sandboxes misbehave at once — 10% 429,
 * 3% 5xx, 1% dropped connections on every API call, one token revocation on each side mid-run and
 * one failed Anaplan task. The cycle must either complete with the invariants (Anaplan actuals =
 * NetSuite per combination, the planned journals exactly once, no two tasks overlapping on the
 * model), or fail with a clear non-retryable reason — and then the same cycle (same workflow ID,
 * same idempotency keys) run again completes with the same invariants.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { cycleWorkflowId } from '../../common/ids';
import { statusQuery } from '../../common/messages';
import type { CycleSummary } from '../../common/dto';
import { planningCycle } from '../../workflows';
import { checkActuals, checkJournals, checkNoOverlap, formatResults } from '../../scripts/chaos-invariants';
import { cycleEnvHooks, type CycleEnv } from '../helpers/cycle-env';
import { type TestTemporal } from '../helpers/temporal';

const PERIOD = '2026-10';

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  assert.ok(res.status < 300, `${url} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('fault sweep: 429s, 5xx, dropped connections, token revocations and a failed task in one cycle', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  cycleEnvHooks({ netsuite: { glLines: 4_000 } }, (x) => ({ t, env } = x));

  it(
    'completes with the invariants, or fails non-retryably and completes when the same cycle runs again',
    { timeout: 180_000 },
    async () => {
      const ns = `${env.sandboxes.netsuite.url}/__sandbox/faults`;
      const ap = `${env.sandboxes.anaplan.url}/__sandbox/faults`;
      // One fault dialect for both sandboxes (sandbox/kit/faults.ts): the same bodies to each.
      for (const fault of [
        { status: 429, rate: 0.1, seed: 11 },
        { status: 503, rate: 0.03, seed: 12 },
        { drop: true, rate: 0.01, seed: 13 },
      ]) {
        await post(ns, fault);
        await post(ap, fault);
      }
      // NetSuite's own kind: the first journal write finds its token revoked (mid-run, after extraction).
      await post(ns, { kind: 'revoke-token', count: 1, route: 'PUT /services/rest/record' });

      const workflowId = cycleWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, PERIOD, 'full');
      const run = async (): Promise<CycleSummary> => {
        const h = await t.client.workflow.start(planningCycle, {
          taskQueue: env.taskQueue,
          workflowId,
          args: [{ config: env.config, period: PERIOD, kind: 'full' }],
        });
        // Once the cycle reaches the actuals (mid-run): revoke every Anaplan token, and fail the next
        // Anaplan task, which is the actuals import (list imports ran before, the plan export after).
        let revoked = false;
        const watcher = (async () => {
          while (!revoked) {
            const s = await h.query(statusQuery).catch(() => undefined);
            if (s?.step === 'importActuals') {
              await post(ap, { kind: 'task-failure', count: 1 });
              await post(`${env.sandboxes.anaplan.url}/__sandbox/tokens/revoke`, {});
              revoked = true;
              injected++;
            }
            if (revoked || (await h.describe()).status.name !== 'RUNNING') break;
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        try {
          return await h.result();
        } finally {
          revoked = true;
          await watcher;
        }
      };

      let injected = 0;
      let summary: CycleSummary;
      let failedOnce = false;
      try {
        summary = await run();
      } catch (err) {
        // Allowed outcome: a clear, non-retryable failure; then the same cycle completes.
        assert.ok(err instanceof WorkflowFailedError, String(err));
        let cause = err.cause as (Error & { nonRetryable?: boolean; type?: string; cause?: unknown }) | undefined;
        while (cause?.cause && (cause.cause as Error).message) cause = cause.cause as typeof cause;
        assert.ok(cause?.message && cause.message.length > 10, 'the failure says why');
        assert.ok(
          cause.nonRetryable === true || ['NonRetryable', 'JournalsRefused'].includes(cause.type ?? ''),
          `failure is non-retryable: ${cause.message}`,
        );
        failedOnce = true;
        summary = await run();
      }
      assert.equal(summary.status, 'completed');

      // The faults really fired on both sides (the same rule listing and statistics on each).
      const rules = async (url: string) =>
        (await (await fetch(url)).json()) as Array<{ status?: number; kind?: string; fired: number }>;
      const [nsRules, apRules] = [await rules(ns), await rules(ap)];
      assert.ok(
        nsRules.some((f) => f.status === 429 && f.fired > 0),
        `NetSuite 429s fired: ${JSON.stringify(nsRules)}`,
      );
      assert.ok(
        apRules.some((f) => f.status === 429 && f.fired > 0),
        `Anaplan 429s fired: ${JSON.stringify(apRules)}`,
      );
      const nsStats = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/requests`)).json()) as {
        faultsFired: Record<string, number>;
      };
      assert.equal(nsStats.faultsFired['revoke-token'], 1, 'the NetSuite token was revoked once');
      assert.ok(injected >= 1, 'the Anaplan token revocation and task failure were injected mid-run');
      assert.ok(!apRules.some((f) => f.kind === 'task-failure'), 'the task failure was consumed');
      const failedTasks = env.sandboxes.anaplan.state
        .timelineFor(env.config.anaplan.modelId)
        .filter((e) => e.actionName === 'Import GL Actuals');
      assert.ok(
        failedTasks.length >= 2,
        `the failed actuals import ran again (${failedTasks.map((e) => e.state).join(', ')})`,
      );

      const results = [
        checkActuals(env.sandboxes, env.config, PERIOD),
        ...(await checkJournals(env.sandboxes, env.config, {
          count: summary.plan!.journals,
          planCents: summary.plan!.planCents,
        })),
        checkNoOverlap(env.sandboxes, env.config.anaplan.modelId),
      ];
      const report = formatResults(results);
      assert.ok(
        results.every((r) => r.ok),
        `${failedOnce ? '(after one non-retryable failure and a re-run)\n' : ''}${report}`,
      );
      assert.ok(summary.plan!.journals > 0 && summary.import!.rowsImported > 0, 'the cycle moved data both ways');
      assert.equal(summary.tieOut!.balanced, true, JSON.stringify(summary.tieOut));
    },
  );
});
