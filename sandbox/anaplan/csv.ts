/**
 * Streaming CSV for the sandbox's import engine: records are parsed from the stored chunks as they are
 * read, in batches, so a 200 MB import never sits in memory. RFC 4180 quoting (quoted fields may hold
 * separators, doubled quotes and newlines); unquoted lines take a fast split path.
 */
import { StringDecoder } from 'node:string_decoder';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export interface CsvRecord {
  /** 1-based physical line where the record starts (header = line 1), reported as `_Line_` in dumps. */
  line: number;
  fields: string[];
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

export function parseQuotedLine(s: string, sep: string): string[] {
  const out: string[] = [];
  let field = '';
  let i = 0;
  let inQuotes = false;
  while (i < s.length) {
    const ch = s[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else field += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === sep) {
      out.push(field);
      field = '';
    } else field += ch;
    i++;
  }
  out.push(field);
  return out;
}

/** Yields batches of records (one batch per source chunk) from a byte or text stream. */
export async function* readCsvBatches(source: AsyncIterable<Buffer | string>, sep = ','): AsyncGenerator<CsvRecord[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  let pending: string | null = null;
  let pendingLine = 0;
  const take = (raw: string, batch: CsvRecord[]) => {
    line++;
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (pending !== null) {
      pending += '\n' + l;
      if (countQuotes(pending) % 2 === 0) {
        batch.push({ line: pendingLine, fields: parseQuotedLine(pending, sep) });
        pending = null;
      }
      return;
    }
    if (l.length === 0) return;
    if (l.indexOf('"') < 0) batch.push({ line, fields: l.split(sep) });
    else if (countQuotes(l) % 2 === 0) batch.push({ line, fields: parseQuotedLine(l, sep) });
    else {
      pending = l;
      pendingLine = line;
    }
  };
  for await (const chunk of source) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const batch: CsvRecord[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl), batch);
      start = nl + 1;
    }
    carry = text.slice(start);
    if (batch.length > 0) yield batch;
  }
  const batch: CsvRecord[] = [];
  const rest = carry + decoder.end();
  if (rest.length > 0) take(rest, batch);
  if (pending !== null) batch.push({ line: pendingLine, fields: parseQuotedLine(pending, sep) });
  if (batch.length > 0) yield batch;
}

/** Quotes a field when it needs it (RFC 4180). */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Always-quoted field, as in Anaplan's failure dumps (`"_Status_","Column 1",…`). */
export function quoted(v: string | number): string {
  return `"${String(v).replace(/"/g, '""')}"`;
}

/**
 * Writes text lines into numbered chunk files, starting a new chunk when the current one would pass
 * `maxChunkBytes` (export and dump chunks are ≤10 MB on the real service, §5 and §7.2 of the reference).
 */
export class ChunkedWriter {
  readonly paths: string[] = [];
  private current?: WriteStream;
  private currentBytes = 0;
  totalBytes = 0;

  constructor(
    private readonly pathFor: (index: number) => string,
    private readonly maxChunkBytes: number,
  ) {}

  async write(text: string): Promise<void> {
    const size = Buffer.byteLength(text);
    if (!this.current || (this.currentBytes > 0 && this.currentBytes + size > this.maxChunkBytes)) await this.roll();
    this.currentBytes += size;
    this.totalBytes += size;
    if (!this.current!.write(text)) await once(this.current!, 'drain');
  }

  private async roll(): Promise<void> {
    await this.closeCurrent();
    const p = this.pathFor(this.paths.length);
    this.paths.push(p);
    this.current = createWriteStream(p);
    this.currentBytes = 0;
  }

  private async closeCurrent(): Promise<void> {
    if (!this.current) return;
    const s = this.current;
    this.current = undefined;
    await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  /** Closes the last chunk; an empty output still gets one (empty) chunk so the file exists. */
  async close(): Promise<string[]> {
    if (this.paths.length === 0) await this.roll();
    await this.closeCurrent();
    return this.paths;
  }
}
