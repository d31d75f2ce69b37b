/**
 * OpenTelemetry tracing through Temporal's interceptors, on only when an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, OTLP/HTTP; the exporter reads
 * those and `OTEL_EXPORTER_OTLP_HEADERS` itself). Spans: one per activity attempt, with the HTTP
 * calls' logs carrying the trace ID (activity outbound interceptor).
 * Workflow-side spans would need the interceptor module inside the prebuilt workflow bundle; left out
 * so the bundle (and replays of recorded histories) stays exactly the workflow code.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { tracingSettings, type Env } from '../common/node/env';

export interface Tracing {
  activity: ActivityInterceptorsFactory;
  shutdown(): Promise<void>;
}

export function otlpConfigured(env?: Env): boolean {
  return tracingSettings(env).enabled;
}

let tracing: Promise<Tracing | null> | undefined;

/**
 * Set up once per process; null when no endpoint is configured. The OpenTelemetry SDK is loaded
 * only then (~200 modules a worker without tracing does not need to hold in memory).
 */
export function setupTracing(env?: Env): Promise<Tracing | null> {
  const settings = tracingSettings(env);
  tracing ??= settings.enabled ? createTracing(settings.serviceName) : Promise.resolve(null);
  return tracing;
}

async function createTracing(serviceName: string): Promise<Tracing> {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { Resource } = await import('@opentelemetry/resources');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } =
    await import('@temporalio/interceptors-opentelemetry');
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Registers the global tracer and W3C propagator the interceptors use.
  provider.register();
  return {
    activity: (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    shutdown: () => provider.shutdown(),
  };
}
