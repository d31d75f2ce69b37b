/**
 * The PostgreSQL server of the test run (issue 14 item 3): Debian's `postgresql` binaries, a cluster
 * made by initdb in a temporary directory, on a free loopback port with its unix socket in that
 * directory. PostgreSQL refuses to run as root, so under root (CI) the server runs as the `postgres`
 * system user the package creates. Trust auth on loopback only: the cluster lives for one test run.
 * `stop()` shuts it down and removes the directory; the caller runs it in a `finally`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { freePort } from '../client/dev-server';
import { devToolSettings, pathOnlyEnv, type Env } from '../common/node/env';

export interface PgServer {
  /** Superuser URL of the `postgres` database; tests create their own databases from it. */
  url: string;
  stop(): Promise<void>;
}

/** initdb/postgres of the newest installed major version (PG_BIN wins). */
export function findPgBin(env?: Env): string {
  const configured = devToolSettings(env).pgBin;
  if (configured) return configured;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const m of majors) if (fs.existsSync(path.join(root, m, 'bin', 'initdb'))) return path.join(root, m, 'bin');
  throw new Error(
    'PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql, or set PG_BIN)',
  );
}

/** uid/gid to run the server as: the `postgres` user when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line)
    throw new Error(
      'running as root but there is no postgres system user to run PostgreSQL as (apt-get install postgresql creates it)',
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `PostgreSQL exited before it was ready (${child.exitCode ?? child.signalCode}): ${output().slice(-1500)}`,
      );
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (e) {
      last = (e as Error).message;
    } finally {
      await c.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`PostgreSQL at ${url} did not answer within ${timeoutMs} ms (${last})`);
}

export async function startPgServer(
  opts: { log?: (line: string) => void; startTimeoutMs?: number } = {},
): Promise<PgServer> {
  const bin = findPgBin();
  const user = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-pg-'));
  const data = path.join(dir, 'data');
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'mlc', '--auth=trust', '--encoding=UTF8', '--no-instructions'],
    { ...asUser, encoding: 'utf8', env: pathOnlyEnv({ LANG: 'C' }), cwd: dir },
  );
  if (init.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed (${init.status ?? init.signal}): ${(init.stderr || init.stdout || String(init.error)).slice(-1500)}`,
    );
  }
  const port = await freePort();
  // fsync off: a test cluster is thrown away, and durability costs seconds per run on a shared disk.
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    {
      ...asUser,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: pathOnlyEnv({ LANG: 'C' }),
    },
  );
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // "fast" shutdown: ends sessions, no waiting for clients
      const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const url = `postgres://mlc@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(url, child, () => output, opts.startTimeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  opts.log?.(`PostgreSQL ready at ${url}`);
  return { url, stop };
}
