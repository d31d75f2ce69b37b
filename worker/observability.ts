/**
 * Process-level observability for `ml-connector worker`: the SDK runtime with its Prometheus exporter
 * on a private loopback port, our `/metrics` on the requested one (merging both), and OTLP tracing
 * when configured. Must run before the first Temporal connection (Runtime.install comes first).
 */
import { installRuntime } from './create-worker';
import { freeLoopbackPort, startMetricsServer } from './metrics-server';
import { setupTracing } from './tracing';

export interface Observability {
  metricsUrl?: string;
  close(): Promise<void>;
}

export async function startObservability(opts: {
  metricsPort?: number;
  metricsHost?: string;
  log: (line: string) => void;
}): Promise<Observability> {
  const tracing = await setupTracing();
  if (tracing) opts.log('worker: OpenTelemetry traces exported to the configured OTLP endpoint');
  if (opts.metricsPort === undefined) return { close: async () => tracing?.shutdown() };
  const sdkPort = await freeLoopbackPort();
  installRuntime('WARN', { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } });
  const server = await startMetricsServer({
    port: opts.metricsPort,
    host: opts.metricsHost,
    sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
  });
  opts.log(`worker: metrics at ${server.url}`);
  return {
    metricsUrl: server.url,
    close: async () => {
      await server.close();
      await tracing?.shutdown();
    },
  };
}
