/**
 * Codec server for the Temporal UI and CLI (issue 6 item 3, docs/temporal.md §6.3):
 * `POST /encode` and `POST /decode` with `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`
 * both ways, using the same EncryptionCodec as worker and client. Binds to 127.0.0.1 by default.
 *
 * Rules (issue 13 item 4), enforced at start, not warned: a non-loopback bind needs a bearer token;
 * `/encode` always needs the token (an open encoder lets any local process forge encrypted inputs);
 * `*` is no CORS origin while cookies are allowed; the Host header must name the bind address or a
 * configured name, so a DNS-rebinding page cannot reach a loopback server through its own hostname.
 * TLS is served directly when a certificate and key are given (the UI sends tokens only over https).
 *
 * Point the UI at it: `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888`, or
 * "Configure Codec Server" in the UI; CLI: `--codec-endpoint` / `TEMPORAL_CODEC_ENDPOINT`.
 * Logs carry method, path, status and payload count; never payload contents or the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { CodecError, CodecKeys, EncryptionCodec } from '../common/node/codec';

export const DEFAULT_CODEC_PORT = 8888;
/** Default origin of the dev server's UI (`temporal server start-dev`). */
export const DEFAULT_UI_ORIGIN = 'http://localhost:8233';
const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';

export interface CodecServerOptions {
  /** Default 8888; 0 picks a free port (tests). */
  port?: number;
  host?: string;
  keys: CodecKeys;
  /** When set, every POST needs `Authorization: Bearer <token>`; required off loopback and for /encode. */
  bearerToken?: string;
  /** Origins allowed by CORS (default the dev UI); "*" allows any origin, only with `corsCredentials: false`. */
  corsOrigins?: string[];
  /** Send `Access-Control-Allow-Credentials` (the UI's "include cross-origin credentials"); default true. */
  corsCredentials?: boolean;
  /** Host names clients use besides the bind address (a DNS name in front of it); loopback binds also accept localhost. */
  allowedHosts?: string[];
  /** Serve https with this certificate chain and key (PEM). */
  tls?: { certPem: string; keyPem: string };
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
  constructor(
    readonly status: number,
    message: string,
  ) {
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

/** A codec server configuration that the rules above refuse. */
export class CodecServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecServerConfigError';
  }
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const isLoopback = (host: string) => LOOPBACK_NAMES.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** Hostname part of a Host header (`name:port`, `[v6]:port`), lowercased. */
function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(header.trim());
  return m ? bare(m[1]) : undefined;
}

/** Checks the options against the rules; returns the Host names accepted. */
export function checkCodecServerOptions(opts: CodecServerOptions): Set<string> {
  const host = bare(opts.host ?? '127.0.0.1');
  if (opts.bearerToken !== undefined && opts.bearerToken.length < 16) {
    throw new CodecServerConfigError('codec server bearer token must be at least 16 characters');
  }
  if (!isLoopback(host) && opts.bearerToken === undefined) {
    throw new CodecServerConfigError(
      `codec server on ${host} without a bearer token: anyone who reaches it could decrypt payloads; set a token (--token-env) or bind to 127.0.0.1`,
    );
  }
  if ((opts.corsOrigins ?? []).includes('*') && opts.corsCredentials !== false) {
    throw new CodecServerConfigError(
      'CORS origin "*" with credentials allowed would let any web page use the codec server with the user\'s cookies; list the UI origins instead (or turn credentials off)',
    );
  }
  const names = new Set((opts.allowedHosts ?? []).map((h) => bare(h)));
  const wildcard = host === '0.0.0.0' || host === '::';
  if (!wildcard) names.add(host);
  if (isLoopback(host)) for (const n of LOOPBACK_NAMES) names.add(n);
  if (names.size === 0) {
    throw new CodecServerConfigError(
      `codec server bound to ${host} needs the names clients reach it by (--allowed-host), so requests for other hosts (DNS rebinding) are refused`,
    );
  }
  for (const n of names)
    if (!n || /[\s/]/.test(n)) throw new CodecServerConfigError(`allowed host ${JSON.stringify(n)} is not a host name`);
  return names;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const codec: PayloadCodec = new EncryptionCodec(opts.keys);
  const origins = opts.corsOrigins ?? [DEFAULT_UI_ORIGIN];
  const credentials = opts.corsCredentials !== false;
  const limit = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const log = opts.log ?? (() => undefined);
  const allowedHosts = checkCodecServerOptions(opts);

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const origin = req.headers.origin;
    const pathname = new URL(req.url ?? '/', 'http://codec').pathname;
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      if (body === undefined) res.end();
      else {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      }
    };
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends `Host: evil.example`.
    const requested = hostOf(req.headers.host);
    if (!requested || !allowedHosts.has(requested)) {
      log(`codec-server ${req.method} ${pathname} 421 host not allowed`);
      req.resume();
      return send(421, {
        error: `Host ${JSON.stringify(req.headers.host ?? '')} is not served here (allowed: ${[...allowedHosts].join(', ')}); add it with --allowed-host`,
      });
    }
    if (origin && (origins.includes(origin) || origins.includes('*'))) {
      res.setHeader('Access-Control-Allow-Origin', origins.includes(origin) ? origin : '*');
      res.setHeader('Vary', 'Origin');
      // The UI's "Include cross-origin credentials" option sends cookies; allowed for listed origins only.
      if (credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }

    (async () => {
      if (req.method === 'OPTIONS') return send(204, undefined);
      const op = pathname.endsWith('/encode') ? 'encode' : pathname.endsWith('/decode') ? 'decode' : undefined;
      if (req.method === 'GET' && (pathname === '/' || pathname === '/health')) return send(200, { status: 'ok' });
      if (!op) throw new HttpError(404, 'not found: use POST /encode or POST /decode');
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      if (op === 'encode' && opts.bearerToken === undefined) {
        throw new HttpError(
          403,
          '/encode needs a bearer token (start the codec server with --token-env): an open encoder lets any local process forge encrypted payloads',
        );
      }
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
      log(
        `codec-server ${req.method} ${pathname} 200 payloads=${output.length} namespace=${String(req.headers['x-namespace'] ?? '-')}`,
      );
    })().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof HttpError ? e.message : 'internal error';
      log(`codec-server ${req.method} ${pathname} ${status} ${message}`);
      req.resume(); // drain an unread body so the client sees the response, not a reset
      if (!res.headersSent) send(status, { error: message });
      else res.destroy();
    });
  };
  let server: http.Server;
  try {
    server = opts.tls
      ? https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler)
      : http.createServer(handler);
  } catch (e) {
    throw new CodecServerConfigError(`codec server TLS certificate/key not usable: ${(e as Error).message}`);
  }

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_CODEC_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = isIP(bare(host)) === 6 ? `[${bare(host)}]` : host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
