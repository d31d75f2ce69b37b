/**
 * The shared retry policy (activities/http/retry.ts): which errors are retried, how long each wait is
 * (full jitter, Retry-After as a floor), when the loop gives up, and both forms of Retry-After.
 * Waits go through an injected `sleep`, so nothing here depends on the wall clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, NetworkError } from '../../activities/http/errors';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  withRetry,
  type RetryPolicy,
} from '../../activities/http/retry';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };
const retryable = (status: number, retryAfterMs?: number) =>
  new ApiError(`GET /x → ${status}`, { method: 'GET', path: '/x', status, retryAfterMs }, true);
const fatal = (status: number) => new ApiError(`GET /x → ${status}`, { method: 'GET', path: '/x', status }, false);

describe('parseRetryAfter', () => {
  it('reads delta-seconds, fractional seconds and blanks', () => {
    assert.equal(parseRetryAfter('7'), 7_000);
    assert.equal(parseRetryAfter(' 0 '), 0);
    assert.equal(parseRetryAfter('1.5'), 1_500);
    assert.equal(parseRetryAfter(['3', '9']), 3_000, 'the first of repeated headers');
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(''), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter('-5'), undefined, 'a negative delay is not a delta-seconds value');
  });

  it('reads the HTTP-date form relative to now, and a past date as zero', () => {
    const now = Date.parse('2026-11-30T09:00:00Z');
    assert.equal(parseRetryAfter('Mon, 30 Nov 2026 09:00:42 GMT', now), 42_000);
    assert.equal(parseRetryAfter('Mon, 30 Nov 2026 08:59:00 GMT', now), 0);
  });
});

describe('backoffDelayMs', () => {
  it('is uniform below a cap that doubles per attempt and stops at maxDelayMs', () => {
    const top = () => 0.999999;
    assert.equal(backoffDelayMs(1, policy, undefined, top), 99);
    assert.equal(backoffDelayMs(2, policy, undefined, top), 199);
    assert.equal(backoffDelayMs(3, policy, undefined, top), 399);
    assert.equal(backoffDelayMs(10, policy, undefined, top), 999, 'capped at maxDelayMs');
    assert.equal(
      backoffDelayMs(3, policy, undefined, () => 0),
      0,
      'full jitter reaches zero',
    );
  });

  it('never waits less than Retry-After, adding at most baseDelayMs of jitter', () => {
    assert.equal(
      backoffDelayMs(1, policy, 2_000, () => 0),
      2_000,
    );
    const most = backoffDelayMs(5, policy, 2_000, () => 0.999999);
    assert.ok(most >= 2_000 && most < 2_000 + policy.baseDelayMs, String(most));
  });
});

describe('withRetry', () => {
  it('retries 429/5xx/network errors with the computed waits, then returns the value', async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const errors = [
      retryable(429, 1_200),
      new NetworkError({ method: 'GET', path: '/x', reason: 'ECONNRESET' }),
      retryable(503),
    ];
    const value = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        const e = errors.shift();
        if (e) throw e;
        return 'ok';
      },
      { policy, sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
    );
    assert.equal(value, 'ok');
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.deepEqual(
      waits,
      [1_200 + 50, 100, 200],
      'Retry-After floor on the 429, then half the cap of attempts 2 and 3',
    );
  });

  it('throws a non-retryable error at once, without waiting', async () => {
    let calls = 0;
    let waited = false;
    const err = fatal(400);
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw err;
        },
        { policy, sleep: async () => void (waited = true) },
      ),
      (e) => e === err,
    );
    assert.equal(calls, 1);
    assert.equal(waited, false);
  });

  it('throws errors that are not ApiErrors at once (a bug is not a transient failure)', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new TypeError('undefined is not a function');
        },
        { policy, sleep: async () => undefined },
      ),
      TypeError,
    );
    assert.equal(calls, 1);
  });

  it('gives up after maxAttempts with the last error, reporting each retry', async () => {
    const retries: Array<{ attempt: number; status?: number }> = [];
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw retryable(500 + calls);
        },
        {
          policy,
          sleep: async () => undefined,
          onRetry: (i) => retries.push({ attempt: i.attempt, status: i.error.status }),
        },
      ),
      (e: unknown) => e instanceof ApiError && e.status === 504,
    );
    assert.equal(calls, policy.maxAttempts);
    assert.deepEqual(retries, [
      { attempt: 1, status: 501 },
      { attempt: 2, status: 502 },
      { attempt: 3, status: 503 },
    ]);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs in-process', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw retryable(429, policy.maxRetryAfterMs + 1);
        },
        { policy, sleep: async () => assert.fail('must not sleep') },
      ),
      (e: unknown) => e instanceof ApiError && e.status === 429,
    );
    assert.equal(calls, 1);
  });

  it('stops when the signal aborts during a wait (the real sleep)', async () => {
    const ctl = new AbortController();
    const reason = new Error('cancelled by the workflow');
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        if (calls === 1) setImmediate(() => ctl.abort(reason));
        throw retryable(503, 60_000);
      },
      { policy: { ...DEFAULT_RETRY_POLICY }, signal: ctl.signal },
    );
    await assert.rejects(run, (e) => e === reason);
    assert.equal(calls, 1);
  });
});
