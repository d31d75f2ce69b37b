/**
 * Start/stop of a sandbox's HTTP server: binds port 0 unless told otherwise, reports the URL it got,
 * and on close drops keep-alive connections so tests never wait for idle sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface KitServer {
  url: string;
  server: Server;
  close(): Promise<void>;
  /**
   * An outage (chaos runs): stops listening and drops every connection, keeping the vendor's state;
   * `up()` listens again on the same port, so clients configured with the URL reconnect.
   */
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface KitServerOptions {
  port?: number;
  host?: string;
  keepAliveTimeoutMs?: number;
  /** Host name written into the URL; default the bound address (NetSuite reports the host it was given). */
  urlHost?: string;
  /** Writes the vendor's 500 when a handler throws before answering; the socket is destroyed otherwise. */
  onError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
}

export async function startKitServer(handler: RequestHandler, options: KitServerOptions): Promise<KitServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) options.onError(req, res, err);
      else res.destroy();
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('sandbox did not bind a TCP port');
  const name = options.urlHost ?? addr.address;
  const host = name.includes(':') ? `[${name}]` : name;
  let closed = false;
  let listening = true;
  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await stopped;
  };
  return {
    url: `http://${host}:${addr.port}`,
    server,
    async close() {
      if (closed) return;
      closed = true;
      await stopListening();
    },
    down: stopListening,
    async up() {
      if (closed || listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(addr.port, addr.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
  };
}
