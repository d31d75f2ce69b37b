/**
 * Files and chunks (reference §5): list, set chunk count (creating a new file for an unknown id),
 * PUT chunks (octet-stream or gzip), complete, whole-file and per-chunk download, delete content.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { HttpFailure } from './errors';
import { header, readJsonBody, sendEmpty, type Ctx } from './http';
import { both, ok, paged, workspaceOnly, type ApiCtx } from './api-common';
import { ChunkTooLargeError, MAX_CHUNKS, readChunks, type StoredChunk, type StoredFile } from './files';
import type { Router } from './http';
import type { SandboxState } from './state';

export function fileJson(f: StoredFile) {
  // Export outputs carry only id, name, chunkCount, firstDataRow:0, headerRow:0 (reference §5).
  if (f.kind === 'export-output') return { id: f.id, name: f.name, chunkCount: Math.max(0, f.chunkCount), firstDataRow: 0, headerRow: 0 };
  return { id: f.id, name: f.name, chunkCount: f.chunkCount, delimiter: '"', encoding: 'UTF-8', firstDataRow: 2, format: 'txt', headerRow: 1, separator: ',' };
}

export async function streamChunks(ctx: Ctx, chunks: StoredChunk[], contentType = 'application/octet-stream'): Promise<void> {
  const size = chunks.reduce((s, c) => s + c.size, 0);
  ctx.res.writeHead(200, { 'content-type': contentType, 'content-length': String(size) });
  await pipeline(readChunks(chunks), ctx.res);
}

export function chunkList(ctx: Ctx, state: SandboxState, count: number): void {
  paged(ctx, state, 'chunk', 'chunks', Array.from({ length: count }, (_, i) => ({ id: String(i), name: `Chunk ${i}` })));
}

function isGzip(ctx: Ctx): boolean {
  const ct = header(ctx.req, 'content-type') ?? '';
  const ce = header(ctx.req, 'content-encoding') ?? '';
  return /gzip/i.test(ct) || /gzip/i.test(ce);
}

export function registerFileRoutes(router: Router, state: SandboxState): void {
  const fileOf = (ctx: ApiCtx) => {
    const f = state.files.get(ctx.params.fileId!);
    if (!f) throw new HttpFailure(404);
    return f;
  };

  both(router, state, 'GET', '/files', (ctx) => paged(ctx, state, 'file', 'files', [...state.files.files.values()].map(fileJson)));

  both(router, state, 'GET', '/files/:fileId', async (ctx) => {
    const content = state.files.content(fileOf(ctx));
    if (!content) throw new HttpFailure(404); // no content → 404 (reference §5)
    await streamChunks(ctx, content);
  });

  both(router, state, 'POST', '/files/:fileId', async (ctx) => {
    const body = (await readJsonBody(ctx.req)) as { chunkCount?: unknown; name?: unknown } | undefined;
    const chunkCount = Number(body?.chunkCount);
    if (!Number.isInteger(chunkCount) || chunkCount < -1 || chunkCount === 0 || chunkCount > MAX_CHUNKS) throw new HttpFailure(400, `chunkCount must be -1 or 1..${MAX_CHUNKS}`);
    // An unknown id silently creates a new, unreferenced file (reference §14.4).
    const f = state.files.get(ctx.params.fileId!) ?? state.files.createUnreferenced(typeof body?.name === 'string' ? body.name : `File ${ctx.params.fileId}`);
    await state.files.startUpload(f, chunkCount, state.now());
    ok(ctx, state, 'file', 'file', fileJson(f));
  });

  // Single-request upload: the whole file as one chunk, uncompressed only (reference §5).
  both(router, state, 'PUT', '/files/:fileId', async (ctx) => {
    const f = fileOf(ctx);
    await state.files.startUpload(f, 1, state.now());
    await putChunk(state, f, 0, ctx, false);
    sendEmpty(ctx.res, 204);
  });

  both(router, state, 'DELETE', '/files/:fileId', async (ctx) => {
    await state.files.deleteContent(fileOf(ctx));
    sendEmpty(ctx.res, 204);
  });

  both(router, state, 'GET', '/files/:fileId/chunks', (ctx) => chunkList(ctx, state, state.files.content(fileOf(ctx))?.length ?? 0));

  both(router, state, 'GET', '/files/:fileId/chunks/:chunkId', async (ctx) => {
    const content = state.files.content(fileOf(ctx));
    const c = content?.[Number(ctx.params.chunkId)];
    if (!c || !/^\d+$/.test(ctx.params.chunkId!)) throw new HttpFailure(404);
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(c.size) });
    await pipeline(createReadStream(c.path), ctx.res);
  });

  workspaceOnly(router, state, 'PUT', '/files/:fileId/chunks/:chunkId', async (ctx) => {
    const f = fileOf(ctx);
    if (!/^\d+$/.test(ctx.params.chunkId!)) throw new HttpFailure(400, 'Invalid chunk id');
    const index = Number(ctx.params.chunkId);
    if (f.chunkCount === 0 || (f.chunkCount > 0 && index >= f.chunkCount) || index >= MAX_CHUNKS) throw new HttpFailure(400, 'Chunk id out of range; set the chunk count first');
    await putChunk(state, f, index, ctx, isGzip(ctx));
    sendEmpty(ctx.res, 204);
  });

  workspaceOnly(router, state, 'POST', '/files/:fileId/complete', async (ctx) => {
    const f = fileOf(ctx);
    await readJsonBody(ctx.req).catch(() => undefined); // metadata echo; not needed here
    if (!state.files.complete(f, state.now())) throw new HttpFailure(400, 'Chunks are missing');
    ok(ctx, state, 'file', 'file', fileJson(f));
  });
}

async function putChunk(state: SandboxState, f: StoredFile, index: number, ctx: Ctx, gzip: boolean): Promise<void> {
  try {
    await state.files.putChunk(f, index, ctx.req, gzip, state.now());
  } catch (err) {
    if (err instanceof ChunkTooLargeError) throw new HttpFailure(413, 'Chunk exceeds 50 MB');
    if ((err as { code?: string }).code === 'Z_DATA_ERROR') throw new HttpFailure(400, 'Invalid gzip data');
    throw err;
  }
}
