/**
 * `npm run bench -- --scenario anaplan-sdk [--rows 1000000]`: the same CSV file (the GL Actuals
 * import's columns, `rows` rows on the model's leaf members) uploaded and imported into the same
 * Anaplan sandbox by the project's client and by the PyPI package `anaplan-sdk`, both with their
 * defaults, both as their own process. anaplan-sdk goes into a throw-away venv (`python3 -m venv`,
 * `pip install anaplan-sdk`) deleted afterwards.
 *
 * Each client does `runs` upload + import rounds in one session (the first includes the login);
 * one after the other, never at once. Printed: both clients' seconds per round, the ratio
 * sdk_s / ours_s per round (> 1: ours is faster; goal ≥ 1.2), the load average when it started
 * (figures are only comparable side by side on a quiet machine) and the SDK's version.
 *
 * The sandbox plays the bench's request latency and 600/min budget; task time is the sandbox's own
 * work (parsing and storing the rows) plus its fixed `taskDurationMs`, identical for both clients.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ConnectionConfigSchema } from '../common/config';
import { inheritedEnv } from '../common/node/env';
import { PROJECT_ROOT } from '../client/paths';
import { startAnaplanSandbox } from '../sandbox/anaplan';
import type { AnaplanSandbox } from '../sandbox/anaplan/server';

const run = promisify(execFile);

export interface SdkComparisonSettings {
  requestLatencyMs: number;
  requestsPerMinute: number;
  /** Rounds per client (the second and later show what a long-lived session learns). */
  runs: number;
}

/** `rows` GL lines on the model's leaf members for one period, in the import's column order. */
function writeCsv(sb: AnaplanSandbox, file: string, rows: number): number {
  const m = sb.state.model;
  const leaves = (name: string) => {
    const list = m.lists.get(name)!;
    return list.items.filter((i) => list.isLeaf(i)).map((i) => i.code);
  };
  const [acc, sub, dep, cls, loc] = ['Accounts', 'Subsidiaries', 'Departments', 'Classes', 'Locations'].map(leaves) as [
    string[],
    string[],
    string[],
    string[],
    string[],
  ];
  const fd = fs.openSync(file, 'w');
  try {
    let buf = 'Account,Subsidiary,Department,Class,Location,Period,Amount\n';
    for (let i = 0; i < rows; i++) {
      // Walk the combinations with co-prime steps so consecutive rows differ in every column.
      buf += `${acc[i % acc.length]},${sub[(i * 7) % sub.length]},${dep[(i * 11) % dep.length]},${cls[(i * 13) % cls.length]},${loc[(i * 17) % loc.length]},Oct 26,${((i % 100_000) + 0.25).toFixed(2)}\n`;
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

/** Runs a child to completion; its last stdout line is its JSON result. */
function child(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    p.once('error', reject);
    p.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0)
        return reject(new Error(`${path.basename(args[args.length - 1] ?? cmd)} exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        reject(new Error(`${cmd}: no JSON result (${last.slice(0, 200)}; ${err.trim()})`));
      }
    });
  });
}

export async function sdkComparisonScenario(
  rows: number,
  settings: SdkComparisonSettings,
): Promise<Record<string, unknown>> {
  const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-sdk-'));
  let sb: AnaplanSandbox | undefined;
  try {
    // The throw-away venv: anaplan-sdk and its dependencies from PyPI.
    const venv = path.join(dir, 'venv');
    await run('python3', ['-m', 'venv', venv], { timeout: 120_000 });
    const py = path.join(venv, 'bin', 'python');
    await run(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'anaplan-sdk'], {
      timeout: 600_000,
    });
    const sdkVersion = (
      await run(py, ['-c', 'import importlib.metadata as m; print(m.version("anaplan-sdk"))'])
    ).stdout.trim();

    sb = await startAnaplanSandbox({ requestsPerMinute: settings.requestsPerMinute });
    const res = await fetch(`${sb.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', latencyMs: settings.requestLatencyMs, rate: 1 }),
    });
    if (!res.ok) throw new Error(`sandbox latency fault: ${res.status} ${await res.text()}`);
    const imp = [...sb.state.model.imports.values()].find((i) => i.name === 'Import GL Actuals');
    if (!imp) throw new Error('the sandbox model has no "Import GL Actuals"');
    const csvPath = path.join(dir, 'gl-actuals.csv');
    const bytes = writeCsv(sb, csvPath, rows);

    // The connection defaults (`parseConfig`): what a connection without anaplan tuning runs with.
    const defaults = ConnectionConfigSchema.shape.anaplan.parse({
      workspaceId: sb.workspaceId,
      modelId: sb.modelId,
      credentials: 'bench',
    });
    const base = inheritedEnv({ ANAPLAN_USER: sb.demoUser.email, ANAPLAN_PASSWORD: sb.demoUser.password });
    const ours = await child(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'bench-upload-client.ts')],
      {
        ...base,
        BENCH_UPLOAD: JSON.stringify({
          sandboxUrl: sb.url,
          workspaceId: sb.workspaceId,
          modelId: sb.modelId,
          fileId: imp.fileId,
          importId: imp.id,
          csvPath,
          chunkSizeBytes: Math.round(defaults.chunkSizeMb * 1024 * 1024),
          poll: { initialMs: defaults.pollInitialMs, factor: 1.5, maxMs: defaults.pollMaxMs },
          requestsPerMinute: defaults.requestsPerMinute,
          runs: settings.runs,
        }),
      },
    );
    const sdk = await child(py, [path.join(PROJECT_ROOT, 'scripts', 'bench-anaplan-sdk.py')], {
      ...base,
      SANDBOX_URL: sb.url,
      WORKSPACE_ID: sb.workspaceId,
      MODEL_ID: sb.modelId,
      FILE_ID: imp.fileId,
      IMPORT_ID: imp.id,
      CSV_PATH: csvPath,
      RUNS: String(settings.runs),
    });
    if (!ours.successful || !sdk.successful)
      throw new Error(`an import did not succeed: ours ${JSON.stringify(ours)}, anaplan-sdk ${JSON.stringify(sdk)}`);
    // Every row is on a leaf member: each of our imports must have loaded all of them.
    if ((ours.loaded as number[]).some((n) => n !== rows))
      throw new Error(`our imports loaded ${JSON.stringify(ours.loaded)} rows, not ${rows}`);
    const oursS = ours.seconds as number[];
    const sdkS = sdk.seconds as number[];
    return {
      scenario: `anaplan-sdk-${rows >= 1_000_000 ? `${rows / 1_000_000}m` : `${rows / 1_000}k`}`,
      rows,
      file_mb: Math.round((bytes / 1024 / 1024) * 10) / 10,
      ours_s: oursS,
      /** Of ours_s: until the file was whole on the server; and the status calls each import took. */
      ours_upload_s: ours.uploadSeconds,
      ours_polls: ours.polls,
      sdk_s: sdkS,
      /** > 1: the connector's client is faster; per round. */
      ratio: oursS.map((s, i) => Math.round((sdkS[i]! / s) * 100) / 100),
      load_avg: load,
      note: `anaplan-sdk ${sdkVersion} defaults (${Number(sdk.chunk_bytes) / 1e6} MB gzip chunks, parallel ${String(sdk.parallel)}, poll ${String(sdk.poll_s)} s); ours: ${ours.chunks} chunks of ${defaults.chunkSizeMb} MB, first poll 1 s or at the learned end, then ≥ ${defaults.pollInitialMs} ms apart after 10 s, budget ${defaults.requestsPerMinute}/min (peak slots ${String(ours.peakBudgetSlots)}); sandbox latency ${settings.requestLatencyMs} ms, ${settings.requestsPerMinute}/min`,
    };
  } finally {
    await sb?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
