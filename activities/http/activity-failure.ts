/**
 * The last step of the request pipeline: how an error that leaves the in-activity retry loop is
 * handed to Temporal's activity retry policy (docs/design.md §7, docs/style.md §11). Stated once for both
 * vendors; activities call it through `classify` (activities/cycle/context.ts).
 *
 * - A rejected login (bad password, refused assertion, invalid_grant, unusable key) → non-retryable
 *   `LoginRejected`: each Temporal retry would be another failed login of a shared integration user,
 *   and enough of those lock it out (NetSuite Login Audit Trail, Anaplan account lockout).
 * - Other 4xx (not 429, and not a 401 that another attempt may cure by re-minting) → non-retryable
 *   `NonRetryable`: the same request gets the same answer.
 * - A retryable error carrying Retry-After (429/503 with a wait longer than the in-activity cap, or
 *   the last in-activity attempt) → a retryable failure with `nextRetryDelay`, so Temporal's next
 *   attempt starts no earlier than the server asked instead of after its own shorter backoff.
 * - Anything else is returned unchanged (Temporal retries it per the workflow's policy).
 */
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from './errors';

/** Failure types the pipeline produces; workflows list the non-retryable ones in `nonRetryableErrorTypes`. */
export const LOGIN_REJECTED = 'LoginRejected';
export const NON_RETRYABLE = 'NonRetryable';

export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  const message = `${err.name}: ${err.message}`;
  if (err.loginRejected) return ApplicationFailure.create({ message, type: LOGIN_REJECTED, nonRetryable: true });
  if (!err.retryable) {
    // A 401 may be an expired token another attempt re-mints; one judged a credential failure is marked loginRejected above.
    if (err.status !== undefined && err.status !== 401)
      return ApplicationFailure.create({ message, type: NON_RETRYABLE, nonRetryable: true });
    return err;
  }
  if (err.retryAfterMs !== undefined && err.retryAfterMs > 0) {
    return ApplicationFailure.create({
      message,
      type: err.name,
      nonRetryable: false,
      nextRetryDelay: err.retryAfterMs,
    });
  }
  return err;
}
