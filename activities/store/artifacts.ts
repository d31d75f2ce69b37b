/**
 * Content-addressed artifact store (DESIGN.md §4): bulk data (SuiteQL results, import/export
 * files, failure dumps, journal batches) lives on disk under its SHA-256 and moves through
 * Temporal history by hash only. Files are named by hash alone, so nothing about their content
 * leaks through names.
 *
 * Writes hash while streaming into a temp file in `<root>/.tmp/`, fsync, then rename to
 * `<root>/<sha256>`; the same content twice is one file (the second write discards its temp
 * file). Reads re-hash and fail at the end of the stream if the bytes do not match the name.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ArtifactIntegrityError, ArtifactNotFoundError } from './errors';

export const DEFAULT_ARTIFACT_ROOT = path.join('.data', 'artifacts');
const HASH = /^[0-9a-f]{64}$/;

export interface ArtifactRef {
  /** Lower-case hex SHA-256 of the content. */
  hash: string;
  bytes: number;
}

export interface ArtifactStat extends ArtifactRef {
  createdAt: Date;
}

export function assertHash(hash: string): void {
  if (!HASH.test(hash)) throw new ArtifactIntegrityError('artifact hash must be 64 lower-case hex characters');
}

/** Writable sink returned by `ArtifactStore.writeStream()`; `done()` resolves once the artifact is in place. */
export class ArtifactWriter extends Writable {
  private readonly hasher = createHash('sha256');
  private handle?: fsp.FileHandle;
  private readonly temp: string;
  private bytes = 0;
  private ref?: ArtifactRef;

  constructor(private readonly store: ArtifactStore) {
    super({ highWaterMark: 1 << 20 });
    this.temp = path.join(store.root, '.tmp', `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    fsp
      .mkdir(path.dirname(this.temp), { recursive: true })
      .then(() => fsp.open(this.temp, 'wx', 0o600))
      .then((h) => {
        this.handle = h;
        callback();
      }, callback);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
    this.handle!.write(chunk).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) {
      this.hasher.update(b);
      this.bytes += b.length;
    }
    this.handle!.writev(bufs).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const hash = this.hasher.digest('hex');
    const target = this.store.path(hash);
    (async () => {
      await this.handle!.sync();
      await this.handle!.close();
      this.handle = undefined;
      if (await exists(target)) {
        await fsp.rm(this.temp, { force: true }); // idempotent: content already stored
      } else {
        await fsp.chmod(this.temp, 0o444); // artifacts are immutable once named
        await fsp.rename(this.temp, target);
      }
      this.ref = { hash, bytes: this.bytes };
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const h = this.handle;
    this.handle = undefined;
    Promise.resolve(h?.close())
      .catch(() => undefined)
      .then(() => (this.ref ? undefined : fsp.rm(this.temp, { force: true })))
      .then(() => callback(error), () => callback(error));
  }

  /** Resolves with `{hash, bytes}` after `end()` once the file is renamed; rejects if the write failed. */
  async done(): Promise<ArtifactRef> {
    if (!this.ref) await finished(this);
    if (!this.ref) throw new ArtifactIntegrityError('artifact write did not complete');
    return this.ref;
  }
}

export class ArtifactStore {
  readonly root: string;

  /** `root` defaults to ML_CONNECTOR_ARTIFACT_DIR or `.data/artifacts`. */
  constructor(root?: string) {
    this.root = path.resolve(root ?? (process.env.ML_CONNECTOR_ARTIFACT_DIR || DEFAULT_ARTIFACT_ROOT));
  }

  /** Stream content in: `await pipeline(source, w = store.writeStream()); const { hash } = await w.done()`. */
  writeStream(): ArtifactWriter {
    return new ArtifactWriter(this);
  }

  async put(content: Buffer | Uint8Array | string): Promise<ArtifactRef> {
    const w = this.writeStream();
    w.end(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    return w.done();
  }

  path(hash: string): string {
    assertHash(hash);
    return path.join(this.root, hash);
  }

  async has(hash: string): Promise<boolean> {
    return exists(this.path(hash));
  }

  async stat(hash: string): Promise<ArtifactStat | undefined> {
    try {
      const s = await fsp.stat(this.path(hash));
      return { hash, bytes: s.size, createdAt: s.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Reads an artifact. With `verify` (default) the bytes are re-hashed as they pass and the stream
   * errors with ArtifactIntegrityError at the end if they do not match the name. `chunkBytes`
   * (default 1 MiB) sizes the reads: keep it small when each chunk becomes a string (line
   * parsing), so chunks stay in V8's young generation instead of piling up as large objects.
   */
  async openRead(hash: string, opts: { verify?: boolean; chunkBytes?: number } = {}): Promise<Readable> {
    const file = this.path(hash);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(hash);
      throw e;
    }
    const raw = handle.createReadStream({ highWaterMark: opts.chunkBytes ?? 1 << 20 });
    if (opts.verify === false) return raw;
    const hasher = createHash('sha256');
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hasher.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        const actual = hasher.digest('hex');
        cb(actual === hash ? null : new ArtifactIntegrityError(`artifact ${hash} is corrupt: content hashes to ${actual}`));
      },
    });
    raw.on('error', (e) => check.destroy(e));
    check.on('close', () => raw.destroy());
    return raw.pipe(check);
  }

  /** Whole artifact in memory (small artifacts only), verified. */
  async read(hash: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.openRead(hash)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file, fs.constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
