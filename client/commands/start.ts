/**
 * `ml-connector start` / `dev`: the embedded default. A Temporal dev server (SQLite under .data/,
 * UI on :8233), a worker in this process, one run, a summary and the UI link. `start --once` exits
 * after the run; otherwise (and with `dev`) it stays up until Ctrl-C, then stops everything.
 */
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../../activities';
import { TASK_QUEUE } from '../../common/ids';
import { statusQuery } from '../../common/messages';
import { createConnectorWorker } from '../../worker/create-worker';
import { connectorDemo } from '../../workflows';
import type { Command, CommandContext } from '../command';
import { startTemporal } from '../dev-server';
import { dataDir } from '../paths';

export const startOptions = {
  once: { type: 'boolean', description: 'Exit after the run completes' },
  port: { type: 'string', description: 'Temporal gRPC port', default: '7233' },
  'ui-port': { type: 'string', description: 'Temporal Web UI port', default: '8233' },
} as const;

export async function runEmbedded(ctx: CommandContext, stayUp: boolean): Promise<number> {
  const out = ctx.out;
  const server = await startTemporal({
    dbFile: path.join(dataDir(), 'temporal.db'),
    port: Number(ctx.values.port ?? 7233),
    uiPort: Number(ctx.values['ui-port'] ?? 8233),
    log: (l) => out(`• ${l}`),
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const { worker, connection: workerConnection } = await createConnectorWorker({ address: server.address, activities: createActivities() });
  const workerRun = worker.run();
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun.catch(() => undefined);
    await workerConnection.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await server.stop();
  };
  const onSignal = () => {
    out('\nstopping (worker, Temporal server)…');
    void stopAll().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const workflowId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    out(`• starting workflow ${workflowId}`);
    const handle = await client.workflow.start(connectorDemo, { taskQueue: TASK_QUEUE, workflowId, args: [{ steps: ['preflight', 'alignDimensions', 'importActuals', 'exportPlan', 'postJournals'] }] });
    let last = '';
    const progress = setInterval(() => {
      handle.query(statusQuery).then(
        (s) => {
          const line = `  step: ${s.step ?? '—'} (${s.steps.filter((x) => x.state === 'done').length}/${s.steps.length} done)`;
          if (line !== last) out((last = line));
        },
        () => undefined,
      );
    }, 300);
    const result = await handle.result().finally(() => clearInterval(progress));
    out(`✔ workflow ${workflowId} completed: ${result.completed.join(' → ')}`);
    if (server.uiUrl) out(`Temporal UI: ${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(workflowId)}`);
    if (stayUp) {
      out('Running. Press Ctrl-C to stop.');
      await new Promise<void>(() => undefined);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

export const startCommand: Command = {
  name: 'start',
  summary: 'Embedded default: dev server + sandboxes + worker, one planning cycle, summary',
  usage: 'ml-connector start [--once] [--port 7233] [--ui-port 8233]',
  options: startOptions,
  run: (ctx) => runEmbedded(ctx, ctx.values.once !== true),
};

export const devCommand: Command = {
  name: 'dev',
  summary: 'Like start, but stays up after the cycle (until Ctrl-C)',
  usage: 'ml-connector dev [--port 7233] [--ui-port 8233]',
  options: { port: startOptions.port, 'ui-port': startOptions['ui-port'] },
  run: (ctx) => runEmbedded(ctx, true),
};
