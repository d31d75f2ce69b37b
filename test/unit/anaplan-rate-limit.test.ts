import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallRecord } from '../../activities/http';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

// A 20-per-second budget stands in for 600 per minute so the test runs in seconds.
let sb: AnaplanSandbox;
before(async () => {
  sb = await sandbox({ requestsPerMinute: 20, rateWindowMs: 1000 });
});
after(() => sb.close());

test('a 429 burst is survived (Retry-After honoured) while the client keeps under the tenant budget', async () => {
  await control(sb, 'POST', '/reset');
  const calls: CallRecord[] = [];
  const c = client(sb, { requestsPerMinute: 18, rateWindowMs: 1000, observer: (r) => calls.push(r) });
  await c.me();
  // A burst of injected 429s with Retry-After: 1 on the first three list calls.
  await control(sb, 'POST', '/faults', { match: { path: '/lists' }, status: 429, retryAfterSec: 1, count: 3 });
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? c.lists() : c.modules())));
  assert.equal(results.length, 50);
  assert.ok(results.every((r) => r.length > 0));
  const injected = calls.filter((r) => r.status === 429);
  assert.equal(injected.length, 3, 'the burst was seen and retried');
  assert.ok(Date.now() - started >= 1000, 'Retry-After was waited out');
  const { budget } = await control(sb, 'GET', '/state');
  assert.equal(budget.limited, 0, 'the tenant budget itself was never exceeded');
  assert.ok(budget.peak <= 20, `peak ${budget.peak} in one window`);
  assert.ok(c.limiter.peak <= 18, `client budget peak ${c.limiter.peak}`);
  assert.ok(budget.admitted >= 51, 'every call reached the API');
});

test('without a client-side limit the sandbox answers 429 + Retry-After and the shared policy still gets every call through', async () => {
  await control(sb, 'POST', '/reset');
  const calls: CallRecord[] = [];
  const c = client(sb, { requestsPerMinute: 10_000, observer: (r) => calls.push(r) });
  const results = await Promise.all(Array.from({ length: 40 }, () => c.imports()));
  assert.ok(results.every((r) => r.length === 7));
  const { budget } = await control(sb, 'GET', '/state');
  assert.ok(budget.limited > 0, 'the budget was hit');
  assert.ok(budget.peak <= 20, 'and never exceeded');
  assert.ok(calls.some((r) => r.status === 429));
});
