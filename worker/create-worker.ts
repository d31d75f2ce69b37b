/**
 * Builds the connector's Temporal worker. Used by `ml-connector worker`, the embedded `start`, and
 * the tests (which pass their own activities), so every path runs the same options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type LogLevel,
  type TelemetryOptions,
  type WorkerOptions,
} from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { workflowBundleSetting } from '../common/node/env';
import { TASK_QUEUE } from '../common/ids';
import { openNativeConnection } from '../common/node/temporal-connection';
import { localTemporalSettings, type TemporalSettings } from '../common/node/temporal-settings';
import { activityMetricsInterceptor } from './activity-metrics';
import { setupTracing } from './tracing';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * The prebuilt workflow bundle `npm run build` writes (scripts/build-workflow-bundle.ts): beside the
 * compiled worker, dist/workflow-bundle.js. Running from TypeScript sources (tsx) there is none, so
 * dev and tests always bundle the current workflow code and can never load a stale bundle.
 */
export const PREBUILT_BUNDLE_PATH = workflowBundleSetting() ?? path.resolve(__dirname, '..', 'workflow-bundle.js');

let runtimeInstalled = false;

/**
 * Installs the SDK runtime once per process. Signals are handled by our own code (start/worker
 * commands) so the dev server and sandboxes can be stopped in the right order.
 */
export function installRuntime(level: LogLevel = 'WARN', telemetryOptions?: TelemetryOptions): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [], telemetryOptions });
}

const bundleCache = new Map<string, Promise<{ code: string }>>();
/** Bundles workflow code once per process and module (webpack takes a couple of seconds). */
export function workflowBundle(workflowsPath: string = WORKFLOWS_PATH): Promise<{ code: string }> {
  let b = bundleCache.get(workflowsPath);
  if (!b)
    bundleCache.set(workflowsPath, (b = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') })));
  return b;
}

/**
 * The prebuilt bundle when there is one (production), else webpack at start (dev, tests). A test's
 * own workflows module (`workflowsPath`) is always bundled from source.
 */
export async function workerWorkflowSource(workflowsPath?: string): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  if (workflowsPath === undefined && fs.existsSync(PREBUILT_BUNDLE_PATH))
    return { workflowBundle: { codePath: PREBUILT_BUNDLE_PATH } };
  return { workflowBundle: await workflowBundle(workflowsPath) };
}

export interface ConnectorWorkerOptions {
  /** Where and how to connect (TLS, API key); see common/node/temporal-settings.ts. */
  temporal?: TemporalSettings;
  /** Plaintext loopback server started by this process (embedded start, tests); ignored with `temporal`. */
  address?: string;
  namespace?: string;
  taskQueue?: string;
  activities: object;
  dataConverter?: DataConverter;
  identity?: string;
  /** Tests: a workflows module of their own instead of the production one (e.g. with the demo workflow of test/fixtures). */
  workflowsPath?: string;
  /** Extra Worker options (tests lower caches and timeouts). */
  overrides?: Partial<WorkerOptions>;
}

export async function createConnectorWorker(
  options: ConnectorWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  if (!options.temporal && !options.address)
    throw new Error('createConnectorWorker: give `temporal` settings or the `address` of a local server');
  const settings = options.temporal ?? localTemporalSettings(options.address!, options.namespace);
  const connection = await openNativeConnection(settings);
  const tracing = await setupTracing();
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace ?? settings.namespace,
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      ...(await workerWorkflowSource(options.workflowsPath)),
      activities: options.activities,
      interceptors: { activity: [activityMetricsInterceptor, ...(tracing ? [tracing.activity] : [])] },
      dataConverter: options.dataConverter,
      identity: options.identity ?? `ml-connector-worker@${process.pid}`,
      // Small machines: keep the cache bounded (docs/temporal.md §4.5).
      maxCachedWorkflows: 100,
      maxConcurrentActivityTaskExecutions: 20,
      // Let in-flight activities finish (they heartbeat a cursor, so a cut is safe but wasteful).
      shutdownGraceTime: '10s',
      ...options.overrides,
    });
    return { worker, connection };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
