/**
 * Worker process entry: `ml-connector worker` (or `node --import tsx worker/main.ts`).
 * Connects to TEMPORAL_ADDRESS (TLS, mTLS or API key from the TEMPORAL_TLS_* / TEMPORAL_API_KEY
 * settings, validated first: common/node/temporal-settings.ts), polls the `ml-connector` task queue with the real activities
 * (stores under ML_CONNECTOR_DATA_DIR), drains on SIGINT/SIGTERM.
 */
import type { DataConverter } from '@temporalio/common';
import { Client } from '@temporalio/client';
import { createConnectorWorker } from './create-worker';
import { startObservability } from './observability';
import { buildActivities } from './deps';
import { certificateWarnings } from '../activities/store';
import { resolveDataConverter } from '../common/node/codec-config';
import { SettingsError, dataDirFrom, readSettings, temporalSettings, type Env } from '../common/node/env';
import { openClientConnection } from '../common/node/temporal-connection';
import {
  describeTemporalSettings,
  plaintextWarning,
  TemporalSettingsError,
  type TemporalSettings,
} from '../common/node/temporal-settings';

export interface RunWorkerOptions {
  /** Connection settings (TLS, API key); default: read from the environment and validated. */
  temporal?: TemporalSettings;
  /** Overrides TEMPORAL_ADDRESS when `temporal` is not given. */
  address?: string;
  namespace?: string;
  taskQueue?: string;
  dataDir?: string;
  /** The environment the settings are read from (common/node/env.ts); default this process's. */
  env?: Env;
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
  const observability = await startObservability({
    metricsPort: options.metricsPort,
    metricsHost: options.metricsHost,
    log,
  });
  // Validated before anything connects: a bad CA path or a key without its certificate stops here.
  const settings =
    options.temporal ?? temporalSettings(options.env, { address: options.address, namespace: options.namespace });
  const warning = plaintextWarning(settings);
  if (warning) log(`⚠ ${warning}`);
  const clientConnection = await openClientConnection(settings);
  const temporal = new Client({
    connection: clientConnection,
    namespace: settings.namespace,
    dataConverter: options.dataConverter,
  });
  const built = buildActivities({
    dataDir: dataDirFrom(options.env, options.dataDir),
    env: options.env,
    temporal,
    taskQueue: options.taskQueue,
    log: (m, f) => log(`${m}${f ? ` ${JSON.stringify(f)}` : ''}`),
  });
  for (const w of certificateWarnings(built.stores.vault)) log(`⚠ ${w}`);
  const { worker, connection } = await createConnectorWorker({
    temporal: settings,
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
  log(`worker: polling task queue ${worker.options.taskQueue} on ${describeTemporalSettings(settings)}`);
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
  // Every setting is read and checked once, before anything starts; all problems are reported together.
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings();
  } catch (err) {
    if (!(err instanceof SettingsError || err instanceof TemporalSettingsError)) throw err;
    console.error(`worker refused: ${err.message}`);
    process.exit(1);
  }
  const dataConverter = resolveDataConverter({ dataDir: settings.paths.dataDir });
  // Same rule as `ml-connector worker` (issue 13 item 3): no keys, no plaintext histories unless asked.
  if (!dataConverter && !settings.worker.insecurePlaintextPayloads) {
    console.error(
      'worker refused: no payload codec keys (set ML_CONNECTOR_CODEC_KEYS or ML_CONNECTOR_CODEC_KEY_FILE; ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS=true accepts plaintext histories)',
    );
    process.exit(1);
  }
  runWorker({
    taskQueue: settings.worker.taskQueue,
    temporal: settings.temporal,
    dataDir: settings.paths.dataDir,
    dataConverter,
  }).catch((err) => {
    console.error(`worker failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
