/**
 * What every cycle activity is built from: the ports to NetSuite and Anaplan for a connection, the
 * stores, and small helpers for JSON artifacts and non-retryable failures.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ConnectionConfig } from '../../common/config';
import { toActivityFailure } from '../http';
import type { ArtifactStore, AuditStore } from '../store';
import type { Ports } from './ports';

export interface CycleDeps {
  /** Resolves (and caches, so tokens are reused) the system ports for a connection config. */
  ports(config: ConnectionConfig): Promise<Ports> | Ports;
  artifacts: ArtifactStore;
  audit: AuditStore;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Local scratch files (preparePlan's grouping); default the OS temp dir. The worker uses `<data dir>/tmp`. */
  scratchDir?: string;
}

export async function putJson(artifacts: ArtifactStore, value: unknown): Promise<string> {
  return (await artifacts.put(JSON.stringify(value))).hash;
}

export async function getJson<T>(artifacts: ArtifactStore, hash: string): Promise<T> {
  return JSON.parse((await artifacts.read(hash)).toString('utf8')) as T;
}

/** A failure Temporal must not retry (bad input, refused definition, expired certificate). */
export function nonRetryable(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: 'NonRetryable',
    nonRetryable: true,
    details: details === undefined ? undefined : [details],
  });
}

/**
 * Hands a client error to Temporal's retry policy: the pipeline's one mapping (activities/http
 * activity-failure.ts) — rejected logins and other 4xx are not retried, a server-requested wait
 * becomes `nextRetryDelay`.
 */
export function classify(err: unknown): unknown {
  return toActivityFailure(err);
}

/**
 * An Anaplan task that ran but reported `successful: false` (nothing applied): retryable, because the
 * action re-runs from the same file with the same effect; Temporal's attempts bound it.
 */
export function taskFailed(action: string, outcome: { taskId: string; message?: string }): ApplicationFailure {
  return ApplicationFailure.create({
    message: `Anaplan action "${action}" task ${outcome.taskId} failed: ${outcome.message ?? 'no reason given'}`,
    type: 'AnaplanTaskFailed',
  });
}
