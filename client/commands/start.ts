/**
 * `ml-connector start` / `dev`: the embedded default. A Temporal dev server (SQLite under .data/,
 * UI on :8233), both sandboxes with the seeded demo company, a worker in this process, one full
 * planning cycle for the latest closed period with progress, a summary and the UI link.
 * `start --once` exits after the cycle; otherwise (and with `dev`) it stays up until Ctrl-C.
 */
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { parseConfig } from '../../common/config';
import { openClientConnection } from '../../common/node/temporal-connection';
import { createConnectorWorker } from '../../worker/create-worker';
import { buildActivities } from '../../worker/deps';
import type { Command, CommandContext } from '../command';
import { cliDataConverter } from '../codec';
import { latestClosedPeriod, renderSummary, startCycle, watchCycle } from '../cycle-runner';
import { startTemporal } from '../dev-server';
import { dataDir } from '../paths';
import { defaultReportFile, workflowInfo, writeReport } from '../report';
import { sandboxConnection } from '../sandbox-connection';

export const startOptions = {
  once: { type: 'boolean', description: 'Exit after the cycle completes' },
  port: { type: 'string', description: 'Temporal gRPC port', default: '7233' },
  'ui-port': { type: 'string', description: 'Temporal Web UI port', default: '8233' },
  'gl-lines': { type: 'string', description: 'Accounting lines of seeded GL activity', default: '20000' },
  seed: { type: 'string', description: 'Seed of the demo company', default: '42' },
} as const;

export async function runEmbedded(ctx: CommandContext, stayUp: boolean): Promise<number> {
  const out = ctx.out;
  const dir = dataDir();
  const cleanups: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  const onSignal = () => {
    out('\nstopping (worker, sandboxes, Temporal server)…');
    void stopAll().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const server = await startTemporal({
      dbFile: path.join(dir, 'temporal.db'),
      port: Number(ctx.values.port ?? 7233),
      uiPort: Number(ctx.values['ui-port'] ?? 8233),
      log: (l) => out(`• ${l}`),
    });
    cleanups.push(() => server.stop());
    // Loaded on use: the production image ships without the sandboxes (Dockerfile).
    const { startSandboxes } = await import('../../sandbox/embedded');
    const sandboxes = await startSandboxes({
      seed: Number(ctx.values.seed ?? 42),
      netsuite: { glLines: Number(ctx.values['gl-lines'] ?? 20_000) },
    });
    cleanups.push(() => sandboxes.close());
    out(
      `• NetSuite sandbox ${sandboxes.netsuite.url} (account ${sandboxes.netsuite.accountId}); Anaplan sandbox ${sandboxes.anaplan.url}`,
    );
    const dataConverter = cliDataConverter();
    // server.settings: TLS / API key from the environment when TEMPORAL_ADDRESS names an existing server.
    const connection = await openClientConnection(server.settings);
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: server.namespace, dataConverter });
    const built = buildActivities({ dataDir: dir, temporal: client });
    cleanups.push(() => built.close());
    const config = parseConfig(sandboxConnection(sandboxes, built.stores.vault, 'demo'));
    const { worker, connection: workerConnection } = await createConnectorWorker({
      temporal: server.settings,
      activities: built.activities,
      dataConverter,
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await workerConnection.close();
    });
    const period = await latestClosedPeriod({ ports: built.ports }, config);
    out(`• full cycle for ${period} (latest closed NetSuite period)`);
    const handle = await startCycle(client, config, period, 'full');
    if (server.uiUrl)
      out(
        `• watch it: ${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`,
      );
    let code = 0;
    try {
      const summary = await watchCycle(handle, out);
      for (const l of renderSummary(summary)) out(l);
      if (summary.tieOut && !summary.tieOut.balanced) code = 1;
    } catch (err) {
      ctx.err(`✖ cycle failed: ${(err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message}`);
      code = 1;
    }
    // The reconciliation report of the demo cycle (issue 16 item 4), also for a failed cycle.
    try {
      const { file } = await writeReport({
        cycleId: handle.workflowId,
        audit: built.stores.audit,
        artifacts: built.stores.artifacts,
        workflow: await workflowInfo(client, handle.workflowId),
        out: defaultReportFile(handle.workflowId, dir),
      });
      out(`Reconciliation report: ${file}`);
    } catch (err) {
      ctx.err(`⚠ reconciliation report not written: ${(err as Error).message}`);
    }
    if (server.uiUrl) out(`Temporal UI: ${server.uiUrl}`);
    if (stayUp) {
      out('Running (worker, sandboxes, Temporal). Press Ctrl-C to stop.');
      await new Promise<void>(() => undefined);
    }
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

export const startCommand: Command = {
  name: 'start',
  summary: 'Embedded default: dev server + sandboxes + worker, one planning cycle, summary',
  usage: 'ml-connector start [--once] [--port 7233] [--ui-port 8233] [--gl-lines N] [--seed S]',
  options: startOptions,
  run: (ctx) => runEmbedded(ctx, ctx.values.once !== true),
};

export const devCommand: Command = {
  name: 'dev',
  summary: 'Like start, but stays up after the cycle (until Ctrl-C)',
  usage: 'ml-connector dev [--port 7233] [--ui-port 8233]',
  options: {
    port: startOptions.port,
    'ui-port': startOptions['ui-port'],
    'gl-lines': startOptions['gl-lines'],
    seed: startOptions.seed,
  },
  run: (ctx) => runEmbedded(ctx, true),
};
