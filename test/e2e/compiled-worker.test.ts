/**
 * The production build end to end: `npm run build` (tsc + prebuilt workflow bundle), then the
 * compiled CLI (`node dist/client/cli.js worker --metrics-port 0`) as its own process runs a full
 * cycle against both sandboxes; its `/metrics` must then say exactly what the cycle's summary and
 * the sandboxes' own request statistics say.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStores } from '../../activities/store';
import { parseConfig, type ConnectionConfig } from '../../common/config';
import type { CycleSummary } from '../../common/dto';
import { cycleWorkflowId } from '../../common/ids';
import { PROJECT_ROOT } from '../../client/paths';
import { startSandboxes, type Sandboxes } from '../../sandbox/embedded';
import { sandboxConnection } from '../../client/sandbox-connection';
import { planningCycle } from '../../workflows';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const PERIOD = '2026-10';
const SUITEQL = 'POST /services/rest/query/v1/suiteql';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples (enough of the format for the assertions below). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('compiled worker (npm run build, node dist/client/cli.js worker)', () => {
  let t: TestTemporal;
  let sandboxes: Sandboxes;
  let config: ConnectionConfig;
  let dataDir: string;
  let worker: ChildProcess | undefined;
  let metricsUrl: string;
  let summary: CycleSummary;
  const taskQueue = uniqueTaskQueue('compiled');

  before(async () => {
    // The production build step itself (what the Dockerfile's build stage runs).
    const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
    assert.ok(
      fs.existsSync(path.join(PROJECT_ROOT, 'dist/workflow-bundle.js')),
      'the build writes the prebuilt workflow bundle',
    );

    t = await testTemporal();
    sandboxes = await startSandboxes({ seed: 4200 + (process.pid % 500), netsuite: { glLines: 4_000 } });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-compiled-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 9).toString('hex'),
    };
    // The worker process reads the credentials from the vault in its data dir.
    const stores = openStores({ dataDir, env });
    config = parseConfig(sandboxConnection(sandboxes, stores.vault, 'compiled'));
    await stores.close();

    // Two throttles on the GL query: the worker must count them and the retries they cause.
    const fault = await fetch(`${sandboxes.netsuite.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: '429', count: 2, route: SUITEQL, retryAfterSec: 0 }),
    });
    assert.ok(fault.ok, `fault injection: ${fault.status}`);

    worker = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'dist/client/cli.js'),
        'worker',
        '--metrics-port',
        '0',
        '--task-queue',
        taskQueue,
        '--insecure-plaintext-payloads',
      ],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...env,
          TEMPORAL_ADDRESS: t.server.address,
          TEMPORAL_NAMESPACE: t.server.namespace,
          ML_CONNECTOR_DATA_DIR: dataDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    worker.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    metricsUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      let url: string | undefined;
      worker!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        url ??= out.match(/metrics at (\S+)/)?.[1];
        if (url && out.includes('polling task queue')) resolve(url);
      });
      worker!.once('exit', (code) =>
        reject(new Error(`compiled worker exited (${code}) before polling:\n${out}\n${stderr}`)),
      );
    });
  });

  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await sandboxes?.close();
    await t?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a full cycle: actuals tie out, plan journals posted in NetSuite', async () => {
    const h = await t.client.workflow.start(planningCycle, {
      taskQueue,
      workflowId: cycleWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, PERIOD, 'full'),
      args: [{ config, period: PERIOD, kind: 'full' }],
    });
    summary = await h.result();
    assert.equal(summary.status, 'completed');
    assert.equal(summary.tieOut!.balanced, true, JSON.stringify(summary.tieOut));
    assert.ok(summary.import!.rowsImported > 0 && summary.extract!.quarantined > 0);
    assert.ok(summary.journals!.posted > 0);
    const journals = (await (
      await fetch(`${sandboxes.netsuite.url}/__sandbox/journals?limit=1000`)
    ).json()) as unknown[];
    assert.equal(journals.length, summary.journals!.posted, 'NetSuite holds the journals the cycle posted');
  });

  it('serves /metrics whose counters equal the cycle summary and the sandboxes’ request counts', async () => {
    assert.ok(summary, 'the cycle ran');
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const m = parseMetrics(await res.text());
    const l = { connection: 'compiled', model: config.anaplan.modelId };

    // As `cycle status` prints it: rows written to the import file plus rows quarantined.
    assert.equal(sum(m, 'mlc_rows_extracted_total', l), summary.extract!.rows + summary.extract!.quarantined);
    assert.equal(sum(m, 'mlc_rows_imported_total', l), summary.import!.rowsImported);
    assert.equal(sum(m, 'mlc_rows_rejected_total', l), summary.import!.rowsRejected);
    assert.equal(sum(m, 'mlc_rows_quarantined_total', l), summary.quarantined);
    assert.equal(sum(m, 'mlc_rows_quarantined_total', { ...l, step: 'importActuals' }), summary.extract!.quarantined);
    for (const [outcome, n] of [
      ['posted', summary.journals!.posted],
      ['updated', summary.journals!.updated],
      ['unchanged', summary.journals!.unchanged],
      ['retired', summary.journals!.retired ?? 0],
      ['refused', summary.journals!.failed],
    ] as const) {
      assert.equal(sum(m, 'mlc_journals_total', { ...l, outcome }), n, `journals ${outcome}`);
    }

    // HTTP calls: every request the NetSuite sandbox answered, each throttle, each token it issued.
    const ns = (await (await fetch(`${sandboxes.netsuite.url}/__sandbox/stats`)).json()) as {
      requests: Record<string, Record<string, number>>;
      tokensIssued: number;
    };
    const nsCalls = Object.values(ns.requests).reduce(
      (a, byStatus) => a + Object.values(byStatus).reduce((x, n) => x + n, 0),
      0,
    );
    const ns429 = Object.values(ns.requests).reduce((a, byStatus) => a + (byStatus['429'] ?? 0), 0);
    assert.equal(ns429, 2, 'the injected throttles were served');
    assert.equal(sum(m, 'mlc_api_calls_total', { ...l, system: 'netsuite' }), nsCalls);
    assert.equal(sum(m, 'mlc_api_throttles_total', { ...l, system: 'netsuite' }), 2);
    assert.ok(sum(m, 'mlc_api_retries_total', { ...l, system: 'netsuite' }) >= 2, 'each throttled request was retried');
    assert.equal(sum(m, 'mlc_token_mints_total', { ...l, system: 'netsuite' }), ns.tokensIssued);
    assert.ok(sum(m, 'mlc_token_mints_total', { ...l, system: 'anaplan' }) >= 1);
    assert.equal(
      sum(m, 'mlc_api_calls_total', { connection: 'unknown' }),
      0,
      'every call is labelled with its connection',
    );

    // Step durations: one observation per completed activity attempt.
    assert.equal(
      sum(m, 'mlc_step_duration_seconds_count', { ...l, activity: 'extractActuals', outcome: 'completed' }),
      1,
    );
    assert.equal(
      sum(m, 'mlc_step_duration_seconds_count', { ...l, activity: 'runActualsImport', outcome: 'completed' }),
      1,
    );

    // The Temporal SDK's own worker metrics, merged into the same endpoint.
    assert.equal(sum(m, 'temporal_workflow_completed', { task_queue: taskQueue, workflow_type: 'planningCycle' }), 1);
    assert.ok(sum(m, 'temporal_activity_execution_latency_count', { task_queue: taskQueue }) >= 6);
  });
});
