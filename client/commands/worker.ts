import { runWorker } from '../../worker/main';
import type { Command } from '../command';
import { cliDataConverter } from '../codec';
import { loadConfigFile } from '../config-file';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker on the ml-connector task queue (uses TEMPORAL_ADDRESS and the TEMPORAL_TLS_* / TEMPORAL_API_KEY settings)',
  usage: 'ml-connector worker [--config ml-connector.config.json] [--task-queue Q]',
  options: {
    config: { type: 'string', description: 'Connection config file to validate at start (cycles carry their config)' },
    'task-queue': { type: 'string', description: 'Task queue (default ml-connector, or ML_CONNECTOR_TASK_QUEUE)' },
  },
  async run(ctx) {
    // Cycles carry their (secret-free) config in the workflow input; --config is checked up front so
    // a broken file is reported before the worker starts polling.
    if (ctx.values.config) loadConfigFile(String(ctx.values.config));
    // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API key settings come from the environment (runWorker validates them).
    await runWorker({ taskQueue: (ctx.values['task-queue'] as string | undefined) ?? process.env.ML_CONNECTOR_TASK_QUEUE, dataConverter: cliDataConverter(), log: ctx.out });
    return 0;
  },
};
