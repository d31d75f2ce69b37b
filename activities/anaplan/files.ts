/**
 * Chunked file transfer (docs/anaplan.md §5, §16).
 * Upload of a file on disk (size known): `POST …/files/{id}` with the exact `{chunkCount: N}`, then
 * `PUT …/chunks/0..N-1` — no `/complete`, which live tests saw fail with 500 for non-admin users
 * (docs/anaplan.md §16) and which the widely used clients skip when the size is known.
 * Upload of a stream (size unknown): `{chunkCount: -1}`, the chunks, then `POST …/complete` with the
 * minimal body (`id`, `name`, `chunkCount`): its other fields are file settings and would override
 * what the model builder set (docs/anaplan.md §16). When `/complete` answers 5xx the exact count is
 * re-posted; if the service took that as a restart (chunks gone), `AnaplanUploadIncompleteError`
 * tells the caller to upload again from a source it can re-read.
 * The source is never held whole: chunks go up `parallelChunks` at a time (each PUT still takes the
 * tenant budget, budget.ts), so at most that many chunk buffers are alive. Chunk PUTs name their
 * index, so they may land in any order; `onChunk` still reports the stored prefix in index order
 * (it is the resume cursor) — chunk k is reported only once 0..k are all stored. A file that fits in
 * one chunk goes up uncompressed in a single `PUT …/files/{id}` (docs/anaplan.md §5 "single-request
 * upload"): known from its size on disk, or — for a stream — from reading ahead one chunk.
 * gzip (when asked) runs on libuv's thread pool (zlib's async API), not on the event loop.
 * Download: list chunks, fetch each, write it at its offset so a retried chunk overwrites itself.
 */
import { open, readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { withRetry } from '../http';
import type { AnaplanClient, CallOptions } from './client';
import {
  AnaplanNotFoundError,
  AnaplanServerError,
  AnaplanUploadIncompleteError,
  AnaplanValidationError,
  parseAnaplan,
} from './errors';
import { Chunk, FileInfo } from './types';

const gzip = promisify(gzipCb);
const MB = 1024 * 1024;
/** Chunk limits: 1–50 MB uncompressed, ≤1,000 chunks per file (docs/anaplan.md §9). */
export const MIN_CHUNK_BYTES = 1 * MB;
export const MAX_CHUNK_BYTES = 50 * MB;
export const MAX_CHUNKS = 1000;
/** 10 MB default: inside the range; no "recommended" size is documented (docs/anaplan.md §5, UNCONFIRMED). */
export const DEFAULT_CHUNK_BYTES = 10 * MB;
/**
 * Chunk PUTs in flight at once. Upload time on a fast link is mostly per-request latency and the
 * server's write of each chunk, which overlap; two already overlap them, and each more costs a chunk
 * buffer in the worker (anaplan-sdk uses one thread per CPU — two here — with 25 MB chunks).
 */
export const DEFAULT_PARALLEL_CHUNKS = 2;

export interface UploadOptions extends CallOptions {
  chunkSizeBytes?: number;
  /** Send chunks as `application/x-gzip` (accepted for chunk PUTs, docs/anaplan.md §5). */
  gzip?: boolean;
  /** Chunk PUTs in flight at once (default 2); 1 sends them one after another. */
  parallelChunks?: number;
  /** Called as the stored prefix grows, in index order (heartbeat hook: the chunk index is a resumable cursor). */
  onChunk?: (info: { index: number; bytes: number; totalBytes: number }) => void;
  /**
   * Resume a broken upload of the same file path with the same chunk size: chunks below this index
   * are already on the server (from an earlier attempt's heartbeat), so the upload is not restarted
   * and the source is read from `startChunk × chunkSizeBytes`.
   */
  startChunk?: number;
}

export interface UploadResult {
  fileId: string;
  chunkCount: number;
  bytes: number;
  /** How an open-ended upload was closed: `complete`, or `count` when `/complete` failed and re-posting the count did. */
  closedBy?: 'complete' | 'count';
}

export interface DownloadResult {
  fileId: string;
  chunkCount: number;
  bytes: number;
}

/** Yields exactly `size`-byte slices (the last may be shorter), reusing one buffer: a slice kept past the next read must be copied. */
async function* slices(source: Readable, size: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of source) {
    const b = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
    let offset = 0;
    while (offset < b.length) {
      const n = Math.min(size - filled, b.length - offset);
      b.copy(buf, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === size) {
        yield buf;
        // The consumer copied or used the slice before resuming us, so the buffer can be reused.
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buf.subarray(0, filled);
}

/**
 * Chunk PUTs with at most `limit` in flight. A PUT's own retries are the client's (429, 5xx,
 * network); when one still fails, no new chunk starts, the others are awaited, and the failure is
 * thrown. `report` sees each chunk once the prefix up to it is stored, in index order.
 */
export class ChunkPipeline {
  private readonly running = new Set<Promise<void>>();
  /** Stored chunks above the reported prefix: index → bytes. */
  private readonly stored = new Map<number, number>();
  private failure: { error: unknown } | undefined;
  private bytes: number;

  constructor(
    private readonly limit: number,
    /** First index of this upload (resumed uploads start above 0), and the bytes below it. */
    private next: number,
    bytesBefore: number,
    private readonly report: (info: { index: number; bytes: number; totalBytes: number }) => void = () => undefined,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`parallelChunks must be a positive integer, got ${limit}`);
    this.bytes = bytesBefore;
  }

  /** Starts `put` for chunk `index` once a slot is free; throws an earlier chunk's failure instead. */
  async add(index: number, length: number, put: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit && !this.failure) await Promise.race(this.running);
    if (this.failure) throw this.failure.error;
    const run: Promise<void> = put().then(
      () => {
        this.stored.set(index, length);
        for (let b = this.stored.get(this.next); b !== undefined; b = this.stored.get(this.next)) {
          this.stored.delete(this.next);
          this.bytes += b;
          this.report({ index: this.next, bytes: b, totalBytes: this.bytes });
          this.next++;
        }
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const tracked = run.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Waits for every chunk in flight; throws the first failure. Returns the bytes stored. */
  async drain(): Promise<number> {
    await this.settle();
    if (this.failure) throw this.failure.error;
    return this.bytes;
  }

  /** Waits for every chunk in flight, never throwing (clean-up on an error path). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/** Chunk buffers reused across chunks: at most one per chunk in flight (+1 being filled) is ever allocated. */
class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly size: number) {}
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }
  /** Only after the PUT that used it has been answered: the server has read the body. */
  give(b: Buffer): void {
    this.free.push(b);
  }
}

/** One upload in progress: the file's base path and the calls every upload form shares. */
class Upload {
  readonly base: string;
  constructor(
    private readonly client: AnaplanClient,
    readonly fileId: string,
    private readonly opts: UploadOptions,
  ) {
    this.base = `${client.modelPath}/files/${fileId}`;
  }

  /** Sets the chunk count, which (re)starts the upload; refuses a file id the server does not know. */
  async start(chunkCount: number): Promise<FileInfo> {
    const started = parseAnaplan(
      FileInfo,
      (await this.client.sendJson('POST', this.base, { chunkCount }, this.opts)).file,
      { method: 'POST', path: this.base },
    );
    // A wrong file id makes the server create a new, unreferenced file (docs/anaplan.md §14.4): refuse it.
    if (started.id !== this.fileId)
      throw new AnaplanNotFoundError(`file ${this.fileId} does not exist (the server created ${started.id} instead)`, {
        method: 'POST',
        path: this.base,
        code: 'file-id-mismatch',
      });
    return started;
  }

  async putChunk(index: number, slice: Buffer): Promise<void> {
    if (index >= MAX_CHUNKS)
      throw new AnaplanValidationError(`file needs more than ${MAX_CHUNKS} chunks; raise chunkSizeBytes`, {
        method: 'PUT',
        path: this.base,
      });
    const body = this.opts.gzip ? await gzip(slice) : slice;
    await this.client
      .request('PUT', `${this.base}/chunks/${index}`, {
        body,
        headers: { 'content-type': this.opts.gzip ? 'application/x-gzip' : 'application/octet-stream' },
        signal: this.opts.signal,
      })
      .then((r) => r.body.dump());
  }

  /** The whole file in one uncompressed request: at most one chunk's worth, as the chunked path holds. */
  async putWhole(body: Buffer): Promise<UploadResult> {
    await this.client
      .request('PUT', this.base, {
        body,
        headers: { 'content-type': 'application/octet-stream' },
        signal: this.opts.signal,
      })
      .then((r) => r.body.dump());
    this.opts.onChunk?.({ index: 0, bytes: body.length, totalBytes: body.length });
    return { fileId: this.fileId, chunkCount: 1, bytes: body.length };
  }

  /**
   * Closes an open-ended (`-1`) upload of `n` chunks. `/complete` gets one attempt per try (429 and
   * network errors are still retried); a 5xx — how a non-admin user is refused (docs/anaplan.md §16) —
   * falls back to re-posting the exact count, and the chunk list then says whether the chunks stayed.
   */
  async close(name: string, n: number): Promise<'complete' | 'count'> {
    const policy = this.client.retryPolicy;
    const completed = await withRetry(
      async () => {
        try {
          // Minimal documented body: identification only, no file settings (docs/anaplan.md §16).
          await this.client.sendJson(
            'POST',
            `${this.base}/complete`,
            { id: this.fileId, name, chunkCount: n },
            { ...this.opts, retryPolicy: { ...policy, maxAttempts: 1 } },
          );
          return true;
        } catch (err) {
          if (err instanceof AnaplanServerError) return false;
          throw err;
        }
      },
      { policy, signal: this.opts.signal },
    );
    if (completed) return 'complete';
    await this.client.sendJson('POST', this.base, { chunkCount: n }, this.opts);
    const held = await this.client.all(`${this.base}/chunks`, 'chunks', Chunk, this.opts);
    if (held.length !== n) {
      throw new AnaplanUploadIncompleteError(
        `file ${this.fileId}: /complete failed and re-posting the chunk count ${n} left ${held.length} chunks; upload it again from a source that can be re-read`,
        { method: 'POST', path: `${this.base}/complete`, code: 'upload-not-closed' },
      );
    }
    return 'count';
  }
}

export async function uploadFile(
  client: AnaplanClient,
  fileId: string,
  source: string | Readable,
  opts: UploadOptions = {},
): Promise<UploadResult> {
  const size = opts.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(size) || size < MIN_CHUNK_BYTES || size > MAX_CHUNK_BYTES)
    throw new RangeError(`chunkSizeBytes must be between ${MIN_CHUNK_BYTES} and ${MAX_CHUNK_BYTES}`);
  const startChunk = opts.startChunk ?? 0;
  if (startChunk > 0 && typeof source !== 'string')
    throw new RangeError('startChunk needs a file path source (a stream cannot be rewound)');
  const up = new Upload(client, fileId, opts);
  return typeof source === 'string'
    ? uploadPath(up, source, size, startChunk, opts)
    : uploadStream(up, source, size, opts);
}

/**
 * Size known: the exact chunk count first, then the chunks, each read at its own offset (so
 * several can be in flight); the upload is whole when the last one lands.
 */
async function uploadPath(
  up: Upload,
  path: string,
  size: number,
  startChunk: number,
  opts: UploadOptions,
): Promise<UploadResult> {
  const total = (await stat(path)).size;
  if (startChunk === 0 && !opts.gzip && total <= size) return up.putWhole(await readFile(path));
  const n = Math.max(1, Math.ceil(total / size));
  if (n > MAX_CHUNKS)
    throw new AnaplanValidationError(`file needs ${n} chunks, more than ${MAX_CHUNKS}; raise chunkSizeBytes`, {
      method: 'POST',
      path: up.base,
    });
  // A resumed upload keeps the count its first attempt declared (same file, same chunk size).
  if (startChunk === 0) await up.start(n);
  const changed = (what: string) =>
    new AnaplanValidationError(`file ${path} changed while it was uploaded (${what})`, {
      method: 'PUT',
      path: up.base,
    });
  const fh = await open(path, 'r');
  const pipe = new ChunkPipeline(
    opts.parallelChunks ?? DEFAULT_PARALLEL_CHUNKS,
    startChunk,
    startChunk * size,
    opts.onChunk,
  );
  const pool = new BufferPool(size);
  try {
    // An empty file still has its one (empty) chunk (gzip of nothing is not nothing).
    for (let index = startChunk; index < n; index++) {
      const length = Math.max(0, Math.min(size, total - index * size));
      const buf = pool.take();
      const { bytesRead } = length > 0 ? await fh.read(buf, 0, length, index * size) : { bytesRead: 0 };
      if (bytesRead !== length) throw changed(`chunk ${index} has ${bytesRead} bytes instead of ${length}`);
      await pipe.add(index, length, () => up.putChunk(index, buf.subarray(0, length)).then(() => pool.give(buf)));
    }
    const bytes = await pipe.drain();
    const now = (await fh.stat()).size;
    if (now !== total) throw changed(`${now} bytes instead of ${total}`);
    return { fileId: up.fileId, chunkCount: n, bytes };
  } finally {
    await pipe.settle();
    await fh.close();
  }
}

/** Size unknown: `-1`, the chunks as they come, then `/complete` (with the count fallback). */
async function uploadStream(up: Upload, source: Readable, size: number, opts: UploadOptions): Promise<UploadResult> {
  const parts = slices(source, size)[Symbol.asyncIterator]();
  // slices() reuses one buffer: every slice that outlives the next read is copied (chunks in flight).
  /** Slices read ahead of the chunk loop (see below), sent first. */
  const ahead: Buffer[] = [];
  if (!opts.gzip) {
    // Read up to two slices; if the first was all, one PUT does.
    const first = await parts.next();
    const firstCopy = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
    const second = first.done ? first : await parts.next();
    if (second.done) return up.putWhole(firstCopy);
    ahead.push(firstCopy, Buffer.from(second.value));
  }
  // Setting the chunk count (re)starts the upload and discards old content.
  const { name } = await up.start(-1);
  const pipe = new ChunkPipeline(opts.parallelChunks ?? DEFAULT_PARALLEL_CHUNKS, 0, 0, opts.onChunk);
  const pool = new BufferPool(size);
  let index = 0;
  let bytes: number;
  try {
    for (;;) {
      const early = ahead.shift();
      const read = early ? undefined : await parts.next();
      if (!early && (!read || read.done)) break;
      let slice: Buffer;
      let own: Buffer | undefined;
      if (early) slice = early;
      else {
        own = pool.take();
        const n = (read!.value as Buffer).copy(own);
        slice = own.subarray(0, n);
      }
      const i = index++;
      await pipe.add(i, slice.length, () => up.putChunk(i, slice).then(() => own && pool.give(own)));
    }
    bytes = await pipe.drain();
  } finally {
    await pipe.settle();
  }
  if (index === 0) {
    await up.putChunk(0, Buffer.alloc(0));
    index = 1;
  }
  const closedBy = await up.close(name, index);
  return { fileId: up.fileId, chunkCount: index, bytes, closedBy };
}

export async function downloadFile(
  client: AnaplanClient,
  fileId: string,
  destPath: string,
  opts: CallOptions = {},
): Promise<DownloadResult> {
  const base = `${client.modelPath}/files/${fileId}`;
  const chunks = await client.all(`${base}/chunks`, 'chunks', Chunk, opts);
  const fh = await open(destPath, 'w');
  let position = 0;
  try {
    for (const c of chunks) {
      // A chunk is retried as a whole and rewritten at its own offset, so a broken body never leaves a gap.
      const start = position;
      position = await withRetry(
        async () => {
          const res = await client.request('GET', `${base}/chunks/${c.id}`, {
            accept: 'application/octet-stream',
            signal: opts.signal,
          });
          let at = start;
          for await (const b of res.body) {
            const buf = b as Buffer;
            await fh.write(buf, 0, buf.length, at);
            at += buf.length;
          }
          return at;
        },
        { signal: opts.signal },
      );
    }
    await fh.truncate(position);
  } finally {
    await fh.close();
  }
  return { fileId, chunkCount: chunks.length, bytes: position };
}
