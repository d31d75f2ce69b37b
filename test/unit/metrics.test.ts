/**
 * The connector's metrics in isolation: how HTTP calls are classified (throttle, retry, token mint),
 * which labels they get, and the /metrics endpoint merging the SDK's exporter text.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Counter } from 'prom-client';
import assert from 'node:assert/strict';
import {
  metrics,
  recordActivityResult,
  recordCall,
  registry,
  withCycleLabels,
} from '../../activities/observability/metrics';
import { labelsOf } from '../../worker/activity-metrics';
import { startMetricsServer } from '../../worker/metrics-server';
import { parseMetricsPort } from '../../client/commands/worker';
import { clientFor, control, startSandbox } from '../fixtures/netsuite/harness';

async function value(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((a, v) => a + v.value, 0);
}

describe('connector metrics', () => {
  it('counts calls, throttles, retries and token mints under the labels of the activity that made them', async () => {
    const l = { connection: 'acme', model: 'M1' };
    withCycleLabels(l, () => {
      recordCall({
        system: 'netsuite',
        method: 'POST',
        path: '/services/rest/auth/oauth2/v1/token',
        status: 200,
        attempt: 1,
        durationMs: 5,
      });
      recordCall({
        system: 'netsuite',
        method: 'POST',
        path: '/services/rest/query/v1/suiteql',
        status: 429,
        attempt: 1,
        durationMs: 5,
      });
      recordCall({
        system: 'netsuite',
        method: 'POST',
        path: '/services/rest/query/v1/suiteql',
        status: 200,
        attempt: 2,
        durationMs: 5,
      });
      recordCall({
        system: 'anaplan',
        method: 'POST',
        path: '/token/authenticate',
        status: 201,
        attempt: 1,
        durationMs: 5,
      });
      // A refused token request is a call, not a mint.
      recordCall({
        system: 'anaplan',
        method: 'POST',
        path: '/token/authenticate',
        status: 401,
        attempt: 1,
        durationMs: 5,
      });
      recordCall({
        system: 'anaplan',
        method: 'GET',
        path: '/2/0/workspaces',
        status: 'network-error',
        attempt: 3,
        durationMs: 5,
      });
    });
    recordCall({ system: 'anaplan', method: 'GET', path: '/2/0/workspaces', status: 200, attempt: 1, durationMs: 5 });

    assert.equal(await value(metrics.apiCalls, { ...l, system: 'netsuite' }), 3);
    assert.equal(await value(metrics.apiCalls, { ...l, system: 'anaplan' }), 3);
    assert.equal(await value(metrics.apiCalls, { ...l, system: 'anaplan', status_class: 'network-error' }), 1);
    assert.equal(await value(metrics.throttles, { ...l, system: 'netsuite' }), 1);
    assert.equal(await value(metrics.retries, { ...l, system: 'netsuite' }), 1);
    assert.equal(await value(metrics.retries, { ...l, system: 'anaplan' }), 1);
    assert.equal(await value(metrics.tokenMints, { ...l, system: 'netsuite' }), 1);
    assert.equal(await value(metrics.tokenMints, { ...l, system: 'anaplan' }), 1);
    assert.equal(
      await value(metrics.apiCalls, { connection: 'unknown', model: 'unknown', system: 'anaplan' }),
      1,
      'a call outside an activity is labelled unknown',
    );
  });

  it('takes the labels from the activity input’s config and counts journal outcomes from the result', async () => {
    const l = labelsOf([{ config: { name: 'beta', anaplan: { modelId: 'M2' } }, cycleId: 'c' }]);
    assert.deepEqual(l, { connection: 'beta', model: 'M2' });
    assert.deepEqual(labelsOf(['demo-step']), { connection: 'unknown', model: 'unknown' });
    recordActivityResult('postJournals', l, {
      posted: 3,
      updated: 2,
      unchanged: 1,
      retired: 4,
      failed: 1,
      failures: [],
    });
    recordActivityResult('postJournals', l, { posted: 1, updated: 0, unchanged: 0, failed: 0, failures: [] });
    assert.equal(await value(metrics.journals, { ...l, outcome: 'posted' }), 4);
    assert.equal(await value(metrics.journals, { ...l, outcome: 'retired' }), 4);
    assert.equal(await value(metrics.journals, { ...l, outcome: 'refused' }), 1);
  });

  it('counts a NetSuite 401 the client takes as throttling (docs/netsuite.md §6.3, §12) as a throttle', async () => {
    const sb = await startSandbox({ glLines: 500 });
    try {
      const client = clientFor(sb, { concurrency: 5 });
      await client.tokens.get();
      await control(sb, 'POST', 'config', { concurrencyLimit: 2, overLimitResponse: '401', overLimitDelayMs: 20 });
      await control(sb, 'POST', 'faults', { kind: 'latency', latencyMs: 30, rate: 1, route: 'governanceLimits' });
      const l = { connection: 'ns401', model: 'M3' };
      await withCycleLabels(l, () => Promise.all(Array.from({ length: 10 }, () => client.governanceLimits())));
      const stats = await control(sb, 'GET', 'stats');
      const refused = stats.requests['GET /services/rest/system/v1/governanceLimits']['401'] ?? 0;
      assert.ok(refused > 0, 'the sandbox refused over-limit calls with 401');
      assert.equal(await value(metrics.throttles, { ...l, system: 'netsuite', reason: 'login-401' }), refused);
      assert.equal(await value(metrics.throttles, { ...l, system: 'netsuite', reason: '429' }), 0);
    } finally {
      await sb.close();
    }
  });

  it('serves its registry and the SDK exporter’s text on one /metrics, and its own when the SDK is down', async () => {
    const sdk = http.createServer((_req, res) =>
      res.end('# TYPE temporal_num_pollers gauge\ntemporal_num_pollers{poller_type="activity_task"} 5\n'),
    );
    await new Promise<void>((r) => sdk.listen(0, '127.0.0.1', () => r()));
    const sdkUrl = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
    const server = await startMetricsServer({ port: 0, sdkMetricsUrl: sdkUrl });
    try {
      const res = await fetch(server.url);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /^mlc_api_calls_total\{.*system="netsuite".*\} \d+$/m);
      assert.match(text, /^temporal_num_pollers\{poller_type="activity_task"\} 5$/m);
      assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
      await new Promise<void>((r) => sdk.close(() => r()));
      const down = await (await fetch(server.url)).text();
      assert.match(down, /^mlc_api_calls_total/m);
      assert.match(down, /^mlc_sdk_metrics_up 0$/m);
    } finally {
      await server.close();
      sdk.close();
    }
    assert.ok((await registry.metrics()).includes('mlc_process_resident_memory_bytes'));
  });

  it('refuses a --metrics-port that is not a port, naming it', () => {
    assert.equal(parseMetricsPort(undefined), undefined);
    assert.equal(parseMetricsPort('9464'), 9464);
    assert.equal(parseMetricsPort('0'), 0);
    assert.throws(() => parseMetricsPort('http'), /--metrics-port must be a port number 0-65535, got "http"/);
    assert.throws(() => parseMetricsPort('70000'), /got "70000"/);
  });
});
