/**
 * Issue 13 item 6: a token mint is tried once per attempt of an API call — no retry loop inside the
 * pipeline's retry loop. With the token endpoint answering 503, one API call may make at most as many
 * token requests as the call has attempts (before: attempts², 64 with the default policy).
 * Counted by each sandbox's own request statistics (control plane), not by client counters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetSuiteServerError } from '../../activities/netsuite';
import { AnaplanServerError } from '../../activities/anaplan/errors';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import * as ns from '../fixtures/netsuite/harness';
import * as ap from '../fixtures/anaplan/harness';

const POLICY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 };

let nsb: StartedNetSuiteSandbox;
let asb: AnaplanSandbox;
before(async () => {
  nsb = await ns.startSandbox();
  asb = await ap.sandbox();
});
after(async () => {
  await nsb.close();
  await asb.close();
});

const sum = (byStatus: Record<string, number> | undefined) => Object.values(byStatus ?? {}).reduce((a, b) => a + b, 0);

test('NetSuite: with the token endpoint answering 503, one API call makes at most one token request per attempt', async () => {
  await ns.control(nsb, 'POST', 'reset');
  await ns.control(nsb, 'POST', 'faults', {
    kind: '5xx',
    status: 503,
    route: 'POST /services/rest/auth/oauth2/v1/token',
    rate: 1,
  });
  const client = ns.clientFor(nsb, { retryPolicy: POLICY });
  await assert.rejects(client.governanceLimits(), (e: unknown) => e instanceof NetSuiteServerError && e.status === 503);
  const stats = await ns.control<{ requests: Record<string, Record<string, number>> }>(nsb, 'GET', 'stats');
  const tokenRequests = sum(Object.entries(stats.requests).find(([route]) => route.includes('/oauth2/v1/token'))?.[1]);
  assert.ok(tokenRequests >= 1, 'the token endpoint was asked');
  assert.ok(
    tokenRequests <= POLICY.maxAttempts,
    `${tokenRequests} token requests for one API call of ${POLICY.maxAttempts} attempts`,
  );
  // The call recovers once the endpoint does, with a single mint.
  await ns.control(nsb, 'DELETE', 'faults');
  assert.equal((await client.governanceLimits()).accountConcurrencyLimit, 5);
});

test('Anaplan: with the auth service answering 503, one API call makes at most one login request per attempt', async () => {
  await ap.control(asb, 'POST', '/reset');
  await ap.control(asb, 'POST', '/faults', { match: { path: '/token/authenticate' }, status: 503, rate: 1 });
  const client = ap.client(asb, { retryPolicy: POLICY });
  await assert.rejects(client.me(), (e: unknown) => e instanceof AnaplanServerError && e.status === 503);
  // Answered by the fault before routing, so counted by the fault rule rather than the route statistics.
  // (Rules added in the original body keep their match under `match` in the sandbox kit's listing.)
  const state = (await ap.control(asb, 'GET', '/state')) as {
    faults: Array<{ path?: string; match?: { path?: string }; fired: number }>;
  };
  const logins = state.faults
    .filter((f) => (f.match?.path ?? f.path) === '/token/authenticate')
    .reduce((a, f) => a + f.fired, 0);
  assert.ok(logins >= 1, 'the auth service was asked');
  assert.ok(
    logins <= POLICY.maxAttempts,
    `${logins} login requests for one API call of ${POLICY.maxAttempts} attempts`,
  );
  await ap.control(asb, 'DELETE', '/faults');
  assert.equal((await client.me()).email, asb.demoUser.email);
});
