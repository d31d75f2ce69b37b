/** RFC 4180 CSV field quoting for the files we write (Anaplan imports read RFC 4180 CSV). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',') + '\n';
}

/**
 * Lines of a text stream (LF or CRLF), pulled one chunk at a time: the source is read only as fast
 * as the caller consumes, so a slow consumer (e.g. synchronous audit inserts) never makes it buffer
 * a whole file. readline's async iterator queues every 'line' event instead, which at 1M lines
 * grew the worker heap by ~200 MB (bench/results.md).
 */
export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of input) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n', start)) {
      yield rest.charCodeAt(nl - 1) === 13 ? rest.slice(start, nl - 1) : rest.slice(start, nl);
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
