/**
 * Filesystem artifact store, the embedded default (docs/design.md §4): bulk data (SuiteQL results,
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
import type { Readable } from 'node:stream';
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
import { TempFileWriter } from './temp-file-writer';
import { dataPaths } from '../../common/node/env';

/** Writable sink returned by `FsArtifactStore.writeStream()`; `done()` resolves once the artifact is in place. */
export class ArtifactWriter extends TempFileWriter implements ArtifactWriteStream {
  private readonly hasher = createHash('sha256');
  private bytes = 0;
  private ref?: ArtifactRef;
  protected override readonly syncBeforePublish = true;

  constructor(private readonly store: FsArtifactStore) {
    super(path.join(store.root, '.tmp', `${process.pid}-${randomBytes(8).toString('hex')}`));
  }

  protected override onChunk(chunk: Buffer): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
  }

  protected override async publish(temp: string): Promise<void> {
    const hash = this.hasher.digest('hex');
    const target = this.store.path(hash);
    if (await exists(target)) {
      await fsp.rm(temp, { force: true }); // idempotent: content already stored
    } else {
      await fsp.chmod(temp, 0o444); // artifacts are immutable once named
      await fsp.rename(temp, target);
    }
    this.ref = { hash, bytes: this.bytes };
  }

  /** Resolves with `{hash, bytes}` after `end()` once the file is renamed; rejects if the write failed. */
  async done(): Promise<ArtifactRef> {
    await this.whenPublished();
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
