/**
 * Concurrency refusals that look like bad logins (docs/netsuite.md §6.3, §12): with the sandbox switch
 * `overLimitResponse: '401'`, over-limit calls get 401 "Invalid login attempt" after a delay. The
 * client takes such a 401 — on a good or fresh token, with other requests in flight — as throttling
 * (backs off, retries, lowers its in-flight cap, keeps its token), while a fresh token refused with
 * nothing else in flight is a credential failure reported at once, without re-minting.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetSuiteAuthError, NetSuiteCredentialsError, judgeUnauthorized } from '../../activities/netsuite';
import { classify } from '../../activities/cycle/context';
import { ConcurrencyLimiter } from '../../activities/http';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, startSandbox } from '../fixtures/netsuite/harness';

let sb: StartedNetSuiteSandbox;
const GOV = 'GET /services/rest/system/v1/governanceLimits';

before(async () => {
  sb = await startSandbox({ glLines: 2_000 });
});
after(() => sb.close());
beforeEach(async () => {
  await control(sb, 'DELETE', 'faults');
  await control(sb, 'POST', 'config', { concurrencyLimit: 5, overLimitResponse: '429', overLimitDelayMs: 0 });
  await control(sb, 'POST', 'stats/reset');
});

test('the sandbox switch answers over-limit calls with a delayed 401 "Invalid login attempt"', async () => {
  const token = await clientFor(sb).tokens.get();
  await control(sb, 'POST', 'config', { concurrencyLimit: 2, overLimitResponse: '401', overLimitDelayMs: 50 });
  await control(sb, 'POST', 'faults', { kind: 'latency', latencyMs: 200, count: 4, route: 'governanceLimits' });
  const responses = await Promise.all(
    Array.from({ length: 4 }, () =>
      fetch(`${sb.url}/services/rest/system/v1/governanceLimits`, { headers: { authorization: `Bearer ${token}` } }),
    ),
  );
  assert.deepEqual(responses.map((r) => r.status).sort(), [200, 200, 401, 401]);
  const refused = responses.find((r) => r.status === 401)!;
  assert.match(
    refused.headers.get('www-authenticate') ?? '',
    /error="invalid_token", error_description="Invalid login attempt\."/,
  );
  const body = (await refused.json()) as { 'o:errorDetails': Array<{ 'o:errorCode': string; detail: string }> };
  assert.equal(body['o:errorDetails'][0]!['o:errorCode'], 'INVALID_LOGIN');
  const stats = await control(sb, 'GET', 'stats');
  assert.equal(stats.rejectedOverLimit, 2);
  assert.equal(stats.requests[GOV]['401'], 2);
  await assert.rejects(
    control(sb, 'POST', 'config', { overLimitResponse: '418' }),
    /overLimitResponse must be '429' or '401'/,
  );
});

test('401s from over-limit calls are throttling: every call completes, one token, fewer in flight', async () => {
  // The client's cap (5) is above what the account lets it have (2): another integration holds the rest.
  const client = clientFor(sb, { concurrency: 5 });
  await client.tokens.get();
  const issued = (await control(sb, 'GET', 'stats')).tokensIssued;
  await control(sb, 'POST', 'config', { concurrencyLimit: 2, overLimitResponse: '401', overLimitDelayMs: 20 });
  await control(sb, 'POST', 'faults', { kind: 'latency', latencyMs: 15, rate: 1, route: 'suiteql' });
  const pages: number[] = [];
  for await (const page of client.suiteql('SELECT id FROM transaction ORDER BY id', { pageSize: 25 }))
    pages.push(page.rows.length);
  const results = await Promise.all(Array.from({ length: 12 }, () => client.governanceLimits()));
  assert.equal(results.length, 12);
  assert.ok(pages.length >= 10, `pages: ${pages.length}`);
  const stats = await control(sb, 'GET', 'stats');
  const suiteql401 = stats.requests['POST /services/rest/query/v1/suiteql']['401'] ?? 0;
  assert.ok(
    suiteql401 + (stats.requests[GOV]['401'] ?? 0) > 0,
    `401s were answered: ${JSON.stringify(stats.requests)}`,
  );
  assert.equal(client.tokens.mints, 1, 'no token was re-minted for a throttling 401');
  assert.equal(stats.tokensIssued, issued);
  assert.ok(client.limiter.cap < 5, `in-flight cap lowered to ${client.limiter.cap}`);
});

test('a fresh token refused with nothing else in flight is a credential failure, reported at once', async () => {
  const client = clientFor(sb);
  // Every token presented is refused (as for a role without REST web services permission).
  await control(sb, 'POST', 'faults', { kind: 'revoke-token', rate: 1, route: 'governanceLimits' });
  await assert.rejects(client.governanceLimits(), (e: unknown) => {
    assert.ok(e instanceof NetSuiteCredentialsError && e instanceof NetSuiteAuthError, String(e));
    assert.equal(e.status, 401);
    assert.equal(e.code, 'INVALID_LOGIN');
    assert.match(e.message, /freshly issued token was refused with no other request in flight/);
    assert.match(e.message, /Login Audit Trail/);
    assert.equal(e.retryable, false);
    return true;
  });
  const stats = await control(sb, 'GET', 'stats');
  assert.equal(stats.requests[GOV]['401'], 1, 'one refused call, no retry');
  assert.equal(client.tokens.mints, 1, 'no second login');
  // Temporal does not retry it either (other 401s stay retryable: a later attempt may re-mint).
  const failure = classify(await client.governanceLimits().catch((e: unknown) => e)) as { nonRetryable?: boolean };
  assert.equal(failure.nonRetryable, true);
});

test('refused credentials with many requests in flight end without a login storm', async () => {
  const client = clientFor(sb, { concurrency: 5 });
  const issued = (await control(sb, 'GET', 'stats')).tokensIssued;
  await control(sb, 'POST', 'faults', { kind: 'revoke-token', rate: 1, route: 'governanceLimits' });
  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => client.governanceLimits()));
  assert.ok(
    outcomes.every((o) => o.status === 'rejected' && o.reason instanceof NetSuiteAuthError),
    outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')).join('\n'),
  );
  assert.ok(outcomes.some((o) => o.status === 'rejected' && o.reason instanceof NetSuiteCredentialsError));
  const stats = await control(sb, 'GET', 'stats');
  assert.equal(client.tokens.mints, 1, 'one login in all');
  assert.equal(stats.tokensIssued, issued + 1);
  assert.ok(stats.requests[GOV]['401'] <= 30, `refused calls: ${stats.requests[GOV]['401']}`);
});

test('a token that worked and is then revoked is still re-minted once', async () => {
  const client = clientFor(sb);
  await client.governanceLimits();
  await control(sb, 'POST', 'faults', { kind: 'revoke-token', count: 1, route: 'governanceLimits' });
  await client.governanceLimits();
  assert.equal(client.tokens.mints, 2);
});

test('the 401 verdicts, one per situation', () => {
  const base = {
    replaced: false,
    reminted: false,
    provenBefore: false,
    succeededSince: false,
    overlapped: false,
    refused: false,
  };
  assert.equal(judgeUnauthorized({ ...base, provenBefore: true }), 'remint', 'expired or revoked');
  assert.equal(judgeUnauthorized({ ...base, provenBefore: true, reminted: true }), 'credentials');
  assert.equal(
    judgeUnauthorized({ ...base, provenBefore: true, succeededSince: true, overlapped: true }),
    'throttled',
    'the token works for others',
  );
  assert.equal(judgeUnauthorized({ ...base, overlapped: true }), 'throttled', 'fresh token, others in flight');
  assert.equal(judgeUnauthorized({ ...base }), 'credentials', 'fresh token, alone');
  assert.equal(judgeUnauthorized({ ...base, replaced: true }), 'retry-current', 'someone else re-minted already');
  assert.equal(judgeUnauthorized({ ...base, overlapped: true, refused: true }), 'credentials', 'already judged');
});

test('the in-flight cap goes down on throttling, never below 1, and climbs back after successes', async () => {
  const limiter = new ConcurrencyLimiter(4);
  const gates: Array<() => void> = [];
  const hold = () => limiter.run(() => new Promise<void>((resolve) => gates.push(resolve)));
  const running = [hold(), hold(), hold(), hold()];
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.inFlight, 4);
  limiter.throttle();
  assert.equal(limiter.cap, 3, 'one fewer than were in flight');
  for (let i = 0; i < 5; i++) limiter.throttle();
  assert.equal(limiter.cap, 1, 'never below one');
  const queued = hold();
  gates.splice(0).forEach((open) => open());
  await Promise.all(running);
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.inFlight, 1, 'the queued call runs alone under the lowered cap');
  for (let i = 0; i < 20; i++) limiter.succeeded();
  assert.equal(limiter.cap, 2);
  for (let i = 0; i < 100; i++) limiter.succeeded();
  assert.equal(limiter.cap, 4, 'back to the configured limit, not above');
  gates.splice(0).forEach((open) => open());
  await queued;
});
