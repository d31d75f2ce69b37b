import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetSuiteRateLimitError } from '../../activities/netsuite';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, sql, startSandbox } from '../fixtures/netsuite/harness';

let sb: StartedNetSuiteSandbox;
/** Seeded activity only, so journals written during a test do not move the expected count. */
let q: string;

before(async () => {
  sb = await startSandbox({ glLines: 20_000, pageLatencyMs: 5 });
  const [{ m }] = await sql<{ m: number }>(sb, 'SELECT MAX(id) AS m FROM "transaction"');
  q = `SELECT transaction, transactionline, account FROM transactionaccountingline WHERE transaction <= ${m} ORDER BY transaction, transactionline`;
});
after(() => sb.close());

test('a 429 storm on 30% of calls is survived and the concurrency limit is never exceeded', async () => {
  let retried = 0;
  const client = clientFor(sb, { concurrency: 5, observer: (c) => (c.status === 429 ? retried++ : undefined) });
  await client.tokens.get();
  await control(sb, 'POST', 'stats/reset');
  await control(sb, 'POST', 'faults', { kind: '429', rate: 0.3, seed: 11 });
  try {
    // SuiteQL paging and journal upserts share the client's one concurrency cap.
    const [rows, journals] = await Promise.all([
      count(client.suiteql(q, { pageSize: 100 })),
      Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          client.upsertJournal(`storm-${i}`, {
            subsidiary: '2',
            tranDate: '2026-11-15',
            lines: [
              { account: '41', debit: 10 + i },
              { account: '90', credit: 10 + i },
            ],
          }),
        ),
      ),
    ]);
    assert.equal(rows, 20_000);
    assert.equal(new Set(journals.map((j) => j.id)).size, 15);
  } finally {
    await control(sb, 'DELETE', 'faults');
  }
  const stats = await control(sb, 'GET', 'stats');
  const suiteql = stats.requests['POST /services/rest/query/v1/suiteql'];
  assert.ok(stats.faultsFired['429'] >= 50, `429s injected: ${stats.faultsFired['429']}`);
  assert.ok(suiteql['429'] / (suiteql['429'] + suiteql['200']) > 0.2, JSON.stringify(suiteql));
  assert.equal(retried, stats.faultsFired['429'], 'every 429 was retried');
  assert.ok(stats.peakAttempted <= 5, `requests at once: ${stats.peakAttempted}`);
  assert.equal(stats.rejectedOverLimit, 0, 'the account limit was never exceeded');
  const written = await sql<{ n: number }>(
    sb,
    'SELECT COUNT(*) AS n FROM "transaction" WHERE externalid LIKE \'storm-%\'',
  );
  assert.equal(written[0]!.n, 15, 'each journal exactly once despite retries');
});

test('one client under its cap never hits the account concurrency limit', async () => {
  const client = clientFor(sb, { concurrency: 5 });
  await client.tokens.get();
  await control(sb, 'POST', 'stats/reset');
  await control(sb, 'POST', 'faults', { kind: '429', rate: 0.3, seed: 5 });
  try {
    assert.equal(await count(client.suiteql(q, { pageSize: 100, prefetch: 8 })), 20_000);
  } finally {
    await control(sb, 'DELETE', 'faults');
  }
  const stats = await control(sb, 'GET', 'stats');
  assert.equal(stats.peakAttempted, 5, 'the client used its whole cap and never more');
  assert.equal(stats.rejectedOverLimit, 0);
  assert.ok(stats.faultsFired['429'] > 30);
});

test('requests over the account limit get the documented 429', async () => {
  const client = clientFor(sb);
  const token = await client.tokens.get();
  await control(sb, 'POST', 'stats/reset');
  await control(sb, 'POST', 'faults', { kind: 'latency', latencyMs: 300, count: 8, route: 'governanceLimits' });
  const responses = await Promise.all(
    Array.from({ length: 8 }, () =>
      fetch(`${sb.url}/services/rest/system/v1/governanceLimits`, { headers: { authorization: `Bearer ${token}` } }),
    ),
  );
  const statuses = responses.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
  const refused = (await responses.find((r) => r.status === 429)!.json()) as any;
  assert.equal(refused.status, 429);
  assert.equal(refused['o:errorDetails'][0]['o:errorCode'], 'CONCURRENCY_LIMIT_EXCEEDED');
  assert.equal(refused['o:errorDetails'][0].detail, 'Concurrent request limit exceeded. Request blocked.');
  const stats = await control(sb, 'GET', 'stats');
  assert.equal(stats.peakConcurrency, 5);
  assert.equal(stats.rejectedOverLimit, 3);
  await control(sb, 'DELETE', 'faults');
});

test('5xx responses and dropped connections are retried; retries are bounded', async () => {
  const client = clientFor(sb);
  await control(sb, 'POST', 'faults', { kind: '5xx', status: 503, count: 2, route: 'governanceLimits' });
  await control(sb, 'POST', 'faults', { kind: 'drop', count: 2, route: 'governanceLimits' });
  assert.equal((await client.governanceLimits()).accountConcurrencyLimit, 5);
  const stats = await control(sb, 'GET', 'stats');
  assert.ok(stats.faultsFired['5xx'] === 2 && stats.faultsFired.drop === 2, JSON.stringify(stats.faultsFired));

  // A Retry-After (not documented for NetSuite, but honoured if a proxy or future API sends one).
  await control(sb, 'POST', 'faults', { kind: '429', count: 1, retryAfterSec: 1, route: 'governanceLimits' });
  const started = Date.now();
  await client.governanceLimits();
  assert.ok(Date.now() - started >= 1_000, `waited ${Date.now() - started} ms`);

  const impatient = clientFor(sb, {
    retryPolicy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 10 },
  });
  await impatient.tokens.get();
  await control(sb, 'POST', 'faults', { kind: '429', count: 3, route: 'governanceLimits' });
  await assert.rejects(
    impatient.governanceLimits(),
    (e: unknown) => e instanceof NetSuiteRateLimitError && e.code === 'CONCURRENCY_LIMIT_EXCEEDED',
  );
  await control(sb, 'DELETE', 'faults');
});

async function count(pages: AsyncIterable<{ rows: unknown[] }>): Promise<number> {
  let n = 0;
  for await (const p of pages) n += p.rows.length;
  return n;
}

test('with realistic page latency, pages are fetched concurrently (up to the client cap), not one at a time', async () => {
  await control(sb, 'POST', 'config', { pageLatencyMs: 100 });
  try {
    const client = clientFor(sb, { concurrency: 5 });
    await client.tokens.get();
    await control(sb, 'POST', 'stats/reset');
    assert.equal(
      await count(client.suiteql('SELECT id FROM transaction WHERE id <= 2000 ORDER BY id', { pageSize: 100 })),
      2000,
    );
    // What the server saw, not a wall-clock bound (timings belong in the benchmark): with 100 ms per
    // page, sequential paging never has two pages in flight.
    const stats = await control(sb, 'GET', 'stats');
    assert.ok(
      stats.peakConcurrency >= 2 && stats.peakConcurrency <= 5,
      `peak pages in flight: ${stats.peakConcurrency}`,
    );
  } finally {
    await control(sb, 'POST', 'config', { pageLatencyMs: 5 });
  }
});
