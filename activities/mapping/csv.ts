/** RFC 4180 CSV field quoting for the files we write (Anaplan imports read RFC 4180 CSV). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A plain decimal number such as `-12.50`, `-100` or `-1e3`: safe in a spreadsheet, and data we must not change. */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const FORMULA_START = /^[=+@\t\r]|^-/;

/**
 * Formula-injection guard (OWASP "CSV injection"; issue 13 item 7): a cell a spreadsheet would read
 * as a formula (`=`, `+`, `@`, tab, CR, or `-` not starting a number) gets a leading `'`, so a
 * NetSuite name like `=HYPERLINK(...)` stays text when someone opens the artifact or Anaplan's file
 * in Excel. Negative numbers and codes such as `-100` are left as they are, so amounts round-trip.
 */
export function neutralizeFormula(value: string): string {
  if (!FORMULA_START.test(value)) return value;
  if (value[0] === '-' && NUMBER.test(value)) return value;
  return `'${value}`;
}

/** Inverse of neutralizeFormula for values read back from Anaplan (list codes, failure dumps). */
export function restoreFormula(value: string): string {
  return value.length > 1 && value[0] === "'" && neutralizeFormula(value.slice(1)) === value ? value.slice(1) : value;
}

/** One CSV line; every cell passes the formula guard first (headers are constants and unaffected). */
export function csvLine(cells: readonly string[]): string {
  return cells.map((c) => csvField(neutralizeFormula(c))).join(',') + '\n';
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
