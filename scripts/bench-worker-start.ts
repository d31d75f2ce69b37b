/**
 * `npm run bench:worker-start -- --variant compiled --runs 5`: how fast a worker process is ready and
 * how much memory it holds idle. Each run starts `ml-connector worker` as its own process on a fresh
 * data dir against one dev server, and reports:
 *   ready_ms     process spawn → the worker's "polling task queue" line (Worker.create done: bundle
 *                loaded, connection up; run() starts polling right after it)
 *   rss_mb       VmRSS after 10 s idle (the baseline the worker carries between cycles)
 *   hwm_mb       VmHWM, the process's peak RSS so far (includes webpack when it bundles at start)
 *   cpu_ms       user + system CPU the process used until ready (all its threads): the part of
 *                ready_ms that does not depend on what else the machine is doing
 * Variants: `source` runs `node --import tsx <root>/client/cli.ts worker` (dev, bundles at start);
 * `compiled` runs `node <root>/dist/client/cli.js worker` (after `npm run build`: prebuilt bundle).
 * `--root` points at another checkout (e.g. a worktree of the commit before, to measure "before").
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startTemporal } from '../client/dev-server';
import { PROJECT_ROOT } from '../client/paths';
import { inheritedEnv, configuredTemporalAddress } from '../common/node/env';

/** utime + stime of a process in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Math.round(Number(m[1]) / 1024);
}

async function oneRun(
  root: string,
  variant: string,
  address: string,
  idleMs: number,
): Promise<{ ready_ms: number; cpu_ms: number; rss_mb: number; hwm_mb: number }> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-start-'));
  // The bench has no codec keys: plaintext payloads, said explicitly (issue 13 item 3).
  const args = [
    ...(variant === 'compiled'
      ? [path.join(root, 'dist/client/cli.js'), 'worker']
      : ['--import', 'tsx', path.join(root, 'client/cli.ts'), 'worker']),
    '--insecure-plaintext-payloads',
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: inheritedEnv({
      TEMPORAL_ADDRESS: address,
      ML_CONNECTOR_DATA_DIR: data,
      ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 7).toString('hex'),
      ML_CONNECTOR_TASK_QUEUE: `bench-start-${process.pid}`,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    let cpu_ms = 0;
    const ready_ms = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('polling task queue')) {
          cpu_ms = procCpuMs(child.pid!);
          resolve(Math.round(performance.now() - started));
        }
      });
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before polling: ${err.slice(-500)}`)));
    });
    await new Promise((r) => setTimeout(r, idleMs));
    return { ready_ms, cpu_ms, rss_mb: procStatusMb(child.pid!, 'VmRSS'), hwm_mb: procStatusMb(child.pid!, 'VmHWM') };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(data, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      variant: { type: 'string', default: 'compiled' },
      root: { type: 'string', default: PROJECT_ROOT },
      runs: { type: 'string', default: '5' },
      'idle-ms': { type: 'string', default: '10000' },
    },
  });
  const variant = values.variant!;
  if (variant !== 'compiled' && variant !== 'source')
    throw new Error(`--variant must be compiled or source, got ${variant}`);
  const root = path.resolve(values.root!);
  if (variant === 'compiled' && !fs.existsSync(path.join(root, 'dist/workflow-bundle.js')))
    throw new Error(`${root}/dist/workflow-bundle.js missing: run \`npm run build\` first`);
  const configured = configuredTemporalAddress();
  const server = configured ? undefined : await startTemporal({ log: () => undefined, startTimeoutMs: 120_000 });
  const address = configured ?? server!.address;
  try {
    for (let i = 0; i < Number(values.runs); i++) {
      const r = await oneRun(root, variant, address, Number(values['idle-ms']));
      console.log(JSON.stringify({ variant, root, run: i + 1, ...r }));
    }
  } finally {
    await server?.stop();
  }
}

main().catch((err) => {
  console.error(`bench-worker-start: ${(err as Error).message}`);
  process.exit(1);
});
