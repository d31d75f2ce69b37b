/**
 * Activity interceptor feeding the connector's metrics (activities/observability/metrics.ts): sets
 * the connection/model labels for the HTTP calls an activity makes, times it, and counts its result.
 * Installed by createConnectorWorker, so every worker (CLI, embedded `start`, tests) counts alike.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { metrics, recordActivityResult, withCycleLabels, type CycleLabels } from '../activities/observability/metrics';

/** Cycle activities take `{ config, ... }` first; anything else (demo, model lock) is `unknown`. */
export function labelsOf(args: unknown[]): CycleLabels {
  const config = (args[0] as { config?: { name?: unknown; anaplan?: { modelId?: unknown } } } | undefined)?.config;
  return {
    connection: typeof config?.name === 'string' ? config.name : 'unknown',
    model: typeof config?.anaplan?.modelId === 'string' ? config.anaplan.modelId : 'unknown',
  };
}

export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx: Context) => ({
  inbound: {
    async execute(input, next) {
      const labels = labelsOf(input.args);
      const activity = ctx.info.activityType;
      const end = metrics.stepDuration.startTimer({ ...labels, activity });
      try {
        const result = await withCycleLabels(labels, () => next(input));
        end({ outcome: 'completed' });
        metrics.activities.inc({ ...labels, activity, outcome: 'completed' });
        recordActivityResult(activity, labels, result);
        return result;
      } catch (err) {
        end({ outcome: 'failed' });
        metrics.activities.inc({ ...labels, activity, outcome: 'failed' });
        throw err;
      }
    },
  },
});
