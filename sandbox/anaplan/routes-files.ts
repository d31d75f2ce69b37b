/**
 * Files and chunks (docs/anaplan.md §5): list, set chunk count (creating a new file for an unknown id),
 * PUT chunks (octet-stream or gzip), complete, whole-file and per-chunk download, delete content.
 * Content is the calling user's own (docs/anaplan.md §16). Switches: `completeRequiresAdmin` answers
 * `/complete` with 500 for a user who is not a workspace admin (seen live, docs/anaplan.md §16);
 * `chunkCountFinalizes` lets a re-posted exact chunk count close an open-ended upload instead of
 * restarting it (which of the two the real service does is UNCONFIRMED).
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { HttpFailure } from './errors';
import { header, sendEmpty, type Ctx } from '../kit/router';
import { readJsonBody } from '../kit/body';
import { both, ok, paged, workspaceOnly, type ApiCtx } from './api-common';
import {
  ChunkTooLargeError,
  MAX_CHUNKS,
  SETTING_KEYS,
  readChunks,
  type FileContent,
  type StoredChunk,
  type StoredFile,
} from './files';
import type { Router } from '../kit/router';
import type { SandboxState } from './state';

/** A file as one user sees it: the model builder's settings and that user's chunk count. */
export function fileJson(f: StoredFile, content?: FileContent) {
  const chunkCount = content?.chunkCount ?? 0;
  // Export outputs carry only id, name, chunkCount, firstDataRow:0, headerRow:0 (docs/anaplan.md §5).
  if (f.kind === 'export-output')
    return { id: f.id, name: f.name, chunkCount: Math.max(0, chunkCount), firstDataRow: 0, headerRow: 0 };
  const s = f.settings;
  return {
    id: f.id,
    name: f.name,
    chunkCount,
    delimiter: s.delimiter,
    encoding: s.encoding,
    firstDataRow: s.firstDataRow,
    format: s.format,
    headerRow: s.headerRow,
    separator: s.separator,
  };
}

export async function streamChunks(
  ctx: Ctx,
  chunks: StoredChunk[],
  contentType = 'application/octet-stream',
): Promise<void> {
  const size = chunks.reduce((s, c) => s + c.size, 0);
  ctx.res.writeHead(200, { 'content-type': contentType, 'content-length': String(size) });
  await pipeline(readChunks(chunks), ctx.res);
}

export function chunkList(ctx: Ctx, state: SandboxState, count: number): void {
  paged(
    ctx,
    state,
    'chunk',
    'chunks',
    Array.from({ length: count }, (_, i) => ({ id: String(i), name: `Chunk ${i}` })),
  );
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

  const contentOf = (ctx: ApiCtx) => state.files.content(fileOf(ctx), ctx.user.id, state.now());

  both(router, state, 'GET', '/files', (ctx) =>
    paged(
      ctx,
      state,
      'file',
      'files',
      [...state.files.files.values()].map((f) => fileJson(f, f.content.get(ctx.user.id))),
    ),
  );

  both(router, state, 'GET', '/files/:fileId', async (ctx) => {
    const content = contentOf(ctx);
    if (!content) throw new HttpFailure(404); // no content → 404 (docs/anaplan.md §5)
    await streamChunks(ctx, content);
  });

  both(router, state, 'POST', '/files/:fileId', async (ctx) => {
    const body = (await readJsonBody(ctx.req)) as { chunkCount?: unknown; name?: unknown } | undefined;
    const chunkCount = Number(body?.chunkCount);
    if (!Number.isInteger(chunkCount) || chunkCount < -1 || chunkCount === 0 || chunkCount > MAX_CHUNKS)
      throw new HttpFailure(400, `chunkCount must be -1 or 1..${MAX_CHUNKS}`);
    // An unknown id silently creates a new, unreferenced file (docs/anaplan.md §14.4).
    const f =
      state.files.get(ctx.params.fileId!) ??
      state.files.createUnreferenced(typeof body?.name === 'string' ? body.name : `File ${ctx.params.fileId}`);
    const open = f.content.get(ctx.user.id);
    const finalized =
      state.config.chunkCountFinalizes &&
      open?.chunkCount === -1 &&
      chunkCount > 0 &&
      state.files.finalize(f, ctx.user.id, state.now(), chunkCount);
    if (!finalized) await state.files.startUpload(f, ctx.user.id, chunkCount, state.now());
    ok(ctx, state, 'file', 'file', fileJson(f, f.content.get(ctx.user.id)));
  });

  // Single-request upload: the whole file as one chunk, uncompressed only (docs/anaplan.md §5).
  both(router, state, 'PUT', '/files/:fileId', async (ctx) => {
    const f = fileOf(ctx);
    await state.files.startUpload(f, ctx.user.id, 1, state.now());
    await putChunk(state, f, 0, ctx, false);
    sendEmpty(ctx.res, 204);
  });

  both(router, state, 'DELETE', '/files/:fileId', async (ctx) => {
    await state.files.deleteContent(fileOf(ctx), ctx.user.id);
    sendEmpty(ctx.res, 204);
  });

  both(router, state, 'GET', '/files/:fileId/chunks', (ctx) => chunkList(ctx, state, contentOf(ctx)?.length ?? 0));

  both(router, state, 'GET', '/files/:fileId/chunks/:chunkId', async (ctx) => {
    const content = contentOf(ctx);
    const c = content?.[Number(ctx.params.chunkId)];
    if (!c || !/^\d+$/.test(ctx.params.chunkId!)) throw new HttpFailure(404);
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(c.size) });
    await pipeline(createReadStream(c.path), ctx.res);
  });

  workspaceOnly(router, state, 'PUT', '/files/:fileId/chunks/:chunkId', async (ctx) => {
    const f = fileOf(ctx);
    if (!/^\d+$/.test(ctx.params.chunkId!)) throw new HttpFailure(400, 'Invalid chunk id');
    const index = Number(ctx.params.chunkId);
    const declared = f.content.get(ctx.user.id)?.chunkCount ?? 0;
    if (declared === 0 || (declared > 0 && index >= declared) || index >= MAX_CHUNKS)
      throw new HttpFailure(400, 'Chunk id out of range; set the chunk count first');
    await putChunk(state, f, index, ctx, isGzip(ctx));
    sendEmpty(ctx.res, 204);
  });

  workspaceOnly(router, state, 'POST', '/files/:fileId/complete', async (ctx) => {
    const f = fileOf(ctx);
    const body = (await readJsonBody(ctx.req).catch(() => undefined)) as Record<string, unknown> | undefined;
    // Live: 500 for a standard (non-admin) user (docs/anaplan.md §16).
    if (state.config.completeRequiresAdmin && !ctx.user.workspaceAdmin) throw new HttpFailure(500);
    // The body's settings fields are file settings: sending them overrides the model builder's (§16).
    for (const k of SETTING_KEYS) {
      const v = body?.[k];
      if (v !== undefined && typeof v === typeof f.settings[k])
        (f.settings as unknown as Record<string, unknown>)[k] = v;
    }
    if (!state.files.finalize(f, ctx.user.id, state.now())) throw new HttpFailure(400, 'Chunks are missing');
    ok(ctx, state, 'file', 'file', fileJson(f, f.content.get(ctx.user.id)));
  });
}

async function putChunk(state: SandboxState, f: StoredFile, index: number, ctx: ApiCtx, gzip: boolean): Promise<void> {
  try {
    await state.files.putChunk(f, ctx.user.id, index, ctx.req, gzip, state.now());
  } catch (err) {
    if (err instanceof ChunkTooLargeError) throw new HttpFailure(413, 'Chunk exceeds 50 MB');
    if ((err as { code?: string }).code === 'Z_DATA_ERROR') throw new HttpFailure(400, 'Invalid gzip data');
    throw err;
  }
}
