/**
 * Filesystem artifact store, the embedded default (DESIGN.md §4): bulk data (SuiteQL results,
 * import/export files, failure dumps, journal batches) lives on disk under its SHA-256 and moves
 * through Temporal history by hash only. Files are named by hash alone, so nothing about their
 * content leaks through names. The S3 backend (artifacts-s3.ts) implements the same interface.
 *
 * Writes hash while streaming into a temp file in `<root>/.tmp/`, fsync, then rename to
 * `<root>/<sha256>`; the same content twice is one file (the second write discards its temp
 * file). Reads re-hash and fail at the end of the stream if the bytes do not match the name.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  assertHash,
  readAll,
  verified,
  type ArtifactRef,
  type ArtifactStat,
  type ArtifactStore,
  type ArtifactWriteStream,
  type ReadOptions,
} from './artifact-store';
import { ArtifactIntegrityError, ArtifactNotFoundError } from './errors';
import { FsPartFiles } from './part-files-fs';
import { dataPaths } from '../../common/node/env';

/** Writable sink returned by `FsArtifactStore.writeStream()`; `done()` resolves once the artifact is in place. */
export class ArtifactWriter extends Writable implements ArtifactWriteStream {
  private readonly hasher = createHash('sha256');
  private handle?: fsp.FileHandle;
  private readonly temp: string;
  private bytes = 0;
  private ref?: ArtifactRef;

  constructor(private readonly store: FsArtifactStore) {
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
      .then(
        () => callback(error),
        () => callback(error),
      );
  }

  /** Resolves with `{hash, bytes}` after `end()` once the file is renamed; rejects if the write failed. */
  async done(): Promise<ArtifactRef> {
    if (!this.ref) await finished(this);
    if (!this.ref) throw new ArtifactIntegrityError('artifact write did not complete');
    return this.ref;
  }
}

export class FsArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly parts: FsPartFiles;

  /**
   * `root` defaults to ML_CONNECTOR_ARTIFACT_DIR or `<data dir>/artifacts` (common/node/env.ts); part files go to `workDir`,
   * by default `work/` beside the root (`.data/work`), as they always have.
   */
  constructor(root?: string, opts: { workDir?: string } = {}) {
    this.root = path.resolve(root ?? dataPaths().artifactDir);
    this.parts = new FsPartFiles(opts.workDir ?? path.join(path.dirname(this.root), 'work'));
  }

  get location(): string {
    return this.root;
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

  /** See ArtifactStore.openRead: re-hashed as read unless `verify: false`; `chunkBytes` sizes the reads. */
  async openRead(hash: string, opts: ReadOptions = {}): Promise<Readable> {
    const file = this.path(hash);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(hash);
      throw e;
    }
    return verified(handle.createReadStream({ highWaterMark: opts.chunkBytes ?? 1 << 20 }), hash, opts.verify);
  }

  async read(hash: string): Promise<Buffer> {
    return readAll(await this.openRead(hash));
  }

  /**
   * The artifact's own file (immutable, mode 0444), read in place by the caller once its content is
   * checked: a corrupt file is refused before anything is uploaded from it.
   */
  async withLocalFile<T>(hash: string, use: (file: string) => Promise<T>): Promise<T> {
    for await (const chunk of await this.openRead(hash)) void chunk;
    return use(this.path(hash));
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
