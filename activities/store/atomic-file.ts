/**
 * Crash-safe file replacement and a small cross-process lock for the vault. A reader sees either
 * the old file or the new one, never a mix: write a temp file in the same directory, fsync it,
 * rename over the target (atomic on POSIX), then fsync the directory so the rename is durable.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

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
