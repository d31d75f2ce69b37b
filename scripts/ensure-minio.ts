/**
 * Finds (and if needed builds) the MinIO server the tests run as their S3-compatible store, in this
 * order: MINIO_PATH, the project-local build under .data/tools/minio/bin (stamped with its version), the
 * machine's copy of that build (~/.cache/ml-connector/, so CI's fresh clone on the same machine does
 * not rebuild), then `go install github.com/minio/minio@<pinned>` from the Go module proxy into
 * .data/tools/minio (GOPATH, GOMODCACHE and GOBIN there). The build takes a few minutes on 2 cores, once per
 * machine. Run directly by .ci/run; used by scripts/run-tests.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { localToolsDir } from '../client/temporal-cli';
import { inheritedEnv, devToolSettings } from '../common/node/env';

/** MinIO publishes no semver tags for its Go module; this pseudo-version is its 2026-02-12 main. */
export const MINIO_MODULE = 'github.com/minio/minio';
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

export class MinioNotFoundError extends Error {
  constructor(readonly tried: string[]) {
    super(
      `MinIO server not found and not built. Tried:\n${tried.map((t) => `  - ${t}`).join('\n')}\nFix: install Go and run \`node --import tsx scripts/ensure-minio.ts\`, or set MINIO_PATH to a minio binary.`,
    );
    this.name = 'MinioNotFoundError';
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// Its own folder: pip's `--target .data/tools` (the Temporal CLI) will not write into an existing bin/.
function minioDir(): string {
  return path.join(localToolsDir(), 'minio');
}

function localBuild(): { binary: string; stamp: string } {
  const bin = path.join(minioDir(), 'bin');
  return { binary: path.join(bin, 'minio'), stamp: path.join(bin, 'minio.version') };
}

/** The machine-wide copy, outside any clone: one per pinned version. */
function machineCopy(): string {
  return path.join(devToolSettings().cacheDir, 'ml-connector', 'tools', `minio-${MINIO_VERSION}`);
}

export function resolveMinio(opts: { install?: boolean; log?: (line: string) => void } = {}): {
  path: string;
  source: string;
} {
  const log = opts.log ?? (() => undefined);
  const tried: string[] = [];
  const fromEnv = devToolSettings().minioPath;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { path: path.resolve(fromEnv), source: 'MINIO_PATH' };
    throw new MinioNotFoundError([`MINIO_PATH=${fromEnv}: not an executable file`]);
  }
  tried.push('MINIO_PATH: not set');
  const { binary, stamp } = localBuild();
  const stamped = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : '';
  if (isExecutable(binary) && stamped === MINIO_VERSION)
    return { path: binary, source: `.data/tools (${MINIO_VERSION})` };
  tried.push(
    `${binary}: ${isExecutable(binary) ? `built from ${stamped || 'an unknown version'}, not ${MINIO_VERSION}` : 'not present'}`,
  );
  if (isExecutable(machineCopy())) return { path: machineCopy(), source: `machine cache (${MINIO_VERSION})` };
  tried.push(`${machineCopy()}: not present`);
  if (opts.install === false) throw new MinioNotFoundError(tried);

  const goPath = path.join(minioDir(), 'go');
  const goBin = path.dirname(binary);
  const env = inheritedEnv({
    GOPATH: goPath,
    GOMODCACHE: path.join(goPath, 'mod'),
    GOBIN: goBin,
    // Module cache files writable, so `rm -rf .data/tools` works; the machine's own Go, no toolchain download.
    GOFLAGS: '-modcacherw',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  });
  fs.mkdirSync(goBin, { recursive: true });
  const args = ['install', '-trimpath', `${MINIO_MODULE}@${MINIO_VERSION}`];
  log(`building MinIO (first time only, a few minutes): go ${args.join(' ')}`);
  const started = Date.now();
  const res = spawnSync('go', args, {
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    timeout: 1_800_000,
  });
  if (res.status !== 0 || !isExecutable(binary)) {
    tried.push(
      `go ${args.join(' ')} → ${res.error ? res.error.message : `exit ${res.status ?? res.signal}`}: ${(res.stderr || '').trim().split('\n').slice(-3).join(' | ')}`,
    );
    throw new MinioNotFoundError(tried);
  }
  fs.writeFileSync(stamp, `${MINIO_VERSION}\n`);
  try {
    fs.mkdirSync(path.dirname(machineCopy()), { recursive: true });
    fs.copyFileSync(binary, `${machineCopy()}.tmp`);
    fs.chmodSync(`${machineCopy()}.tmp`, 0o755);
    fs.renameSync(`${machineCopy()}.tmp`, machineCopy());
  } catch (e) {
    log(`could not keep a machine-wide copy of MinIO (${(e as Error).message}); the project-local build is used`);
  }
  log(`built MinIO in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  return { path: binary, source: `go install ${MINIO_VERSION}` };
}

if (require.main === module) {
  try {
    const m = resolveMinio({ log: (l) => console.log(l) });
    console.log(`MinIO: ${m.path} (${m.source})`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
