import { runWorker } from '../../worker/main';
import type { Command } from '../command';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker on the ml-connector task queue (uses TEMPORAL_ADDRESS)',
  usage: 'ml-connector worker [--config ml-connector.config.json]',
  options: { config: { type: 'string', description: 'Connection config file' } },
  async run(ctx) {
    const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
    await runWorker({ address, namespace: process.env.TEMPORAL_NAMESPACE, log: ctx.out });
    return 0;
  },
};
