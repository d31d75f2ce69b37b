/**
 * A small demonstration workflow: three durable steps with pause/resume and a status query.
 * `npm start` ran it before the planning cycle existed; tests use it to prove signals, queries
 * and replay on a real server.
 */
import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { pauseSignal, resumeSignal, statusQuery, type CycleStatus, type StepStatus } from '../common/messages';

const { demoStep } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '200 ms' },
});

export interface DemoInput {
  steps: string[];
  /** When true, the workflow pauses itself after the first step until a `resume` signal. */
  pauseAfterFirst?: boolean;
}

export async function connectorDemo(input: DemoInput): Promise<{ completed: string[]; pausedOnce: boolean }> {
  const steps: StepStatus[] = input.steps.map((name) => ({ name, state: 'pending', counts: {} }));
  let paused = false;
  let pauseReason: string | undefined;
  let pausedOnce = false;
  setHandler(pauseSignal, (arg) => {
    paused = true;
    pausedOnce = true;
    pauseReason = arg?.reason;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    pauseReason = undefined;
  });
  setHandler(statusQuery, (): CycleStatus => ({
    workflowId: workflowInfo().workflowId,
    step: steps.find((s) => s.state === 'running')?.name ?? null,
    steps,
    paused,
    pauseReason,
    quarantined: 0,
    warnings: [],
  }));

  const completed: string[] = [];
  for (const [i, step] of steps.entries()) {
    await condition(() => !paused);
    step.state = 'running';
    const result = await demoStep(step.name);
    step.counts = { items: result.items };
    step.state = 'done';
    completed.push(step.name);
    if (i === 0 && input.pauseAfterFirst) {
      paused = true;
      pausedOnce = true;
      pauseReason = 'pauseAfterFirst';
    }
  }
  return { completed, pausedOnce };
}
