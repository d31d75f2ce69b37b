/**
 * The pipeline's last step (issue 13 item 6): how an error leaving the in-activity retry loop is
 * handed to Temporal. Errors come from real clients against the sandboxes (control-plane faults and
 * wrong credentials), then go through `classify`, the mapping every cycle activity uses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { classify } from '../../activities/cycle/context';
import { ApiError, LOGIN_REJECTED } from '../../activities/http';
import { createCertificate } from '../../sandbox/certs';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import * as ns from '../fixtures/netsuite/harness';
import * as ap from '../fixtures/anaplan/harness';

/** In-activity cap of 1 s: a longer Retry-After is not waited out inside the activity. */
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

function asFailure(value: unknown): ApplicationFailure {
  assert.ok(value instanceof ApplicationFailure, `an ApplicationFailure, got ${String(value)}`);
  return value;
}

test('the mapping table: Retry-After → nextRetryDelay; rejected login → LoginRejected; other 4xx → NonRetryable; a plain 401 and 5xx stay retryable', () => {
  const f = (
    status: number | undefined,
    retryable: boolean,
    extra: Partial<{ retryAfterMs: number; loginRejected: boolean }> = {},
  ) => classify(new ApiError('x', { method: 'GET', path: '/p', status, ...extra }, retryable));
  const wait = asFailure(f(429, true, { retryAfterMs: 90_000 }));
  assert.equal(wait.nonRetryable, false);
  assert.equal(msToNumber(wait.nextRetryDelay!), 90_000);
  const login = asFailure(f(401, false, { loginRejected: true }));
  assert.equal(login.type, LOGIN_REJECTED);
  assert.equal(login.nonRetryable, true);
  const local = asFailure(f(undefined, false, { loginRejected: true }));
  assert.equal(local.type, LOGIN_REJECTED, 'an unusable key is a rejected login too, though no request was sent');
  const bad = asFailure(f(422, false));
  assert.equal(bad.type, 'NonRetryable');
  assert.equal(bad.nonRetryable, true);
  assert.ok(
    !(f(401, false) instanceof ApplicationFailure),
    'a 401 another attempt may cure by re-minting is left to Temporal',
  );
  assert.ok(!(f(503, true) instanceof ApplicationFailure), 'a 5xx without Retry-After keeps Temporal’s own backoff');
});

test('NetSuite: a 429 asking for longer than the in-activity cap surfaces at once and becomes nextRetryDelay', async () => {
  await ns.control(nsb, 'POST', 'reset');
  await ns.control(nsb, 'POST', 'faults', { kind: '429', route: 'governanceLimits', count: 1, retryAfterSec: 45 });
  const client = ns.clientFor(nsb, { retryPolicy: POLICY });
  const failure = asFailure(
    classify(
      await client.governanceLimits().then(
        () => undefined,
        (e: unknown) => e,
      ),
    ),
  );
  assert.equal(failure.nonRetryable, false);
  assert.equal(msToNumber(failure.nextRetryDelay!), 45_000);
});

test('Anaplan: a 503 asking for longer than the in-activity cap surfaces at once and becomes nextRetryDelay', async () => {
  await ap.control(asb, 'POST', '/reset');
  await ap.control(asb, 'POST', '/faults', { match: { path: '/users/me' }, status: 503, count: 1, retryAfterSec: 120 });
  const client = ap.client(asb, { retryPolicy: POLICY });
  const failure = asFailure(
    classify(
      await client.me().then(
        () => undefined,
        (e: unknown) => e,
      ),
    ),
  );
  assert.equal(failure.nonRetryable, false);
  assert.equal(msToNumber(failure.nextRetryDelay!), 120_000);
});

test('NetSuite: an assertion the token endpoint refuses (wrong key) is a non-retryable LoginRejected failure, after one token request', async () => {
  await ns.control(nsb, 'POST', 'reset');
  const stranger = await createCertificate({ kind: 'ec' });
  const auditBefore = (await ns.control<unknown[]>(nsb, 'GET', 'login-audit')).length;
  const client = ns.clientFor(nsb, {
    retryPolicy: POLICY,
    credentials: { ...nsb.demoClient, privateKeyPem: stranger.privateKeyPem },
  });
  const err = await client.governanceLimits().then(
    () => undefined,
    (e: unknown) => e,
  );
  const failure = asFailure(classify(err));
  assert.equal(failure.type, LOGIN_REJECTED);
  assert.equal(failure.nonRetryable, true);
  assert.ok(!failure.message.includes('BEGIN'), 'no key material in the failure');
  const audit = await ns.control<Array<{ detail: string }>>(nsb, 'GET', 'login-audit');
  assert.equal(
    audit.length - auditBefore,
    1,
    `one refused login, not one per in-activity attempt: ${JSON.stringify(audit.slice(auditBefore))}`,
  );
});

test('Anaplan: a wrong password is a non-retryable LoginRejected failure, after one login request', async () => {
  await ap.control(asb, 'POST', '/reset');
  const client = ap.client(asb, {
    retryPolicy: POLICY,
    credentials: { kind: 'basic', email: asb.demoUser.email, password: 'not-the-password' },
  });
  const failure = asFailure(
    classify(
      await client.me().then(
        () => undefined,
        (e: unknown) => e,
      ),
    ),
  );
  assert.equal(failure.type, LOGIN_REJECTED);
  assert.equal(failure.nonRetryable, true);
  assert.ok(!failure.message.includes('not-the-password'));
  const events = ((await ap.control(asb, 'GET', '/auth-log')).events as Array<{ kind: string; ok: boolean }>).filter(
    (e) => !e.ok,
  );
  assert.equal(events.length, 1, 'one refused login');
});
