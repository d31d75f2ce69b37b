/**
 * Server files (import sources, export outputs) with chunked content kept on disk, never in memory.
 * Protocol rules from docs/anaplan.md §5: `POST …/files/{id}` `{chunkCount}` (re)starts an upload and
 * discards old content; chunks "0","1",… are PUT (gzip accepted); `chunkCount:-1` needs `/complete`;
 * a whole-file GET is 404 while there is no content.
 * Content is private to the user who uploaded it (docs/anaplan.md §5, §16: "each user sees their own
 * uploaded content"), so every file holds one content slot per user, and content older than 48 h
 * on the sandbox clock is gone (docs/anaplan.md §5, §9).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { objectId } from './ids';
import type { SeedFile } from './seed';

/** Per-chunk ceiling, uncompressed (docs/anaplan.md §9: chunks 1–50 MB, ≤1,000 chunks per file). */
export const MAX_CHUNK_BYTES = 50 * 1024 * 1024;
export const MAX_CHUNKS = 1000;
/** Uploaded content and dumps live 48 h (docs/anaplan.md §5, §9). */
export const CONTENT_TTL_MS = 48 * 60 * 60 * 1000;

export interface StoredChunk {
  path: string;
  size: number;
}

/** The model builder's file settings (docs/anaplan.md §5: 1-based rows, 0 = none; `format` always `txt`). */
export interface FileSettings {
  firstDataRow: number;
  headerRow: number;
  separator: string;
  delimiter: string;
  encoding: string;
  format: string;
}
export const SETTING_KEYS = ['firstDataRow', 'headerRow', 'separator', 'delimiter', 'encoding', 'format'] as const;

/** One user's content of a file. */
export interface FileContent {
  /** Declared count; -1 while an open-ended upload awaits `/complete`; 0 = no content. */
  chunkCount: number;
  chunks: Array<StoredChunk | undefined>;
  completed: boolean;
  /** Bumped on every restart so a late chunk of an old upload cannot land in the new one. */
  generation: number;
  updatedAt: number;
}

export interface StoredFile {
  id: string;
  name: string;
  kind: SeedFile['kind'];
  headerNames: string[];
  settings: FileSettings;
  /** Content by user id. */
  content: Map<string, FileContent>;
}

export class ChunkTooLargeError extends Error {}

export const DEFAULT_SETTINGS: FileSettings = {
  firstDataRow: 2,
  headerRow: 1,
  separator: ',',
  delimiter: '"',
  encoding: 'UTF-8',
  format: 'txt',
};

export class FileStore {
  readonly files = new Map<string, StoredFile>();
  private nextId = 100;
  private seq = 0;

  constructor(private readonly dir: string) {}

  seed(files: SeedFile[]): void {
    for (const f of files)
      this.files.set(f.id, {
        ...f,
        settings:
          f.kind === 'export-output' ? { ...DEFAULT_SETTINGS, firstDataRow: 0, headerRow: 0 } : { ...DEFAULT_SETTINGS },
        content: new Map(),
      });
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  /** `POST …/files/{id}` on an unknown id creates a new file with a fresh id (docs/anaplan.md §5, §14.4). */
  createUnreferenced(name: string): StoredFile {
    const id = objectId(113, this.nextId++);
    const f: StoredFile = {
      id,
      name,
      kind: 'import-source',
      headerNames: [],
      settings: { ...DEFAULT_SETTINGS },
      content: new Map(),
    };
    this.files.set(id, f);
    return f;
  }

  /** The user's content slot (created empty on first use). */
  slot(file: StoredFile, userId: string): FileContent {
    let c = file.content.get(userId);
    if (!c)
      file.content.set(userId, (c = { chunkCount: 0, chunks: [], completed: false, generation: 0, updatedAt: 0 }));
    return c;
  }

  async startUpload(file: StoredFile, userId: string, chunkCount: number, now: number): Promise<void> {
    const c = this.slot(file, userId);
    await this.clear(c);
    c.chunkCount = chunkCount;
    c.completed = false;
    c.updatedAt = now;
  }

  /** Streams one chunk to disk (gunzipping when sent as gzip), then swaps it in atomically. */
  async putChunk(
    file: StoredFile,
    userId: string,
    index: number,
    body: Readable,
    gzip: boolean,
    now: number,
  ): Promise<void> {
    const c = this.slot(file, userId);
    const generation = c.generation;
    const final = join(this.dir, `f${file.id}-u${userId}-g${generation}-c${index}`);
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
    if (c.generation !== generation) {
      await rm(tmp, { force: true });
      return;
    }
    await rename(tmp, final);
    c.chunks[index] = { path: final, size };
    c.updatedAt = now;
    if (c.chunkCount > 0 && presentCount(c) === c.chunkCount) c.completed = true;
  }

  /**
   * Closes an open-ended upload (`/complete`, or — with the sandbox's `chunkCountFinalizes` switch —
   * re-posting its exact count): the chunks present, contiguous from 0, are the file.
   */
  finalize(file: StoredFile, userId: string, now: number, expected?: number): boolean {
    const c = this.slot(file, userId);
    const n = presentCount(c);
    for (let i = 0; i < n; i++) if (!c.chunks[i]) return false;
    if (expected !== undefined && expected !== n) return false;
    c.chunkCount = n;
    c.completed = n > 0;
    c.updatedAt = now;
    return true;
  }

  /** Complete content as ordered chunks, or undefined when the user has none, it is half-uploaded or expired. */
  content(file: StoredFile, userId: string, now: number): StoredChunk[] | undefined {
    const c = file.content.get(userId);
    if (!c || !c.completed || c.chunkCount <= 0 || now - c.updatedAt > CONTENT_TTL_MS) return undefined;
    const out: StoredChunk[] = [];
    for (let i = 0; i < c.chunkCount; i++) {
      const chunk = c.chunks[i];
      if (!chunk) return undefined;
      out.push(chunk);
    }
    return out;
  }

  /** Replaces the user's content with chunk files written elsewhere (export output). */
  async setContent(file: StoredFile, userId: string, chunks: StoredChunk[], now: number): Promise<void> {
    const c = this.slot(file, userId);
    await this.clear(c);
    c.chunks = chunks;
    c.chunkCount = chunks.length;
    c.completed = true;
    c.updatedAt = now;
  }

  async deleteContent(file: StoredFile, userId: string): Promise<void> {
    const c = file.content.get(userId);
    if (c) await this.clear(c);
  }

  async deleteAll(file: StoredFile): Promise<void> {
    for (const c of file.content.values()) await this.clear(c);
    file.content.clear();
  }

  private async clear(c: FileContent): Promise<void> {
    const old = c.chunks;
    c.generation++;
    c.chunks = [];
    c.chunkCount = 0;
    c.completed = false;
    await Promise.all(old.filter(Boolean).map((x) => rm(x!.path, { force: true })));
  }

  newPath(label: string): string {
    return join(this.dir, `${label}-${this.seq++}`);
  }
}

export function presentCount(c: FileContent): number {
  return c.chunks.filter(Boolean).length;
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
