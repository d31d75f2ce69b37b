/**
 * The one request pipeline of both clients (docs/design.md §7, §10; issue 13 item 6):
 *
 *   token → limiter/budget → send → on 401 re-mint once → map the error → retry policy
 *
 * written once here; the NetSuite and Anaplan clients are configurations of it (how to send under
 * their limiter, how to map an error response, how to judge a 401). There is exactly one retry loop
 * per API call: the token source never retries, so a call makes at most one mint per attempt (plus
 * the one re-mint a 401 allows). Errors that leave the loop go to Temporal through
 * `toActivityFailure` (activity-failure.ts).
 */
import { withRetry, type RetryOptions, type RetryPolicy } from './retry';

/** What the pipeline needs from a token source (TokenCache-backed in both vendors). */
export interface PipelineTokens {
  token(signal?: AbortSignal): Promise<string>;
  invalidate(token: string): void;
}

/** What a 401 means for this request: drop the token and send again, send again with the current one, or this error. */
export type UnauthorizedAction = 'remint' | 'resend' | Error;

/** One vendor's part of one API call. `E` is what its send step reports (status + whatever it needs to judge). */
export interface PipelineCall<E extends { status: number }, R> {
  /** Sends once with `token` under the vendor's limiter or budget (attempt is 1-based, for the call record). */
  send(token: string, attempt: number): Promise<E>;
  /** A 2xx: the call's result. */
  accept(exchange: E, token: string): R | Promise<R>;
  /** A 401 on `token`; `reminted` is true once this attempt already re-minted. Default: re-mint once, then map. */
  unauthorized?(exchange: E, token: string, reminted: boolean): UnauthorizedAction | Promise<UnauthorizedAction>;
  /** Any other error response → the vendor's error class (decides `retryable`, carries Retry-After). */
  fail(exchange: E): Error | Promise<Error>;
}

export interface PipelineOptions {
  tokens: PipelineTokens;
  policy: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: RetryOptions['onRetry'];
}

export function runPipeline<E extends { status: number }, R>(
  call: PipelineCall<E, R>,
  options: PipelineOptions,
): Promise<R> {
  return withRetry(
    async (attempt) => {
      for (let reminted = false; ; ) {
        const token = await options.tokens.token(options.signal);
        const exchange = await call.send(token, attempt);
        if (exchange.status >= 200 && exchange.status < 300) return call.accept(exchange, token);
        if (exchange.status === 401) {
          const action = call.unauthorized
            ? await call.unauthorized(exchange, token, reminted)
            : reminted
              ? await call.fail(exchange)
              : 'remint';
          if (action instanceof Error) throw action;
          if (!reminted) {
            // One more send per attempt, with a new token ('remint') or the one another call just minted ('resend').
            if (action === 'remint') options.tokens.invalidate(token);
            reminted = true;
            continue;
          }
        }
        throw await call.fail(exchange);
      }
    },
    { policy: options.policy, signal: options.signal, onRetry: options.onRetry },
  );
}
