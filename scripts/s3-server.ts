/**
 * The S3-compatible server of the test run: MinIO, built from its Go module (scripts/ensure-minio.ts),
 * on a temporary data directory and a free loopback port, with credentials made up for this run.
 * `stop()` kills it and removes the directory; the caller runs it in a `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../client/dev-server';
import { pathOnlyEnv } from '../common/node/env';

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

async function waitReady(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `S3 server exited before it was ready (${child.exitCode ?? child.signalCode}): ${output().slice(-1500)}`,
      );
    try {
      // MinIO's liveness probe; answers once the object layer is up.
      const res = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`S3 server at ${endpoint} did not answer within ${timeoutMs} ms (${last})`);
}

export async function startS3Server(
  binary: string,
  opts: { log?: (line: string) => void; startTimeoutMs?: number } = {},
): Promise<S3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-s3-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = `mlc${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const child = spawn(
    binary,
    [
      'server',
      '--quiet',
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      path.join(dir, 'data'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: pathOnlyEnv({
        HOME: dir,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        // A static key turns on SSE-S3 (x-amz-server-side-encryption: AES256), which the store tests ask for.
        MINIO_KMS_SECRET_KEY: `mlc-test-key:${randomBytes(32).toString('base64')}`,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: '1',
      }),
    },
  );
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killed);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(endpoint, child, () => output, opts.startTimeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  opts.log?.(`S3 server (MinIO) ready at ${endpoint}`);
  return { endpoint, accessKeyId, secretAccessKey, stop };
}
