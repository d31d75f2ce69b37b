import { ApiError } from './errors';

/**
 * One retry policy for both clients (docs/design.md §7, docs/style.md §11): 429, 5xx and network errors are
 * retried with full-jitter exponential backoff, honouring Retry-After; anything else is thrown at
 * once. After `maxAttempts` the last error surfaces and Temporal's activity retry policy takes over.
 */
export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  /** Backoff cap for attempt n is min(maxDelayMs, baseDelayMs * 2^n); the delay is uniform in [0, cap). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out in-process; the error surfaces instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 120_000,
};

/** Parses a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Every HTTP-date form names its month (IMF-fixdate, RFC 850, asctime); Date.parse alone would take
  // '-5' or '2' as a year and turn garbage into "retry now".
  if (!/\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog), floored by Retry-After. */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.floor(random() * cap);
  if (retryAfterMs === undefined) return jitter;
  // Wait at least what the server asked for, plus a little jitter so a burst of clients spreads out.
  return retryAfterMs + Math.floor(random() * Math.min(policy.baseDelayMs, cap));
}

export interface RetryOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  /** Called before each wait; used for audit/stats and heartbeats. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ApiError }) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, throws a non-retryable error, or the attempts run out.
 * `fn` receives the 1-based attempt number (used e.g. to re-mint a token on the second try).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.retryable || attempt >= policy.maxAttempts) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxRetryAfterMs) throw err;
      const delayMs = backoffDelayMs(attempt, policy, err.retryAfterMs, options.random);
      options.onRetry?.({ attempt, delayMs, error: err });
      await wait(delayMs, options.signal);
    }
  }
}
