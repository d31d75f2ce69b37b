/**
 * Adapter from `AnaplanClient` to the narrow port the cycle activities use (`activities/cycle/
 * ports.ts`, `AnaplanPort`). Kept structural (no import of that module) so either side can change
 * without a compile-time cycle; the worker assigns the result to its `AnaplanPort`.
 * Actions are referenced by name or ID, as the connection config allows.
 */
import { Readable } from 'node:stream';
import type { AnaplanClient } from './client';
import { AnaplanNotFoundError, AnaplanTaskFailedError } from './errors';
import { DEFAULT_CHUNK_BYTES } from './files';
import { Chunk, type ExportInfo, type ImportInfo, type NamedObject } from './types';
import { countsOf, type FailureDump, type PollPolicy } from './tasks';
import { csvLine } from '../mapping/csv';

export interface AnaplanPortOptions {
  chunkSizeBytes?: number;
  gzip?: boolean;
  poll?: PollPolicy;
  /** Dump rows returned to the caller (all are counted); default 100 000. */
  maxDumpRows?: number;
}

type Progress = { phase: string; chunk?: number; chunks?: number; progress?: number };

/** Failure dump back to CSV text: source columns, then `_Status_`, `_Line_`, `_Error_1_`. */
export function dumpToCsv(dump: FailureDump): string {
  const header = [...dump.columns, '_Status_', '_Line_', '_Error_1_'];
  let out = csvLine(header);
  for (const r of dump.rows)
    out += csvLine([...dump.columns.map((c) => r.values[c] ?? ''), r.status, String(r.line), r.error]);
  return out;
}

/**
 * Names → IDs of the model's lists and actions, read once per port (one port per connection and
 * worker, so once per session) instead of once per step: the structure changes only when a model
 * builder edits it. Preflight re-reads the actions every cycle (`describeActions`); a name that is
 * not in the cached catalog, or an ID that answers 404, re-reads it once before failing.
 */
class Catalog<T extends { id: string; name: string }> {
  private items?: Promise<T[]>;
  constructor(
    private readonly load: (opts: { signal?: AbortSignal }) => Promise<T[]>,
    private readonly notFound: (ref: string) => Error,
  ) {}

  refresh(opts: { signal?: AbortSignal } = {}): Promise<T[]> {
    const loading = this.load(opts);
    this.items = loading;
    loading.catch(() => {
      if (this.items === loading) this.items = undefined;
    });
    return loading;
  }

  /** The item named (or with ID) `ref`; `fresh` says whether it came from a read made just now. */
  async find(ref: string, opts: { signal?: AbortSignal } = {}): Promise<{ item: T; fresh: boolean }> {
    const byRef = (items: T[]) => items.find((i) => i.name === ref) ?? items.find((i) => i.id === ref);
    const cached = this.items ? byRef(await this.items) : undefined;
    if (cached) return { item: cached, fresh: false };
    const item = byRef(await this.refresh(opts));
    if (!item) throw this.notFound(ref);
    return { item, fresh: true };
  }

  /** Runs `use` on the item; if a cached ID has gone (404), re-reads the catalog and tries once more. */
  async with<R>(
    ref: string,
    opts: { signal?: AbortSignal },
    use: (item: T) => Promise<R>,
  ): Promise<{ item: T; value: R }> {
    const { item, fresh } = await this.find(ref, opts);
    try {
      return { item, value: await use(item) };
    } catch (err) {
      if (fresh || !(err instanceof AnaplanNotFoundError)) throw err;
      this.items = undefined;
      const again = (await this.find(ref, opts)).item;
      return { item: again, value: await use(again) };
    }
  }
}

export function createAnaplanPort(client: AnaplanClient, options: AnaplanPortOptions = {}) {
  const chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
  const notFound = (kind: string) => (ref: string) =>
    new AnaplanNotFoundError(`no ${kind} "${ref}" in model ${client.modelId}`, {
      method: 'GET',
      path: `${client.modelPath}/${kind}s`,
      code: 'name-not-found',
    });
  const lists = new Catalog<NamedObject>((o) => client.lists(o), notFound('list'));
  const imports = new Catalog<ImportInfo>((o) => client.imports(o), notFound('import'));
  const exports = new Catalog<ExportInfo>((o) => client.exports(o), notFound('export'));

  const sourceFileOf = (imp: ImportInfo): string => {
    if (!imp.importDataSourceId)
      throw new AnaplanNotFoundError(`import "${imp.name}" has no source file`, {
        method: 'GET',
        path: `${client.modelPath}/imports/${imp.id}`,
      });
    return imp.importDataSourceId;
  };

  return {
    async listItems(
      listName: string,
    ): Promise<Array<{ id: string; code: string; name: string; parent: string | null; parentId?: string }>> {
      const { value: items } = await lists.with(listName, {}, (list) => client.listItems(list.id));
      const codeById = new Map(items.map((i) => [i.id, i.code ?? i.name]));
      // `parent` resolves within this list; a composite hierarchy's parent is an item of its parent
      // list, which the caller resolves from `parentId`.
      return items.map((i) => ({
        id: i.id,
        code: i.code ?? i.name,
        name: i.name,
        parent: i.parentId ? (codeById.get(i.parentId) ?? null) : null,
        ...(i.parentId ? { parentId: i.parentId } : {}),
      }));
    },

    async uploadImportFile(
      importRef: string,
      source: Readable,
      opts: { signal?: AbortSignal; onChunk?: (chunk: number) => void } = {},
    ) {
      const { value: up } = await imports.with(importRef, { signal: opts.signal }, (found) =>
        client.uploadFile(sourceFileOf(found), source, {
          chunkSizeBytes: chunkSize,
          gzip: options.gzip,
          signal: opts.signal,
          onChunk: ({ index }) => opts.onChunk?.(index + 1),
        }),
      );
      return { chunks: up.chunkCount, bytes: up.bytes };
    },

    async runImport(
      importRef: string,
      file: { path: string; bytes: number },
      opts: {
        signal?: AbortSignal;
        uploaded?: { chunks: number };
        onProgress?: (p: Progress) => void;
        onStarted?: (taskId: string) => void;
      } = {},
    ) {
      const chunks = Math.max(1, Math.ceil(file.bytes / chunkSize));
      const { item: imp, value: up } = await imports.with(importRef, { signal: opts.signal }, async (found) => {
        const fileId = sourceFileOf(found);
        if (opts.uploaded) return { chunkCount: opts.uploaded.chunks };
        return client.uploadFile(fileId, file.path, {
          chunkSizeBytes: chunkSize,
          gzip: options.gzip,
          signal: opts.signal,
          onChunk: ({ index }) => opts.onProgress?.({ phase: 'upload', chunk: index + 1, chunks }),
        });
      });
      try {
        const r = await client.runImport(imp.id, {
          signal: opts.signal,
          poll: options.poll,
          workBytes: file.bytes,
          maxDumpRows: options.maxDumpRows ?? 100_000,
          onProgress: (t) => opts.onProgress?.({ phase: 'import', progress: t.progress }),
          onStarted: opts.onStarted,
        });
        return {
          taskId: r.taskId,
          successful: true,
          rowsImported: r.counts.successful,
          rowsRejected: r.counts.failed,
          dumpCsv: r.dump ? dumpToCsv(r.dump) : undefined,
          chunks: up.chunkCount,
        };
      } catch (err) {
        // A task that ran but reported failure is an outcome, not a transport error — also one that
        // ended "Failed." without a result (no counts: nothing is known to be loaded).
        if (!(err instanceof AnaplanTaskFailedError)) throw err;
        const counts = err.result ? countsOf(err.result) : { successful: 0, failed: 0 };
        return {
          taskId: err.taskId!,
          successful: false,
          rowsImported: counts.successful,
          rowsRejected: counts.failed,
          message: err.message,
          chunks: up.chunkCount,
        };
      }
    },

    async runExport(
      exportRef: string,
      sink: (body: Readable) => Promise<void>,
      opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
    ) {
      const { item: exp, value: r } = await exports.with(exportRef, { signal: opts.signal }, (found) =>
        client.runExport(found.id, {
          signal: opts.signal,
          poll: options.poll,
          onProgress: (t) => opts.onProgress?.({ phase: 'export', progress: t.progress }),
        }),
      );
      // The output file shares the export's ID (docs/anaplan.md §5); its chunks are streamed in order.
      const base = `${client.modelPath}/files/${exp.id}`;
      const list = await client.all(`${base}/chunks`, 'chunks', Chunk, { signal: opts.signal });
      const body = Readable.from(
        (async function* () {
          for (const [i, c] of list.entries()) {
            opts.onProgress?.({ phase: 'download', chunk: i + 1, chunks: list.length });
            const res = await client.request('GET', `${base}/chunks/${c.id}`, {
              accept: 'application/octet-stream',
              signal: opts.signal,
            });
            for await (const b of res.body) yield b as Buffer;
          }
        })(),
      );
      await sink(body);
      return { taskId: r.taskId };
    },

    /**
     * The model's import and export actions, read now (this also refreshes the session catalog), with
     * the source/header columns of the actions named in `detail` (by name or ID; default: all).
     */
    async describeActions(detail?: { imports?: string[]; exports?: string[] }) {
      const wanted = (refs: string[] | undefined, a: { id: string; name: string }) =>
        !refs || refs.includes(a.name) || refs.includes(a.id);
      const [imps, exps] = await Promise.all([
        !detail || detail.imports?.length ? imports.refresh() : [],
        !detail || detail.exports?.length ? exports.refresh() : [],
      ]);
      return {
        imports: await Promise.all(
          imps.map(async (i) => ({
            id: i.id,
            name: i.name,
            columns: wanted(detail?.imports, i) ? (await client.importMetadata(i.id)).source?.headerNames : undefined,
          })),
        ),
        exports: await Promise.all(
          exps.map(async (e) => ({
            id: e.id,
            name: e.name,
            columns: wanted(detail?.exports, e) ? (await client.exportMetadata(e.id)).headerNames : undefined,
          })),
        ),
      };
    },
  };
}
