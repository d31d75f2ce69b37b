/**
 * The activity options every cycle-shaped workflow uses (planningCycle, replayStep): one place for
 * timeouts and the retry policy, so a replay behaves like the cycle it re-sends.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CycleOptions } from '../common/dto';

export type CycleActivities = ReturnType<typeof createActivities>;

/** Heartbeats are throttled to 80 % of the timeout and a cancellation reaches an activity only on a
 * heartbeat (docs/temporal.md §3): 20 s keeps cancel and crash detection prompt. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 20_000;

export function cycleActivities(opts: CycleOptions = {}): CycleActivities {
  return proxyActivities<CycleActivities>({
    startToCloseTimeout: opts.activityTimeoutMs ?? 2 * 60 * 60_000,
    heartbeatTimeout: opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // 12 attempts: backoff alone (1+2+…+32 s, then 1 min capped) spans 6 min, each attempt's HTTP
    // retries ~13 s more, so a vendor down for minutes is waited out; 6 attempts (~110 s) failed
    // cycles in the two-host chaos run's 2-minute sandbox outage (scripts/chaos-hosts.ts).
    retry: {
      maximumAttempts: 12,
      initialInterval: '1 second',
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: ['NonRetryable'],
    },
  });
}
