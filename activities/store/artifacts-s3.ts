/**
 * Artifact store on S3-compatible object storage (AWS S3, MinIO, …), so every worker host sees the
 * same artifacts and extraction parts. Layout under the configured prefix:
 *   sha256/<hash>   artifacts, immutable, named by content only (nothing leaks through names)
 *   tmp/<random>    artifacts being written: the hash is known only at the end of the stream
 *   work/<name>     part files and resume markers (PartFiles)
 *
 * Writes stream through a multipart upload (lib-storage) to a temp key while hashing, then copy
 * server-side to `sha256/<hash>` unless that key exists already (the same content twice is one
 * object) and delete the temp key. A completed upload or copy is atomic in S3, so a reader never
 * sees part of an object. Reads stream and re-hash like the filesystem store. A crashed writer can
 * leave a temp object or an unfinished multipart upload: a bucket lifecycle rule on `<prefix>/tmp/`
 * and on incomplete multipart uploads cleans those (README).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertHash,
  assertPartName,
  readAll,
  verified,
  verifyingTransform,
  type ArtifactRef,
  type ArtifactStat,
  type ArtifactStore,
  type ArtifactWriteStream,
  type PartFiles,
  type PartWriteStream,
  type ReadOptions,
} from './artifact-store';
import { ArtifactIntegrityError, ArtifactNotFoundError, ArtifactTooLargeError, PartFileNotFoundError } from './errors';

export interface S3ArtifactStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix without leading or trailing '/', may be empty. */
  prefix: string;
  /** Server-side encryption asked for on every object written (unset: the bucket's default). */
  sse?: { mode: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  /** Local directory for temporary downloads (`withLocalFile`); default the OS temp directory. */
  tempDir?: string;
}

/** Multipart part size: S3's minimum (5 MiB); two parts in flight per writer keep memory small. */
const PART_BYTES = 5 * 1024 * 1024;
const QUEUE = 2;
/** CopyObject's limit; a larger artifact would need a multipart copy, which this store does not do yet. */
const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/**
 * A Writable feeding a lib-storage Upload. `finish()` runs after the upload completed; a failed
 * upload fails the next write (so a producer waiting on backpressure wakes up with the error).
 */
class UploadWriter extends Writable {
  private readonly body = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly upload: Upload;
  private readonly uploaded: Promise<unknown>;
  private failure?: Error;
  /** The write waiting for 'drain', woken with the error if the upload fails first (writes are serial). */
  private waiting?: (error?: Error) => void;
  protected completed = false;

  constructor(
    store: S3Base,
    key: string,
    private readonly finish: () => Promise<void> = async () => undefined,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.upload = new Upload({
      client: store.client,
      queueSize: QUEUE,
      partSize: PART_BYTES,
      leavePartsOnError: false,
      params: { Bucket: store.bucket, Key: key, Body: this.body, ...store.sseParams() },
    });
    this.uploaded = this.upload.done();
    this.uploaded.catch((e: unknown) => {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.body.destroy();
      this.waiting?.(this.failure);
    });
  }

  protected onChunk(_chunk: Buffer): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) return callback(this.failure);
    this.onChunk(chunk);
    if (this.body.write(chunk)) return callback();
    const wake = (error?: Error) => {
      this.waiting = undefined;
      this.body.off('drain', onDrain);
      callback(error ?? null);
    };
    const onDrain = () => wake();
    this.waiting = wake;
    this.body.once('drain', onDrain);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.body.end();
    this.uploaded
      .then(() => this.finish())
      .then(() => {
        this.completed = true;
        callback();
      }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.completed) return callback(error);
    this.body.destroy();
    this.upload.abort().then(
      () => callback(error),
      () => callback(error),
    );
  }
}

class S3ArtifactWriter extends UploadWriter implements ArtifactWriteStream {
  private readonly hasher = createHash('sha256');
  private bytes = 0;
  private ref?: ArtifactRef;

  constructor(store: S3ArtifactStore) {
    const temp = store.key(`tmp/${randomBytes(12).toString('hex')}`);
    super(store, temp, async () => {
      const hash = this.hasher.digest('hex');
      try {
        if (this.bytes > MAX_COPY_BYTES)
          throw new ArtifactTooLargeError(
            `artifact of ${this.bytes} bytes exceeds the S3 store's 5 GiB limit per artifact (single CopyObject)`,
          );
        if (!(await store.has(hash)))
          await store.client.send(
            new CopyObjectCommand({
              Bucket: store.bucket,
              Key: store.artifactKey(hash),
              CopySource: `${store.bucket}/${encodeURI(temp)}`,
              ...store.sseParams(),
            }),
          );
      } finally {
        await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: temp })).catch(() => undefined);
      }
      this.ref = { hash, bytes: this.bytes };
    });
  }

  protected override onChunk(chunk: Buffer): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
  }

  async done(): Promise<ArtifactRef> {
    if (!this.ref) await finished(this);
    if (!this.ref) throw new ArtifactIntegrityError('artifact write did not complete');
    return this.ref;
  }
}

class S3PartWriter extends UploadWriter implements PartWriteStream {
  async done(): Promise<void> {
    if (!this.completed) await finished(this);
  }
}

abstract class S3Base {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly sse?: S3ArtifactStoreOptions['sse'];

  constructor(opts: S3ArtifactStoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix;
    this.sse = opts.sse;
  }

  key(rel: string): string {
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  sseParams(): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
    if (!this.sse) return {};
    return {
      ServerSideEncryption: this.sse.mode as ServerSideEncryption,
      ...(this.sse.kmsKeyId ? { SSEKMSKeyId: this.sse.kmsKeyId } : {}),
    };
  }

  protected async getBody(key: string): Promise<Readable | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}

export class S3PartFiles extends S3Base implements PartFiles {
  private part(name: string): string {
    assertPartName(name);
    return this.key(`work/${name}`);
  }

  async list(dir: string): Promise<string[]> {
    const base = `${this.part(dir)}/`;
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }),
      );
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) names.add(p.Prefix.slice(base.length).replace(/\/$/, ''));
      for (const o of out.Contents ?? []) if (o.Key) names.add(o.Key.slice(base.length));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return [...names];
  }

  async readText(name: string): Promise<string | undefined> {
    const body = await this.getBody(this.part(name));
    return body ? (await readAll(body)).toString('utf8') : undefined;
  }

  async writeText(name: string, text: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.part(name), Body: text, ...this.sseParams() }),
    );
  }

  async openRead(name: string): Promise<Readable> {
    const body = await this.getBody(this.part(name));
    if (!body) throw new PartFileNotFoundError(name);
    return body;
  }

  writeStream(name: string): PartWriteStream {
    return new S3PartWriter(this, this.part(name));
  }

  async remove(names: string[]): Promise<void> {
    await this.deleteKeys(names.map((n) => this.part(n)));
  }

  async removeTree(dir: string): Promise<void> {
    const base = `${this.part(dir)}/`;
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, ContinuationToken: token }),
      );
      await this.deleteKeys((out.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    // DeleteObjects takes at most 1,000 keys; deleting an absent key is not an error in S3.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (!batch.length) continue;
      const out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = out.Errors?.[0];
      if (failed)
        throw new Error(
          `could not delete part file ${failed.Key ?? ''} from s3://${this.bucket}: ${failed.Code ?? 'error'}`,
        );
    }
  }
}

export class S3ArtifactStore extends S3Base implements ArtifactStore {
  readonly parts: S3PartFiles;
  private readonly tempDir: string;

  constructor(opts: S3ArtifactStoreOptions) {
    super(opts);
    this.parts = new S3PartFiles(opts);
    this.tempDir = opts.tempDir ?? os.tmpdir();
  }

  get location(): string {
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  artifactKey(hash: string): string {
    assertHash(hash);
    return this.key(`sha256/${hash}`);
  }

  writeStream(): ArtifactWriteStream {
    return new S3ArtifactWriter(this);
  }

  async put(content: Buffer | Uint8Array | string): Promise<ArtifactRef> {
    const w = this.writeStream();
    w.end(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    return w.done();
  }

  async has(hash: string): Promise<boolean> {
    return (await this.stat(hash)) !== undefined;
  }

  async stat(hash: string): Promise<ArtifactStat | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.artifactKey(hash) }));
      return { hash, bytes: out.ContentLength ?? 0, createdAt: out.LastModified ?? new Date(0) };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async openRead(hash: string, opts: ReadOptions = {}): Promise<Readable> {
    const body = await this.getBody(this.artifactKey(hash));
    if (!body) throw new ArtifactNotFoundError(hash);
    return verified(body, hash, opts.verify);
  }

  async read(hash: string): Promise<Buffer> {
    return readAll(await this.openRead(hash));
  }

  async withLocalFile<T>(hash: string, use: (file: string) => Promise<T>): Promise<T> {
    const body = await this.getBody(this.artifactKey(hash));
    if (!body) throw new ArtifactNotFoundError(hash);
    await fsp.mkdir(this.tempDir, { recursive: true });
    const file = path.join(this.tempDir, `mlc-artifact-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const out = await fsp.open(file, 'wx', 0o600);
      await pipeline(body, verifyingTransform(hash), out.createWriteStream());
      return await use(file);
    } finally {
      await fsp.rm(file, { force: true });
    }
  }
}
