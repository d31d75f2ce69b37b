/**
 * Server files (import sources, export outputs) with chunked content kept on disk, never in memory.
 * Protocol rules from the reference §5: `POST …/files/{id}` `{chunkCount}` (re)starts an upload and
 * discards old content; chunks "0","1",… are PUT (gzip accepted); `chunkCount:-1` needs `/complete`;
 * a whole-file GET is 404 while there is no content.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { objectId } from './ids';
import type { SeedFile } from './seed';

/** Per-chunk ceiling, uncompressed (reference §9: chunks 1–50 MB, ≤1,000 chunks per file). */
export const MAX_CHUNK_BYTES = 50 * 1024 * 1024;
export const MAX_CHUNKS = 1000;

export interface StoredChunk {
  path: string;
  size: number;
}

export interface StoredFile {
  id: string;
  name: string;
  kind: SeedFile['kind'];
  headerNames: string[];
  /** Declared count; -1 while an open-ended upload awaits `/complete`; 0 = no content. */
  chunkCount: number;
  chunks: Array<StoredChunk | undefined>;
  completed: boolean;
  /** Bumped on every restart so a late chunk of an old upload cannot land in the new one. */
  generation: number;
  updatedAt: number;
}

export class ChunkTooLargeError extends Error {}

export class FileStore {
  readonly files = new Map<string, StoredFile>();
  private nextId = 100;
  private seq = 0;

  constructor(private readonly dir: string) {}

  seed(files: SeedFile[]): void {
    for (const f of files) this.files.set(f.id, { ...f, chunkCount: 0, chunks: [], completed: false, generation: 0, updatedAt: 0 });
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  /** `POST …/files/{id}` on an unknown id creates a new file with a fresh id (reference §5, §14.4). */
  createUnreferenced(name: string): StoredFile {
    const id = objectId(113, this.nextId++);
    const f: StoredFile = { id, name, kind: 'import-source', headerNames: [], chunkCount: 0, chunks: [], completed: false, generation: 0, updatedAt: 0 };
    this.files.set(id, f);
    return f;
  }

  async startUpload(file: StoredFile, chunkCount: number, now: number): Promise<void> {
    await this.deleteContent(file);
    file.chunkCount = chunkCount;
    file.completed = false;
    file.updatedAt = now;
  }

  /** Streams one chunk to disk (gunzipping when sent as gzip), then swaps it in atomically. */
  async putChunk(file: StoredFile, index: number, body: Readable, gzip: boolean, now: number): Promise<void> {
    const generation = file.generation;
    const final = join(this.dir, `f${file.id}-g${generation}-c${index}`);
    const tmp = `${final}.${this.seq++}.part`;
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > MAX_CHUNK_BYTES) cb(new ChunkTooLargeError(`chunk exceeds ${MAX_CHUNK_BYTES} bytes`));
        else cb(null, chunk);
      },
    });
    try {
      if (gzip) await pipeline(body, createGunzip(), counter, createWriteStream(tmp));
      else await pipeline(body, counter, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    if (file.generation !== generation) {
      await rm(tmp, { force: true });
      return;
    }
    await rename(tmp, final);
    file.chunks[index] = { path: final, size };
    file.updatedAt = now;
    if (file.chunkCount > 0 && this.presentCount(file) === file.chunkCount) file.completed = true;
  }

  /** `/complete` closes an open-ended upload: the chunks present (contiguous from 0) are the file. */
  complete(file: StoredFile, now: number): boolean {
    const n = this.presentCount(file);
    for (let i = 0; i < n; i++) if (!file.chunks[i]) return false;
    file.chunkCount = n;
    file.completed = n > 0;
    file.updatedAt = now;
    return true;
  }

  presentCount(file: StoredFile): number {
    return file.chunks.filter(Boolean).length;
  }

  /** Complete content as ordered chunks, or undefined when the file has none (or is half-uploaded). */
  content(file: StoredFile): StoredChunk[] | undefined {
    if (!file.completed || file.chunkCount <= 0) return undefined;
    const out: StoredChunk[] = [];
    for (let i = 0; i < file.chunkCount; i++) {
      const c = file.chunks[i];
      if (!c) return undefined;
      out.push(c);
    }
    return out;
  }

  /** Replaces the content with chunk files written elsewhere (export output). */
  async setContent(file: StoredFile, chunks: StoredChunk[], now: number): Promise<void> {
    await this.deleteContent(file);
    file.chunks = chunks;
    file.chunkCount = chunks.length;
    file.completed = true;
    file.updatedAt = now;
  }

  async deleteContent(file: StoredFile): Promise<void> {
    const old = file.chunks;
    file.generation++;
    file.chunks = [];
    file.chunkCount = 0;
    file.completed = false;
    await Promise.all(old.filter(Boolean).map((c) => rm(c!.path, { force: true })));
  }

  newPath(label: string): string {
    return join(this.dir, `${label}-${this.seq++}`);
  }
}

/** Reads chunk files one after another as a single byte stream. */
export async function* readChunks(chunks: StoredChunk[], highWaterMark = 256 * 1024): AsyncGenerator<Buffer> {
  for (const c of chunks) for await (const b of createReadStream(c.path, { highWaterMark })) yield b as Buffer;
}

export function totalSize(chunks: StoredChunk[]): number {
  return chunks.reduce((s, c) => s + c.size, 0);
}

export async function statChunks(paths: string[]): Promise<StoredChunk[]> {
  return Promise.all(paths.map(async (path) => ({ path, size: (await stat(path)).size })));
}
