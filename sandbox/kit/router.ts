/**
 * A minimal router shared by the sandboxes: exact-segment patterns with `:params` (the pattern is the
 * route key of request statistics), and JSON/empty response helpers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  params: Record<string, string>;
}
export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route<H> {
  method: string;
  pattern: string;
  segments: string[];
  handler: H;
}

/**
 * Routes of one sandbox. `H` is the handler type: the kit's `Handler` (writes the response itself)
 * by default; a vendor may route to handlers of its own shape (NetSuite's return a response so its
 * pipeline can count statuses and apply governance around them).
 */
export class Router<H = Handler> {
  private readonly routes: Array<Route<H>> = [];

  add(method: string, pattern: string, handler: H): void {
    this.routes.push({ method, pattern, segments: pattern.split('/').filter(Boolean), handler });
  }

  /** Returns the handler and params, or `methodMismatch` when the path exists under another method. */
  match(
    method: string,
    pathname: string,
  ): { handler?: H; pattern?: string; params: Record<string, string>; methodMismatch: boolean } {
    const parts = pathname.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = r.segments[i]!;
        if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(parts[i]!);
        else if (seg !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (r.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { handler: r.handler, pattern: r.pattern, params, methodMismatch: false };
    }
    return { params: {}, methodMismatch };
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0' });
  res.end();
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
