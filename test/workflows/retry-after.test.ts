/**
 * Issue 13 item 6 on a real dev server: an activity meets a 429 whose Retry-After (3 s) is longer than
 * the in-activity cap (1 s). The pipeline hands it to Temporal with `nextRetryDelay`, so the next
 * attempt is scheduled no earlier than the server asked, although the workflow's own retry interval is
 * 100 ms. Asserted on the history (the attempt's scheduled and started times), not on test sleeps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { activityInfo } from '@temporalio/activity';
import { tsToMs } from '@temporalio/common/lib/time';
import { NativeConnection, Worker } from '@temporalio/worker';
import { classify } from '../../activities/cycle/context';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, startSandbox } from '../fixtures/netsuite/harness';
import type { RetryAfterActivities } from '../fixtures/workflows-retry-after';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const RETRY_AFTER_SEC = 3;
let t: TestTemporal;
let sb: StartedNetSuiteSandbox;
before(async () => {
  t = await testTemporal();
  sb = await startSandbox();
});
after(async () => {
  await sb?.close();
  await t?.close();
});

test('a Retry-After longer than the in-activity cap delays the next activity attempt by at least that long', async () => {
  await control(sb, 'POST', 'faults', {
    kind: '429',
    route: 'governanceLimits',
    count: 1,
    retryAfterSec: RETRY_AFTER_SEC,
  });
  const client = clientFor(sb, {
    retryPolicy: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 },
  });
  const activities: RetryAfterActivities = {
    async governanceCall() {
      try {
        await client.governanceLimits();
      } catch (err) {
        throw classify(err);
      }
      const info = activityInfo();
      return { attempt: info.attempt, scheduledAtMs: info.currentAttemptScheduledTimestampMs };
    },
  };
  const taskQueue = uniqueTaskQueue('retry-after');
  const connection = await NativeConnection.connect({ address: t.server.address });
  const worker = await Worker.create({
    connection,
    namespace: t.server.namespace,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/workflows-retry-after'),
    activities,
  });
  const workflowId = `retry-after-${taskQueue}`;
  try {
    const result = await worker.runUntil(
      t.client.workflow.execute('retryAfterProbe', { taskQueue, workflowId }) as Promise<{
        attempt: number;
        scheduledAtMs: number;
      }>,
    );
    assert.equal(result.attempt, 2, 'the first attempt met the 429, the second succeeded');
    const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes);
    const started = events.find((e) => e.activityTaskStartedEventAttributes);
    assert.ok(scheduled?.eventTime && started?.eventTime, 'scheduled and started events in the history');
    assert.equal(started.activityTaskStartedEventAttributes!.attempt, 2);
    const firstScheduledAt = tsToMs(scheduled.eventTime);
    // The 429 came after the first attempt was scheduled, so the second attempt may not be scheduled
    // (nor start) before firstScheduledAt + Retry-After.
    assert.ok(
      result.scheduledAtMs - firstScheduledAt >= RETRY_AFTER_SEC * 1000,
      `second attempt scheduled ${result.scheduledAtMs - firstScheduledAt} ms after the first`,
    );
    assert.ok(
      tsToMs(started.eventTime) - firstScheduledAt >= RETRY_AFTER_SEC * 1000,
      `second attempt started ${tsToMs(started.eventTime) - firstScheduledAt} ms after the first was scheduled`,
    );
  } finally {
    await connection.close();
  }
});
