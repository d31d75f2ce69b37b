/**
 * Crash-safe file replacement and a small cross-process lock for the vault. A reader sees either
 * the old file or the new one, never a mix: write a temp file in the same directory, fsync it,
 * rename over the target (atomic on POSIX), then fsync the directory so the rename is durable.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface AtomicWriteHooks {
  /** Called after the temp file is synced and before the rename (fault injection in tests). */
  beforeRename?: (tempFile: string) => void;
}

export function writeFileAtomic(file: string, content: string | Buffer, mode = 0o600, hooks: AtomicWriteHooks = {}): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    hooks.beforeRename?.(tmp);
    fs.renameSync(tmp, file);
    renamed = true;
    syncDir(dir);
  } finally {
    if (!renamed) fs.rmSync(tmp, { force: true });
  }
}

function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` holding `<file>.lock` (O_EXCL create). Vault writes are rare and short, so a blocking
 * wait is acceptable; a lock older than `staleMs` is assumed abandoned by a crashed process.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = 10_000, staleMs = 30_000): T {
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { force: true });
      } catch {
        // lock vanished between the two calls: retry
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
      Atomics.wait(sleeper, 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export interface AsyncLockOptions {
  timeoutMs?: number;
  /** A lock whose file was not touched for this long is taken as abandoned by a crashed process. */
  staleMs?: number;
  /** Poll interval while another holder has the lock. */
  pollMs?: number;
}

/**
 * Like withFileLock, but waiting yields to the event loop (timers, sockets and heartbeats of a worker
 * keep running) and `fn` may await, e.g. an OAuth refresh made while holding the lock. The holder
 * touches the lock file every staleMs/3, so a slow but live holder is never mistaken for a crashed one.
 * Same lock file as withFileLock: the two exclude each other across processes.
 */
export async function withFileLockAsync<T>(file: string, fn: () => Promise<T>, opts: AsyncLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const staleMs = opts.staleMs ?? 30_000;
  const pollMs = opts.pollMs ?? 25;
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { force: true });
      } catch {
        // lock vanished between the two calls: retry
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
      // A little jitter so waiters in several processes do not poll in lockstep.
      await delay(pollMs + Math.floor(Math.random() * pollMs));
    }
  }
  const heartbeat = setInterval(() => {
    const t = new Date();
    try {
      fs.utimesSync(lock, t, t);
    } catch {
      // removed by someone who judged it stale; nothing better to do than finish quickly
    }
  }, Math.max(1_000, Math.floor(staleMs / 3)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    fs.rmSync(lock, { force: true });
  }
}
