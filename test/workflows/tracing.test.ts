/**
 * OpenTelemetry tracing: with an OTLP endpoint configured, the worker exports a span per activity
 * attempt through Temporal's interceptors. The collector here is a plain HTTP server that records
 * what the OTLP/HTTP exporter posts to /v1/traces.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnectorWorker } from '../../worker/create-worker';
import { setupTracing } from '../../worker/tracing';
import { connectorDemo, demoWorkerOptions } from '../helpers/demo-worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

describe('OpenTelemetry traces over OTLP', () => {
  let t: TestTemporal;
  let collector: http.Server;
  const posts: Array<{ path: string; body: string }> = [];
  before(async () => {
    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('latin1')));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    // Read by setupTracing and by the OTLP exporter itself (its standard variable).
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    t = await testTemporal();
  });
  after(async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    await t?.close();
    collector?.close();
  });

  it('exports one span per activity of a workflow run to the configured endpoint', async () => {
    const taskQueue = uniqueTaskQueue('otel');
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      ...demoWorkerOptions(),
    });
    try {
      await worker.runUntil(async () => {
        const result = await t.client.workflow.execute(connectorDemo, {
          taskQueue,
          workflowId: `otel-${taskQueue}`,
          args: [{ steps: ['align', 'import'] }],
        });
        assert.deepEqual(result.completed, ['align', 'import']);
      });
    } finally {
      await connection.close();
    }
    const tracing = await setupTracing();
    assert.ok(tracing, 'tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT is set');
    await tracing.shutdown(); // flushes the batch processor
    const traces = posts.filter((p) => p.path === '/v1/traces');
    assert.ok(
      traces.length > 0,
      `the exporter posted to /v1/traces (got ${posts.map((p) => p.path).join(', ') || 'nothing'})`,
    );
    const spans = traces.map((p) => p.body).join('\n');
    assert.equal(spans.split('RunActivity:demoStep').length - 1, 2, 'a span per demoStep activity');
    assert.match(spans, /ml-connector-worker/, 'the service name is on the resource');
  });
});
