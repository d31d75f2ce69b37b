import { request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { NetworkError } from './errors';

/** What one HTTP exchange reports, for the audit trail and statistics (no headers, no bodies). */
export interface CallRecord {
  system: 'netsuite' | 'anaplan';
  method: string;
  path: string;
  status: number | 'network-error';
  attempt: number;
  durationMs: number;
}
export type CallObserver = (call: CallRecord) => void;

export interface TransportOptions {
  /** undici dispatcher (Agent, Pool, MockAgent...): injected so tests and proxies need no globals. */
  dispatcher?: Dispatcher;
  /** Per-request timeout for headers and body inactivity. */
  timeoutMs?: number;
  observer?: CallObserver;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
  attempt?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Sends one request. Socket-level failures become `NetworkError` (retryable) naming method and path
 * only; the caller maps HTTP statuses to its vendor's error classes and decides on retries.
 */
export async function send(
  system: CallRecord['system'],
  req: HttpRequest,
  options: TransportOptions = {},
): Promise<HttpResponse> {
  const started = Date.now();
  const path = req.url.pathname + req.url.search;
  const timeoutMs = options.timeoutMs ?? 120_000;
  try {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      dispatcher: options.dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    options.observer?.({
      system,
      method: req.method,
      path: req.url.pathname,
      status: res.statusCode,
      attempt: req.attempt ?? 1,
      durationMs: Date.now() - started,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  } catch (err) {
    if (req.signal?.aborted) throw err;
    options.observer?.({
      system,
      method: req.method,
      path: req.url.pathname,
      status: 'network-error',
      attempt: req.attempt ?? 1,
      durationMs: Date.now() - started,
    });
    const code = (err as { code?: string }).code;
    throw new NetworkError({
      method: req.method,
      path,
      code,
      reason: code ?? (err as Error).message ?? 'network error',
      cause: undefined,
    });
  }
}

/** Reads a whole (small) response body as text; large bodies must be streamed by the caller. */
export async function readText(res: HttpResponse, maxBytes = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.body.destroy();
      throw new RangeError(`response body exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(res: HttpResponse): Promise<unknown> {
  const text = await readText(res);
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { unparsable: text.slice(0, 200) };
  }
}
