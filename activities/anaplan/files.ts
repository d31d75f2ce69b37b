/**
 * Chunked file transfer (reference §5). Upload: `POST …/files/{id}` `{chunkCount:-1}` (Anaplan's
 * recommended open-ended form), `PUT …/chunks/{n}` for each 1–50 MB slice (optionally gzip), then
 * `POST …/complete`. The source is streamed: one chunk buffer is held at a time, never the file.
 * A file that fits in one chunk goes up uncompressed in a single `PUT …/files/{id}` (one request
 * instead of three; reference §5 "single-request upload"): known from its size on disk, or — for a
 * stream — from reading ahead one chunk.
 * Download: list chunks, fetch each, write it at its offset so a retried chunk overwrites itself.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { withRetry } from '../http';
import type { AnaplanClient, CallOptions } from './client';
import { AnaplanNotFoundError, AnaplanValidationError } from './errors';
import { Chunk, FileInfo } from './types';

const gzip = promisify(gzipCb);
const MB = 1024 * 1024;
/** Chunk limits: 1–50 MB uncompressed, ≤1,000 chunks per file (reference §9). */
export const MIN_CHUNK_BYTES = 1 * MB;
export const MAX_CHUNK_BYTES = 50 * MB;
export const MAX_CHUNKS = 1000;
/** 10 MB default: inside the range; no "recommended" size is documented (reference §5, UNCONFIRMED). */
export const DEFAULT_CHUNK_BYTES = 10 * MB;

export interface UploadOptions extends CallOptions {
  chunkSizeBytes?: number;
  /** Send chunks as `application/x-gzip` (accepted for chunk PUTs, reference §5). */
  gzip?: boolean;
  /** Called after each chunk is stored (heartbeat hook: the chunk index is a resumable cursor). */
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
}

export interface DownloadResult {
  fileId: string;
  chunkCount: number;
  bytes: number;
}

/** Yields exactly `size`-byte slices (the last may be shorter), reusing one buffer. */
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
        // The consumer awaited the PUT before resuming us, so the buffer can be reused.
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buf.subarray(0, filled);
}

export async function uploadFile(client: AnaplanClient, fileId: string, source: string | Readable, opts: UploadOptions = {}): Promise<UploadResult> {
  const size = opts.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(size) || size < MIN_CHUNK_BYTES || size > MAX_CHUNK_BYTES) throw new RangeError(`chunkSizeBytes must be between ${MIN_CHUNK_BYTES} and ${MAX_CHUNK_BYTES}`);
  const base = `${client.modelPath}/files/${fileId}`;
  const startChunk = opts.startChunk ?? 0;
  if (startChunk > 0 && typeof source !== 'string') throw new RangeError('startChunk needs a file path source (a stream cannot be rewound)');
  /** The whole file in one uncompressed request: at most one chunk's worth, as the chunked path holds. */
  const putWhole = async (body: Buffer): Promise<UploadResult> => {
    await client.request('PUT', base, { body, headers: { 'content-type': 'application/octet-stream' }, signal: opts.signal }).then((r) => r.body.dump());
    opts.onChunk?.({ index: 0, bytes: body.length, totalBytes: body.length });
    return { fileId, chunkCount: 1, bytes: body.length };
  };
  if (startChunk === 0 && typeof source === 'string' && !opts.gzip && (await stat(source)).size <= size) return putWhole(await readFile(source));
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: MB, start: startChunk * size }) : source;
  const parts = slices(stream, size)[Symbol.asyncIterator]();
  /** Slices read ahead of the chunk loop (see below), sent first. */
  const ahead: Buffer[] = [];
  try {
    if (startChunk === 0 && typeof source !== 'string' && !opts.gzip) {
      // A stream of unknown size: read up to two slices; if the first was all, one PUT does.
      const first = await parts.next();
      const firstCopy = first.done ? Buffer.alloc(0) : Buffer.from(first.value); // slices() reuses its buffer
      const second = first.done ? first : await parts.next();
      if (second.done) return await putWhole(firstCopy);
      ahead.push(firstCopy, second.value);
    }
    let name: string;
    if (startChunk === 0) {
      // Setting the chunk count (re)starts the upload and discards old content.
      const started = FileInfo.parse((await client.sendJson('POST', base, { chunkCount: -1 }, opts)).file);
      // A wrong file id makes the server create a new, unreferenced file (reference §14.4): refuse it.
      if (started.id !== fileId) throw new AnaplanNotFoundError(`file ${fileId} does not exist (the server created ${started.id} instead)`, { method: 'POST', path: base, code: 'file-id-mismatch' });
      name = started.name;
    } else {
      name = FileInfo.parse((await client.files(opts)).find((f) => f.id === fileId) ?? { id: fileId, name: fileId }).name;
    }
    let index = startChunk;
    let bytes = startChunk * size;
    for (;;) {
      const slice = ahead.shift() ?? (await parts.next()).value;
      if (!slice) break;
      if (index >= MAX_CHUNKS) throw new AnaplanValidationError(`file needs more than ${MAX_CHUNKS} chunks; raise chunkSizeBytes`, { method: 'PUT', path: base });
      const body = opts.gzip ? await gzip(slice) : slice;
      await client.request('PUT', `${base}/chunks/${index}`, { body, headers: { 'content-type': opts.gzip ? 'application/x-gzip' : 'application/octet-stream' }, signal: opts.signal }).then((r) => r.body.dump());
      bytes += slice.length;
      opts.onChunk?.({ index, bytes: slice.length, totalBytes: bytes });
      index++;
    }
    if (index === 0 && startChunk === 0) {
      await client.request('PUT', `${base}/chunks/0`, { body: Buffer.alloc(0), headers: { 'content-type': 'application/octet-stream' }, signal: opts.signal }).then((r) => r.body.dump());
      index = 1;
    }
    const done = FileInfo.parse((await client.sendJson('POST', `${base}/complete`, { id: fileId, name, chunkCount: index, firstDataRow: 2, headerRow: 1 }, opts)).file);
    return { fileId, chunkCount: done.chunkCount ?? index, bytes };
  } finally {
    if (typeof source === 'string') stream.destroy();
  }
}

export async function downloadFile(client: AnaplanClient, fileId: string, destPath: string, opts: CallOptions = {}): Promise<DownloadResult> {
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
          const res = await client.request('GET', `${base}/chunks/${c.id}`, { accept: 'application/octet-stream', signal: opts.signal });
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
