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

export function writeFileAtomic(
  file: string,
  content: string | Buffer,
  mode = 0o600,
  hooks: AtomicWriteHooks = {},
): void {
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

/** Makes a rename in `dir` durable (POSIX: fsync the directory). */
export function syncDir(dir: string): void {
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
 * One attempt at `<file>.lock` (O_EXCL create). The file holds an owner token, so a holder only ever
 * removes its own lock, and a stale lock is broken without racing another process (breakStale).
 * Returns the token, or undefined when someone else holds the lock.
 */
function tryAcquire(lock: string, staleMs: number): string | undefined {
  const token = `${process.pid}.${randomBytes(8).toString('hex')}`;
  try {
    const fd = fs.openSync(lock, 'wx', 0o600);
    try {
      fs.writeSync(fd, token);
    } finally {
      fs.closeSync(fd);
    }
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    breakStale(lock, staleMs);
    return undefined;
  }
}

/**
 * A lock untouched for `staleMs` was left by a crashed process. Two waiters may both judge it stale;
 * a plain delete would let the slower one delete the lock the faster one has just taken. Instead the
 * lock is moved aside (rename is atomic: one mover wins) and only deleted if what was moved is the
 * stale lock judged; a live lock taken meanwhile is put back (link fails rather than overwrite).
 */
function breakStale(lock: string, staleMs: number): void {
  let judged: string;
  try {
    if (Date.now() - fs.statSync(lock).mtimeMs <= staleMs) return;
    judged = fs.readFileSync(lock, 'utf8');
  } catch {
    return; // released meanwhile: just retry
  }
  const aside = `${lock}.${randomBytes(6).toString('hex')}.stale`;
  try {
    fs.renameSync(lock, aside);
  } catch {
    return; // another waiter moved it first
  }
  try {
    if (fs.readFileSync(aside, 'utf8') !== judged) {
      try {
        fs.linkSync(aside, lock);
      } catch {
        // a new lock exists already; the holder we displaced will find its lock gone on release
      }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/** Removes the lock only while it is still ours (never a lock another process took after breaking ours). */
function release(lock: string, token: string): void {
  try {
    if (fs.readFileSync(lock, 'utf8') === token) fs.rmSync(lock, { force: true });
  } catch {
    // already gone
  }
}

/**
 * Runs `fn` holding `<file>.lock`, waiting synchronously. Only for one-shot CLI paths (`credentials
 * set|remove`, sandbox set-up) where nothing else runs on the event loop; long-running processes
 * (workers, ping's refresh) use withFileLockAsync.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = 10_000, staleMs = 30_000): T {
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  let token: string | undefined;
  while (!(token = tryAcquire(lock, staleMs))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
    Atomics.wait(sleeper, 0, 0, 20);
  }
  try {
    return fn();
  } finally {
    release(lock, token);
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
export async function withFileLockAsync<T>(
  file: string,
  fn: () => Promise<T>,
  opts: AsyncLockOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const staleMs = opts.staleMs ?? 30_000;
  const pollMs = opts.pollMs ?? 25;
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  let token: string | undefined;
  while (!(token = tryAcquire(lock, staleMs))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
    // A little jitter so waiters in several processes do not poll in lockstep.
    await delay(pollMs + Math.floor(Math.random() * pollMs));
  }
  const heartbeat = setInterval(
    () => {
      const t = new Date();
      try {
        fs.utimesSync(lock, t, t);
      } catch {
        // gone (judged stale by someone): nothing better to do than finish quickly
      }
    },
    Math.max(1_000, Math.floor(staleMs / 3)),
  );
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    release(lock, token);
  }
}
