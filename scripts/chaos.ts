/**
 * `npm run chaos [-- --cycles 5 --kills 20 --seed 1]`: planning cycles on two Anaplan models run
 * while the worker process (`ml-connector worker --config F`) is SIGKILLed at random moments and
 * restarted; afterwards the invariants are checked against the sandboxes (scripts/chaos-invariants.ts):
 * every cycle completed, Anaplan actuals = NetSuite per combination, each planned journal exactly
 * once with the planned lines, no externalId twice, no two tasks overlapping on a model.
 * Prints every kill and every invariant; exits non-zero on any violation.
 *
 * Cycles: cycle i runs on model i % 2, for the month ⌊i/2⌋ months before 2026-10; the 2026-10
 * cycles are `full` (they post the plan), earlier months `actuals`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { openClientConnection } from '../common/temporal-connection';
import { parseConfig, type ConnectionConfig } from '../common/config';
import { resolveDataConverter } from '../common/codec-config';
import type { CycleSummary } from '../common/dto';
import { cycleWorkflowId, type CycleKind } from '../common/ids';
import { openStores } from '../activities/store';
import { startTemporal } from '../client/dev-server';
import { PROJECT_ROOT } from '../client/paths';
import { startAnaplanSandbox } from '../sandbox/anaplan';
import { sandboxConnection, startSandboxes, type Sandboxes } from '../sandbox/embedded';
import { planningCycle } from '../workflows';
import { checkActuals, checkJournals, checkNoOverlap, formatResults, type InvariantResult } from './chaos-invariants';
import { rng } from '../sandbox/demo-company';

export interface ChaosOptions {
  cycles: number;
  kills: number;
  seed: number;
  /** Random pause before each kill (after the worker polls again). */
  minIntervalMs: number;
  maxIntervalMs: number;
  glLines: number;
  log: (line: string) => void;
}

export const CHAOS_DEFAULTS: Omit<ChaosOptions, 'log'> = { cycles: 5, kills: 20, seed: 1, minIntervalMs: 300, maxIntervalMs: 3_000, glLines: 6_000 };

export interface ChaosReport {
  kills: Array<{ at_s: number; pid: number; running: number }>;
  results: InvariantResult[];
  ok: boolean;
}

const MASTER_KEY = Buffer.alloc(32, 3).toString('hex');


function monthsBefore(period: string, n: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log;
  const random = rng(opts.seed);
  const server = await startTemporal({ uiPort: false, startTimeoutMs: 120_000 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-chaos-'));
  const env = { ...process.env, ML_CONNECTOR_MASTER_KEY: MASTER_KEY, ML_CONNECTOR_DATA_DIR: dataDir, TEMPORAL_ADDRESS: server.address };
  const a = await startSandboxes({ netsuite: { glLines: opts.glLines } });
  const bAnaplan = await startAnaplanSandbox({ seed: 43 });
  const models: Sandboxes[] = [a, { netsuite: a.netsuite, anaplan: bAnaplan, close: () => bAnaplan.close() }];
  const stores = openStores({ dataDir, env });
  const configs: ConnectionConfig[] = models.map((s, i) => parseConfig(sandboxConnection(s, stores.vault, `chaos${i}`)));
  await stores.close();
  const configFile = path.join(dataDir, 'ml-connector.config.json');
  fs.writeFileSync(configFile, JSON.stringify(configs[0], null, 2));
  const taskQueue = `chaos-${process.pid}-${Date.now().toString(36)}`;

  let worker: ChildProcess | undefined;
  const startWorker = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'client', 'cli.ts'), 'worker', '--config', configFile, '--task-queue', taskQueue, '--insecure-plaintext-payloads'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('polling')) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, sig) => reject(new Error(`worker exited (${code ?? sig}) before polling: ${err.slice(-1500)}`)));
    });
    return child;
  };
  const stopWorker = async (signal: NodeJS.Signals) => {
    const w = worker;
    if (!w || w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise((r) => w.once('exit', r));
    w.kill(signal);
    await exited;
  };

  const connection = await openClientConnection(server.settings);
  const kills: ChaosReport['kills'] = [];
  const results: InvariantResult[] = [];
  try {
    worker = await startWorker();
    const client = new Client({ connection, namespace: server.namespace, dataConverter: resolveDataConverter({ dataDir, env }) });
    const runs = Array.from({ length: opts.cycles }, (_, i) => {
      const period = monthsBefore('2026-10', Math.floor(i / 2));
      return { model: i % 2, period, kind: (period === '2026-10' ? 'full' : 'actuals') as CycleKind };
    });
    const t0 = performance.now();
    const handles = await Promise.all(
      runs.map((r) =>
        client.workflow.start(planningCycle, {
          taskQueue,
          workflowId: cycleWorkflowId(configs[r.model]!.anaplan.workspaceId, configs[r.model]!.anaplan.modelId, r.period, r.kind),
          // A killed activity is retried after its heartbeat timeout: keep it short so chaos stays quick.
          args: [{ config: configs[r.model]!, period: r.period, kind: r.kind, options: { heartbeatTimeoutMs: 10_000 } }],
        }),
      ),
    );
    log(`started ${runs.length} cycles on 2 models: ${runs.map((r) => `${r.model}:${r.period}:${r.kind}`).join(', ')}`);
    const outcomes: Array<CycleSummary | Error | undefined> = runs.map(() => undefined);
    const done = Promise.all(handles.map((h, i) => h.result().then((s) => (outcomes[i] = s), (e: Error) => (outcomes[i] = e))));
    let finished = false;
    void done.then(() => (finished = true));

    while (!finished && kills.length < opts.kills) {
      const wait = opts.minIntervalMs + random() * (opts.maxIntervalMs - opts.minIntervalMs);
      await Promise.race([new Promise((r) => setTimeout(r, wait)), done]);
      if (finished) break;
      const pid = worker.pid!;
      await stopWorker('SIGKILL');
      const running = outcomes.filter((o) => o === undefined).length;
      kills.push({ at_s: Math.round((performance.now() - t0) / 100) / 10, pid, running });
      log(`kill ${kills.length}/${opts.kills}: SIGKILL worker ${pid} at ${kills.at(-1)!.at_s}s (${running} cycles running); restarting`);
      worker = await startWorker();
    }
    await done;
    log(`all cycles ended after ${Math.round((performance.now() - t0) / 1000)}s and ${kills.length} kills`);

    for (const [i, r] of runs.entries()) {
      const o = outcomes[i];
      const ok = o !== undefined && !(o instanceof Error) && o.status === 'completed';
      results.push({ name: `cycle ${r.model}:${r.period}:${r.kind} completed`, ok, detail: o instanceof Error ? `failed: ${o.message}${o.cause ? ` — ${(o.cause as Error).message}` : ''}` : o ? `status ${o.status}` : 'no result' });
    }
    for (const [i, r] of runs.entries()) if (!(outcomes[i] instanceof Error)) results.push(checkActuals(models[r.model]!, configs[r.model]!, r.period));
    for (const m of [0, 1]) {
      const full = runs.findIndex((r) => r.model === m && r.kind === 'full');
      const sum = outcomes[full];
      const expected = sum && !(sum instanceof Error) && sum.plan ? { count: sum.plan.journals, planCents: sum.plan.planCents } : undefined;
      if (full >= 0) results.push(...(await checkJournals(models[m]!, configs[m]!, expected)));
      results.push(checkNoOverlap(models[m]!, configs[m]!.anaplan.modelId));
    }
  } finally {
    await stopWorker('SIGTERM').catch(() => undefined);
    await connection.close();
    await bAnaplan.close();
    await a.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const ok = results.length > 0 && results.every((r) => r.ok);
  log(formatResults(results));
  log(`${ok ? 'PASS' : 'FAIL'}: ${results.filter((r) => r.ok).length}/${results.length} invariants hold after ${kills.length} kills`);
  return { kills, results, ok };
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string' },
      kills: { type: 'string' },
      seed: { type: 'string' },
      'min-interval-ms': { type: 'string' },
      'max-interval-ms': { type: 'string' },
      'gl-lines': { type: 'string' },
    },
  });
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  runChaos({
    cycles: num(values.cycles, CHAOS_DEFAULTS.cycles),
    kills: num(values.kills, CHAOS_DEFAULTS.kills),
    seed: num(values.seed, CHAOS_DEFAULTS.seed),
    minIntervalMs: num(values['min-interval-ms'], CHAOS_DEFAULTS.minIntervalMs),
    maxIntervalMs: num(values['max-interval-ms'], CHAOS_DEFAULTS.maxIntervalMs),
    glLines: num(values['gl-lines'], CHAOS_DEFAULTS.glLines),
    log: (l) => console.log(l),
  }).then(
    (r) => process.exit(r.ok ? 0 : 1),
    (err) => {
      console.error(`chaos failed: ${(err as Error).stack ?? err}`);
      process.exit(2);
    },
  );
}
