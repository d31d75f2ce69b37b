/**
 * `/metrics` for `ml-connector worker --metrics-port N`: the connector's registry followed by the
 * Temporal SDK's runtime metrics. The SDK (Rust core) serves its own Prometheus endpoint; we bind it
 * to a private loopback port and append its text, so Prometheus scrapes one port. Metric names do not
 * clash: the SDK's start with `temporal_`, ours with `mlc_`.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { registry } from '../activities/observability/metrics';

/** A free loopback port for the SDK's exporter (bound by the Rust core right after). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: {
  port: number;
  host?: string;
  sdkMetricsUrl?: string;
}): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    void render(opts.sdkMetricsUrl).then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as net.AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function render(sdkMetricsUrl?: string): Promise<string> {
  const own = await registry.metrics();
  if (!sdkMetricsUrl) return own;
  // The SDK's exporter failing must not hide ours: report it as a comment and a gauge-like line.
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(5_000) });
    const sdk = await res.text();
    return `${own}\n# Temporal SDK runtime metrics\n${sdk}`;
  } catch (err) {
    return `${own}\n# Temporal SDK runtime metrics unavailable: ${(err as Error).message}\nmlc_sdk_metrics_up 0\n`;
  }
}
