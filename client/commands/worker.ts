import { runWorker } from '../../worker/main';
import type { Command } from '../command';
import { cliDataConverter } from '../codec';
import { loadConfigFile } from '../config-file';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker on the ml-connector task queue (uses TEMPORAL_ADDRESS)',
  usage: 'ml-connector worker [--config ml-connector.config.json] [--task-queue Q]',
  options: {
    config: { type: 'string', description: 'Connection config file to validate at start (cycles carry their config)' },
    'task-queue': { type: 'string', description: 'Task queue (default ml-connector, or ML_CONNECTOR_TASK_QUEUE)' },
  },
  async run(ctx) {
    // Cycles carry their (secret-free) config in the workflow input; --config is checked up front so
    // a broken file is reported before the worker starts polling.
    if (ctx.values.config) loadConfigFile(String(ctx.values.config));
    const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
    await runWorker({ address, namespace: process.env.TEMPORAL_NAMESPACE, taskQueue: (ctx.values['task-queue'] as string | undefined) ?? process.env.ML_CONNECTOR_TASK_QUEUE, dataConverter: cliDataConverter(), log: ctx.out });
    return 0;
  },
};
