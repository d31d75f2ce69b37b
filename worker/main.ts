/**
 * Worker process entry: `ml-connector worker` (or `node --import tsx worker/main.ts`).
 * Connects to TEMPORAL_ADDRESS, polls the `ml-connector` task queue, drains on SIGINT/SIGTERM.
 */
import { createActivities } from '../activities';
import { createConnectorWorker } from './create-worker';

export interface RunWorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  activities?: object;
  log?: (line: string) => void;
}

export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { worker, connection } = await createConnectorWorker({
    address: options.address,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities ?? createActivities({ log: (m) => log(m) }),
  });
  const shutdown = () => {
    log('worker: shutting down (draining in-flight tasks)');
    worker.shutdown();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  log(`worker: polling task queue ${worker.options.taskQueue} on ${options.address}`);
  try {
    await worker.run();
  } finally {
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
    await connection.close();
  }
}

if (require.main === module) {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  runWorker({ address, namespace: process.env.TEMPORAL_NAMESPACE }).catch((err) => {
    console.error(`worker failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
