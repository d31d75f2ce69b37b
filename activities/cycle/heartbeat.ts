/**
 * Heartbeats that keep flowing while an activity waits on a long HTTP call (an upload blocked behind
 * a model lock, a long SuiteQL page). Without them a healthy attempt would time out on
 * `heartbeatTimeout` and be retried while the first is still working; with them a dead worker is
 * still detected within that timeout. The last details sent (the resume cursor) are repeated, so
 * the keep-alive never erases a cursor.
 */
import { Context } from '@temporalio/activity';

const lastDetails = new WeakMap<Context, unknown>();

/** Records progress (and the resume cursor) for the current activity. */
export function beat(details?: unknown): void {
  const ctx = current();
  if (!ctx) return;
  if (details !== undefined) lastDetails.set(ctx, details);
  ctx.heartbeat(details ?? lastDetails.get(ctx));
}

/** Wraps an activity so it heartbeats at a third of its heartbeat timeout for as long as it runs. */
export function keepAlive<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const ctx = current();
    // Called outside a worker (a unit test, a script): nothing to keep alive.
    if (!ctx) return fn(...args);
    const timeoutMs = ctx.info.heartbeatTimeoutMs;
    const timer = timeoutMs
      ? setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), Math.max(200, Math.floor(timeoutMs / 3)))
      : undefined;
    try {
      return await fn(...args);
    } finally {
      if (timer) clearInterval(timer);
    }
  };
}

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
