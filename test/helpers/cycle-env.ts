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
import { after, before } from 'node:test';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from './temporal';
import { inheritedEnv } from '../../common/node/env';

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
  const env = inheritedEnv({ ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 7).toString('hex'), ...opts.env });
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

/**
 * The usual e2e set-up of a describe block: before its tests, the run's Temporal and one cycle
 * environment with a worker running, handed to `set` (e.g. `(x) => ({ t, env } = x)`); after them,
 * both closed.
 */
export function cycleEnvHooks(
  opts: Parameters<typeof cycleEnv>[1],
  set: (x: { t: TestTemporal; env: CycleEnv }) => void,
): void {
  const held: { t?: TestTemporal; env?: CycleEnv } = {};
  before(async () => {
    const t = (held.t = await testTemporal());
    const env = (held.env = await cycleEnv(t, opts));
    await env.startWorker();
    set({ t, env });
  });
  after(async () => {
    await held.env?.close();
    await held.t?.close();
  });
}
