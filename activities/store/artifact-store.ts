/**
 * What every artifact store backend offers (docs/design.md §4): content-addressed, immutable artifacts
 * named by their SHA-256, plus a scratch area for resumable part files. Activities see only this
 * interface; `openStores()` picks the backend from configuration (filesystem by default, S3 with
 * ML_CONNECTOR_ARTIFACTS=s3://…), so a worker on another host finds the same artifacts and parts.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';
import { ArtifactIntegrityError } from './errors';

const HASH = /^[0-9a-f]{64}$/;

export interface ArtifactRef {
  /** Lower-case hex SHA-256 of the content. */
  hash: string;
  bytes: number;
}

export interface ArtifactStat extends ArtifactRef {
  createdAt: Date;
}

/** Writable sink from `writeStream()`; `done()` resolves once the artifact is stored under its hash. */
export interface ArtifactWriteStream extends Writable {
  done(): Promise<ArtifactRef>;
}

export interface ReadOptions {
  /** Re-hash while reading and fail at the end of the stream on a mismatch (default true). */
  verify?: boolean;
  /**
   * Size of the chunks handed on (default 1 MiB). Keep it small when each chunk becomes a string
   * (line parsing), so chunks stay in V8's young generation instead of piling up as large objects.
   */
  chunkBytes?: number;
}

export interface ArtifactStore {
  /** Where the artifacts live, for logs and errors (a directory or an s3:// URL; never credentials). */
  readonly location: string;
  /** Resumable part files of long activities (extraction), shared by every worker using this store. */
  readonly parts: PartFiles;
  /** Stream content in: `await pipeline(source, w = store.writeStream()); const { hash } = await w.done()`. */
  writeStream(): ArtifactWriteStream;
  put(content: Buffer | Uint8Array | string): Promise<ArtifactRef>;
  has(hash: string): Promise<boolean>;
  stat(hash: string): Promise<ArtifactStat | undefined>;
  /** Streams an artifact; ArtifactNotFoundError if absent, ArtifactIntegrityError at the end if corrupt. */
  openRead(hash: string, opts?: ReadOptions): Promise<Readable>;
  /** Whole artifact in memory (small artifacts only), verified. */
  read(hash: string): Promise<Buffer>;
  /**
   * Runs `use` with a local file holding the artifact, for code that needs a path (chunked uploads
   * seek by offset). The filesystem store hands its own file; a remote store downloads a verified
   * temporary copy and removes it when `use` settles.
   */
  withLocalFile<T>(hash: string, use: (file: string) => Promise<T>): Promise<T>;
}

/** Sink from `PartFiles.writeStream()`: the file becomes visible under its name only once `done()` resolves. */
export interface PartWriteStream extends Writable {
  done(): Promise<void>;
}

/**
 * Scratch files named by '/'-separated keys (`<cycle>/actuals-<maps>/part-41.csv`). Each file
 * appears whole or not at all, so a reader on any host sees a finished part or none; names carry no
 * content (cycle IDs are hashed by the caller).
 */
export interface PartFiles {
  /** Names of the entries directly under `dir` (files and sub-directories), unordered. */
  list(dir: string): Promise<string[]>;
  /** A file's text, or undefined when it does not exist. */
  readText(name: string): Promise<string | undefined>;
  /** Writes a small file atomically. */
  writeText(name: string, text: string): Promise<void>;
  /** Streams a file; PartFileNotFoundError if absent. */
  openRead(name: string): Promise<Readable>;
  writeStream(name: string): PartWriteStream;
  /** Removes files; absent ones are fine. */
  remove(names: string[]): Promise<void>;
  /** Removes everything under `dir`. */
  removeTree(dir: string): Promise<void>;
}

export function assertHash(hash: string): void {
  if (!HASH.test(hash)) throw new ArtifactIntegrityError('artifact hash must be 64 lower-case hex characters');
}

const PART_NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Part names are relative keys of safe segments: no '..', no absolute paths, no empty segments. */
export function assertPartName(name: string): void {
  if (!PART_NAME.test(name) || name.split('/').some((s) => s === '.' || s === '..'))
    throw new ArtifactIntegrityError(
      `part file name ${JSON.stringify(name)} is not a relative key of [A-Za-z0-9._-] segments`,
    );
}

/** Pass-through that fails at the end of the stream when the bytes do not hash to `hash`. */
export function verifyingTransform(hash: string): Transform {
  const hasher = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hasher.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const actual = hasher.digest('hex');
      cb(
        actual === hash ? null : new ArtifactIntegrityError(`artifact ${hash} is corrupt: content hashes to ${actual}`),
      );
    },
  });
}

/** Pipes `raw` through a verifying transform (or not), destroying each side when the other fails. */
export function verified(raw: Readable, hash: string, verify: boolean | undefined): Readable {
  if (verify === false) return raw;
  const check = verifyingTransform(hash);
  raw.on('error', (e) => check.destroy(e));
  check.on('close', () => raw.destroy());
  return raw.pipe(check);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
