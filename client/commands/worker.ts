import { workerSettings } from '../../common/node/env';
import { runWorker } from '../../worker/main';
import type { Command } from '../command';
import { cliDataConverter } from '../codec';
import { loadConfigFile } from '../config-file';
import { UsageError } from '../command';

/** 0 asks for any free port (tests); the bound address is printed. */
export function parseMetricsPort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--metrics-port must be a port number 0-65535, got ${JSON.stringify(value)}`);
  return n;
}

export const workerCommand: Command = {
  name: 'worker',
  summary:
    'Run a worker on the ml-connector task queue (uses TEMPORAL_ADDRESS and the TEMPORAL_TLS_* / TEMPORAL_API_KEY settings)',
  usage: 'ml-connector worker [--config ml-connector.config.json] [--task-queue Q] [--metrics-port N]',
  options: {
    config: { type: 'string', description: 'Connection config file to validate at start (cycles carry their config)' },
    'task-queue': { type: 'string', description: 'Task queue (default ml-connector, or ML_CONNECTOR_TASK_QUEUE)' },
    'metrics-port': {
      type: 'string',
      description:
        'Serve Prometheus /metrics on this port (or ML_CONNECTOR_METRICS_PORT; bind address ML_CONNECTOR_METRICS_HOST, default 127.0.0.1)',
    },
  },
  async run(ctx) {
    // Cycles carry their (secret-free) config in the workflow input; --config is checked up front so
    // a broken file is reported before the worker starts polling.
    if (ctx.values.config) loadConfigFile(String(ctx.values.config));
    // The flags win over the environment (ML_CONNECTOR_METRICS_PORT, ML_CONNECTOR_TASK_QUEUE: common/node/env.ts).
    const settings = workerSettings();
    const flagPort = parseMetricsPort(ctx.values['metrics-port'] as string | undefined);
    // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API key settings come from the environment (runWorker validates them).
    await runWorker({
      taskQueue: (ctx.values['task-queue'] as string | undefined) ?? settings.taskQueue,
      dataConverter: cliDataConverter(),
      log: ctx.out,
      metricsPort: flagPort ?? settings.metricsPort,
      metricsHost: settings.metricsHost,
    });
    return 0;
  },
};
