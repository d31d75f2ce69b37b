/**
 * An end-to-end environment: both sandboxes, stores in a temp data dir, the demo connection config,
 * and a worker with the real activities on the run's Temporal server.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import { parseConfig, type ConnectionConfig, type ConnectionConfigInput } from '../../common/config';
import { startSandboxes, type Sandboxes, type SandboxesOptions } from '../../sandbox/embedded';
import { sandboxConnection } from '../../client/sandbox-connection';
import { createConnectorWorker } from '../../worker/create-worker';
import { buildActivities } from '../../worker/deps';
import { uniqueTaskQueue, type TestTemporal } from './temporal';

export interface CycleEnv {
  sandboxes: Sandboxes;
  config: ConnectionConfig;
  dataDir: string;
  taskQueue: string;
  built: ReturnType<typeof buildActivities>;
  startWorker(): Promise<{ worker: Worker; connection: NativeConnection; running: Promise<void> }>;
  close(): Promise<void>;
}

let envCount = 0;

export async function cycleEnv(
  t: TestTemporal,
  opts: SandboxesOptions & { configOverrides?: Partial<ConnectionConfigInput>; env?: NodeJS.ProcessEnv } = {},
): Promise<CycleEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-e2e-'));
  const env = { ...process.env, ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 7).toString('hex'), ...opts.env };
  // A seed of its own per environment: workspace/model IDs derive from it, so cycle and model-lock
  // workflow IDs never collide with another test's (each lives on its own test's task queue).
  const sandboxes = await startSandboxes({
    seed: opts.seed ?? 1000 + (process.pid % 1000) * 100 + envCount++,
    ...opts,
  });
  const taskQueue = uniqueTaskQueue('e2e');
  const built = buildActivities({ dataDir, temporal: t.client, taskQueue, env });
  const config = parseConfig(sandboxConnection(sandboxes, built.stores.vault, 'demo', opts.configOverrides));
  const workers: Array<{ worker: Worker; connection: NativeConnection; running: Promise<void> }> = [];
  return {
    sandboxes,
    config,
    dataDir,
    taskQueue,
    built,
    async startWorker() {
      const { worker, connection } = await createConnectorWorker({
        address: t.server.address,
        taskQueue,
        activities: built.activities,
        overrides: { shutdownGraceTime: '1s' },
      });
      const w = { worker, connection, running: worker.run() };
      workers.push(w);
      return w;
    },
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running.catch(() => undefined);
        await w.connection.close().catch(() => undefined);
      }
      await built.close();
      await sandboxes.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
