/**
 * Codec server for the Temporal UI and CLI (issue 6 item 3, ../shared/reference/temporal.md §6.3):
 * `POST /encode` and `POST /decode` with `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`
 * both ways, using the same EncryptionCodec as worker and client. Binds to 127.0.0.1 by default;
 * anything wider should set a bearer token (and sit behind HTTPS, which the UI requires for auth).
 *
 * Point the UI at it: `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888`, or
 * "Configure Codec Server" in the UI; CLI: `--codec-endpoint` / `TEMPORAL_CODEC_ENDPOINT`.
 * Logs carry method, path, status and payload count; never payload contents or the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { CodecError, CodecKeys, EncryptionCodec } from '../common/codec';

export const DEFAULT_CODEC_PORT = 8888;
/** Default origin of the dev server's UI (`temporal server start-dev`). */
export const DEFAULT_UI_ORIGIN = 'http://localhost:8233';
const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';

export interface CodecServerOptions {
  /** Default 8888; 0 picks a free port (tests). */
  port?: number;
  host?: string;
  keys: CodecKeys;
  /** When set, every POST needs `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Origins allowed by CORS (default the dev UI); "*" allows any origin. */
  corsOrigins?: string[];
  /** Request body limit; default 16 MiB. */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface CodecServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const bodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(b64).optional().nullable(), data: b64.optional().nullable() })),
});

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function toWire(p: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

export function fromWire(p: { metadata?: Record<string, string> | null; data?: string | null }): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function tokenMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  // Hash both sides so the comparison is constant-time regardless of length.
  const a = createHash('sha256').update(m[1].trim()).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const codec: PayloadCodec = new EncryptionCodec(opts.keys);
  const origins = opts.corsOrigins ?? [DEFAULT_UI_ORIGIN];
  const limit = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const log = opts.log ?? (() => undefined);
  if (opts.bearerToken !== undefined && opts.bearerToken.length < 16) {
    throw new Error('codec server bearer token must be at least 16 characters');
  }

  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && (origins.includes(origin) || origins.includes('*'))) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      // The UI's "Include cross-origin credentials" option sends cookies; allow it for listed origins.
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    const pathname = new URL(req.url ?? '/', 'http://codec').pathname;
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      if (body === undefined) res.end();
      else {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      }
    };

    (async () => {
      if (req.method === 'OPTIONS') return send(204, undefined);
      const op = pathname.endsWith('/encode') ? 'encode' : pathname.endsWith('/decode') ? 'decode' : undefined;
      if (req.method === 'GET' && (pathname === '/' || pathname === '/health')) return send(200, { status: 'ok' });
      if (!op) throw new HttpError(404, 'not found: use POST /encode or POST /decode');
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      if (opts.bearerToken !== undefined && !tokenMatches(req.headers.authorization, opts.bearerToken)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="ml-connector codec"');
        throw new HttpError(401, 'missing or wrong bearer token');
      }
      let parsed: z.infer<typeof bodySchema>;
      try {
        parsed = bodySchema.parse(JSON.parse((await readBody(req, limit)).toString('utf8')));
      } catch (e) {
        if (e instanceof HttpError) throw e;
        throw new HttpError(400, 'body must be JSON {"payloads": [{"metadata": {key: base64}, "data": base64}]}');
      }
      const input = parsed.payloads.map(fromWire);
      let output: Payload[];
      try {
        output = op === 'encode' ? await codec.encode(input) : await codec.decode(input);
      } catch (e) {
        if (e instanceof CodecError) throw new HttpError(422, e.message);
        throw e;
      }
      send(200, { payloads: output.map(toWire) });
      log(`codec-server ${req.method} ${pathname} 200 payloads=${output.length} namespace=${String(req.headers['x-namespace'] ?? '-')}`);
    })().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof HttpError ? e.message : 'internal error';
      log(`codec-server ${req.method} ${pathname} ${status} ${message}`);
      req.resume(); // drain an unread body so the client sees the response, not a reset
      if (!res.headersSent) send(status, { error: message });
      else res.destroy();
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_CODEC_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
