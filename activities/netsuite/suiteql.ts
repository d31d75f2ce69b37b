/**
 * SuiteQL paging (docs/netsuite.md §3). Two modes:
 *
 * - `offsetPages` — plain `limit`/`offset` paging. Pages are fetched concurrently (bounded by the
 *   client's concurrency cap and `prefetch`) but yielded strictly in order. NetSuite serves at most
 *   100,000 rows this way (1000 pages × ≤1000 rows, §3.1), so a query with more rows fails fast with
 *   `NetSuiteResultLimitError` before anything is yielded — never a silent truncation.
 *   Use it for master data and aggregated GL queries (partitioned by period/subsidiary, §3.3).
 * - `keysetPages` — for anything that can exceed 100,000 rows: the query is rebuilt with
 *   `WHERE key > :lastKey ORDER BY key` each time a window of 100,000 rows is used up (§3.3, §10.1).
 *   The ORDER BY must be unique and match `key()`, or rows are lost or repeated (§10.2).
 *
 * Both yield pages (not rows) so an activity can heartbeat a cursor and resume: in offset mode the
 * next `offset` (→ `startOffset`), in keyset mode `key(last row of the page)` (→ `after`), which is
 * valid at any page boundary because each window's query is `key > after`.
 */
import type { z } from 'zod';
import { NetSuiteProtocolError, NetSuiteResultLimitError, parseNetSuite } from './errors';
import type { SuiteQLPageWire, SuiteQLRow } from './types';

/** §3.1: 1000 rows per page and 1000 pages; 100,000 results without SuiteAnalytics Connect. */
export const SUITEQL_MAX_PAGE_SIZE = 1000;
export const SUITEQL_MAX_PAGES = 1000;
export const SUITEQL_MAX_RESULTS = 100_000;

export type FetchPage = (sql: string, limit: number, offset: number, signal?: AbortSignal) => Promise<SuiteQLPageWire>;

export interface SuiteQLPage<T> {
  rows: T[];
  /** Offset of this page within its query (window). */
  offset: number;
  /** Rows the (current window's) query has in total. */
  totalResults: number;
  /** Keyset mode: the key the current window starts after (undefined for the first window). */
  after?: unknown;
}

export interface SuiteQLOptions<T> {
  /** Rows per request, 1..1000 (default 1000). */
  pageSize?: number;
  /** Pages requested ahead of the consumer (default: the client's concurrency cap). */
  prefetch?: number;
  /** Resume from this offset (a multiple of pageSize), e.g. from a heartbeat. */
  startOffset?: number;
  /** Validates and types each row; rows are lowercase-keyed string maps before it. */
  schema?: z.ZodType<T, z.ZodTypeDef, unknown>;
  signal?: AbortSignal;
}

export interface KeysetOptions<T, K> extends Omit<SuiteQLOptions<T>, 'startOffset'> {
  /** Builds the query for the rows after `after` (undefined: from the start), ORDER BY the key. */
  build: (after: K | undefined) => string;
  /** The key of a row, as `build` expects it. */
  key: (row: T) => K;
  /** Resume after this key. */
  after?: K;
}

export function ceilingFor(pageSize: number): number {
  return Math.min(SUITEQL_MAX_RESULTS, pageSize * SUITEQL_MAX_PAGES);
}

/** Strips the per-item `links`, lowercases keys and renders values as strings (§3.2). */
export function normaliseRow(item: Record<string, unknown>): SuiteQLRow {
  const row: SuiteQLRow = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'links' || v === null || v === undefined) continue;
    row[k.toLowerCase()] =
      typeof v === 'boolean' ? (v ? 'T' : 'F') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return row;
}

function typed<T>(items: Array<Record<string, unknown>>, offset: number, options: SuiteQLOptions<T>): T[] {
  const rows = items.map(normaliseRow);
  if (!options.schema) return rows as unknown as T[];
  return rows.map((r, i) =>
    parseNetSuite(options.schema!, r, {
      method: 'POST',
      path: '/services/rest/query/v1/suiteql',
      what: `row ${offset + i}`,
    }),
  );
}

/** Pages of one query from `startOffset` up to `min(totalResults, ceiling)`, in order. */
async function* windowPages<T>(
  fetch: FetchPage,
  sql: string,
  options: SuiteQLOptions<T>,
  prefetch: number,
  failOverCeiling: boolean,
): AsyncGenerator<SuiteQLPage<T>> {
  const pageSize = options.pageSize ?? SUITEQL_MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > SUITEQL_MAX_PAGE_SIZE)
    throw new RangeError(`pageSize must be 1..${SUITEQL_MAX_PAGE_SIZE}`);
  const start = options.startOffset ?? 0;
  if (start % pageSize !== 0) throw new RangeError('startOffset must be a multiple of pageSize');
  const ceiling = ceilingFor(pageSize);
  const first = await fetch(sql, pageSize, start, options.signal);
  const total = first.totalResults;
  if (failOverCeiling && total > ceiling) {
    throw new NetSuiteResultLimitError(
      `SuiteQL query has ${total} rows; offset paging reaches only ${ceiling}. Use suiteqlKeyset().`,
      { method: 'POST', path: '/services/rest/query/v1/suiteql', code: 'RESULT_LIMIT' },
    );
  }
  yield { rows: typed(first.items, start, options), offset: start, totalResults: total };
  if (!first.hasMore) return;
  const end = Math.min(total, ceiling);
  let next = start + pageSize;
  const queue: Array<{ offset: number; page: Promise<SuiteQLPageWire> }> = [];
  const fill = () => {
    while (queue.length < prefetch && next < end) {
      const page = fetch(sql, pageSize, next, options.signal);
      // Marked handled now; the error is still thrown when this page's turn comes.
      page.catch(() => undefined);
      queue.push({ offset: next, page });
      next += pageSize;
    }
  };
  fill();
  while (queue.length > 0) {
    const { offset, page } = queue.shift()!;
    const wire = await page;
    fill();
    yield { rows: typed(wire.items, offset, options), offset, totalResults: total };
    if (!wire.hasMore) return;
  }
}

export function offsetPages<T = SuiteQLRow>(
  fetch: FetchPage,
  sql: string,
  options: SuiteQLOptions<T>,
  defaultPrefetch: number,
): AsyncGenerator<SuiteQLPage<T>> {
  return windowPages(fetch, sql, options, Math.max(1, options.prefetch ?? defaultPrefetch), true);
}

export async function* keysetPages<T = SuiteQLRow, K = unknown>(
  fetch: FetchPage,
  options: KeysetOptions<T, K>,
  defaultPrefetch: number,
): AsyncGenerator<SuiteQLPage<T>> {
  const ceiling = ceilingFor(options.pageSize ?? SUITEQL_MAX_PAGE_SIZE);
  let after = options.after;
  for (;;) {
    let last: T | undefined;
    let total = 0;
    for await (const page of windowPages(
      fetch,
      options.build(after),
      options,
      Math.max(1, options.prefetch ?? defaultPrefetch),
      false,
    )) {
      if (page.rows.length > 0) last = page.rows[page.rows.length - 1];
      total = page.totalResults;
      yield { ...page, after };
    }
    if (total <= ceiling || last === undefined) return;
    const next = options.key(last);
    if (after !== undefined && JSON.stringify(next) === JSON.stringify(after)) {
      throw new NetSuiteProtocolError(
        'SuiteQL keyset paging did not advance: the ORDER BY must be unique and match key()',
        { method: 'POST', path: '/services/rest/query/v1/suiteql' },
      );
    }
    after = next;
  }
}

/**
 * A SuiteQL literal. SuiteQL has no bind parameters over REST (§3.1: seen only in one client's
 * tests, UNCONFIRMED), so values are inlined: strings quoted with `''` escaping, numbers checked
 * finite, booleans as 'T'/'F', dates as TO_DATE(…, 'YYYY-MM-DD') so the user's date format never matters (§10.3).
 */
export function suiteqlLiteral(value: string | number | boolean | Date | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? "'T'" : "'F'";
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('SuiteQL literal must be a finite number');
    return String(value);
  }
  if (value instanceof Date) return `TO_DATE('${value.toISOString().slice(0, 10)}', 'YYYY-MM-DD')`;
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Keyset predicate for a composite sort key: `(a > 1 OR (a = 1 AND b > 2))`, or `1 = 1` for the
 * first window. Pair it with `ORDER BY a, b` over a unique key (§3.3, §10.2).
 */
export function keysetPredicate(columns: string[], after: ReadonlyArray<string | number> | undefined): string {
  if (after === undefined) return '1 = 1';
  if (after.length !== columns.length) throw new RangeError('keyset: one value per column');
  for (const c of columns)
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(c)) throw new RangeError(`keyset: bad column ${c}`);
  const terms = columns.map((c, i) =>
    [
      ...columns.slice(0, i).map((p, j) => `${p} = ${suiteqlLiteral(after[j]!)}`),
      `${c} > ${suiteqlLiteral(after[i]!)}`,
    ].join(' AND '),
  );
  return `(${terms.map((t) => `(${t})`).join(' OR ')})`;
}
