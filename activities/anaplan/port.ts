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
import { Chunk, type ExportInfo, type ImportInfo } from './types';
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
  for (const r of dump.rows) out += csvLine([...dump.columns.map((c) => r.values[c] ?? ''), r.status, String(r.line), r.error]);
  return out;
}

export function createAnaplanPort(client: AnaplanClient, options: AnaplanPortOptions = {}) {
  const chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
  const pick = <T extends { id: string; name: string }>(kind: string, items: T[], ref: string): T => {
    const found = items.find((i) => i.name === ref) ?? items.find((i) => i.id === ref);
    if (!found) throw new AnaplanNotFoundError(`no ${kind} "${ref}" in model ${client.modelId}`, { method: 'GET', path: `${client.modelPath}/${kind}s`, code: 'name-not-found' });
    return found;
  };

  return {
    async listItems(listName: string): Promise<Array<{ code: string; name: string; parent: string | null }>> {
      const list = await client.findList(listName);
      const items = await client.listItems(list.id);
      const codeById = new Map(items.map((i) => [i.id, i.code ?? i.name]));
      return items.map((i) => ({ code: i.code ?? i.name, name: i.name, parent: i.parentId ? (codeById.get(i.parentId) ?? null) : null }));
    },

    async runImport(importRef: string, file: { path: string; bytes: number }, opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}) {
      const imp: ImportInfo = pick('import', await client.imports({ signal: opts.signal }), importRef);
      if (!imp.importDataSourceId) throw new AnaplanNotFoundError(`import "${imp.name}" has no source file`, { method: 'GET', path: `${client.modelPath}/imports/${imp.id}` });
      const chunks = Math.max(1, Math.ceil(file.bytes / chunkSize));
      const up = await client.uploadFile(imp.importDataSourceId, file.path, { chunkSizeBytes: chunkSize, gzip: options.gzip, signal: opts.signal, onChunk: ({ index }) => opts.onProgress?.({ phase: 'upload', chunk: index + 1, chunks }) });
      try {
        const r = await client.runImport(imp.id, { signal: opts.signal, poll: options.poll, maxDumpRows: options.maxDumpRows ?? 100_000, onProgress: (t) => opts.onProgress?.({ phase: 'import', progress: t.progress }) });
        return { taskId: r.taskId, successful: true, rowsImported: r.counts.successful, rowsRejected: r.counts.failed, dumpCsv: r.dump ? dumpToCsv(r.dump) : undefined, chunks: up.chunkCount };
      } catch (err) {
        // A task that ran but reported failure is an outcome, not a transport error.
        if (!(err instanceof AnaplanTaskFailedError) || !err.result) throw err;
        const counts = countsOf(err.result);
        return { taskId: err.taskId!, successful: false, rowsImported: counts.successful, rowsRejected: counts.failed, message: err.message, chunks: up.chunkCount };
      }
    },

    async runExport(exportRef: string, sink: (body: Readable) => Promise<void>, opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}) {
      const exp: ExportInfo = pick('export', await client.exports({ signal: opts.signal }), exportRef);
      const r = await client.runExport(exp.id, { signal: opts.signal, poll: options.poll, onProgress: (t) => opts.onProgress?.({ phase: 'export', progress: t.progress }) });
      // The output file shares the export's ID (reference §5); its chunks are streamed in order.
      const base = `${client.modelPath}/files/${exp.id}`;
      const list = await client.all(`${base}/chunks`, 'chunks', Chunk, { signal: opts.signal });
      const body = Readable.from(
        (async function* () {
          for (const [i, c] of list.entries()) {
            opts.onProgress?.({ phase: 'download', chunk: i + 1, chunks: list.length });
            const res = await client.request('GET', `${base}/chunks/${c.id}`, { accept: 'application/octet-stream', signal: opts.signal });
            for await (const b of res.body) yield b as Buffer;
          }
        })(),
      );
      await sink(body);
      return { taskId: r.taskId };
    },

    async describeActions() {
      const [imports, exports] = await Promise.all([client.imports(), client.exports()]);
      return {
        imports: await Promise.all(imports.map(async (i) => ({ id: i.id, name: i.name, columns: (await client.importMetadata(i.id)).source?.headerNames }))),
        exports: await Promise.all(exports.map(async (e) => ({ id: e.id, name: e.name, columns: (await client.exportMetadata(e.id)).headerNames }))),
      };
    },
  };
}

export type AnaplanPortAdapter = ReturnType<typeof createAnaplanPort>;
