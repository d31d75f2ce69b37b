/**
 * Worker process entry: `ml-connector worker` (or `node --import tsx worker/main.ts`).
 * Connects to TEMPORAL_ADDRESS, polls the `ml-connector` task queue with the real activities
 * (stores under ML_CONNECTOR_DATA_DIR), drains on SIGINT/SIGTERM.
 */
import type { DataConverter } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { dataDir } from '../client/paths';
import { createConnectorWorker } from './create-worker';
import { startObservability } from './observability';
import { buildActivities } from './deps';
import { certificateWarnings } from '../activities/store';
import { resolveDataConverter } from '../common/codec-config';

export interface RunWorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  dataDir?: string;
  dataConverter?: DataConverter;
  log?: (line: string) => void;
  /** Serve Prometheus `/metrics` (connector + Temporal SDK metrics) on this port. */
  metricsPort?: number;
  /** Bind address of `/metrics` (default 127.0.0.1; 0.0.0.0 in the image). */
  metricsHost?: string;
}

export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  // Before any connection: the SDK runtime's metrics exporter is fixed when the runtime is installed.
  const observability = await startObservability({ metricsPort: options.metricsPort, metricsHost: options.metricsHost, log });
  const clientConnection = await Connection.connect({ address: options.address });
  const temporal = new Client({ connection: clientConnection, namespace: options.namespace ?? 'default', dataConverter: options.dataConverter });
  const built = buildActivities({ dataDir: options.dataDir ?? dataDir(), temporal, taskQueue: options.taskQueue, log: (m, f) => log(`${m}${f ? ` ${JSON.stringify(f)}` : ''}`) });
  for (const w of certificateWarnings(built.stores.vault)) log(`⚠ ${w}`);
  const { worker, connection } = await createConnectorWorker({
    address: options.address,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: built.activities,
    dataConverter: options.dataConverter,
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
    await clientConnection.close();
    await built.close();
    await observability.close();
  }
}

if (require.main === module) {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  runWorker({ address, namespace: process.env.TEMPORAL_NAMESPACE, taskQueue: process.env.ML_CONNECTOR_TASK_QUEUE, dataConverter: resolveDataConverter({ dataDir: dataDir() }) }).catch((err) => {
    console.error(`worker failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
