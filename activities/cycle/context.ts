/**
 * What every cycle activity is built from: the ports to NetSuite and Anaplan for a connection, the
 * stores, and small helpers for JSON artifacts and non-retryable failures.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ConnectionConfig } from '../../common/config';
import type { ArtifactStore, AuditStore } from '../store';
import type { Ports } from './ports';

export interface CycleDeps {
  /** Resolves (and caches, so tokens are reused) the system ports for a connection config. */
  ports(config: ConnectionConfig): Promise<Ports> | Ports;
  artifacts: ArtifactStore;
  audit: AuditStore;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export async function putJson(artifacts: ArtifactStore, value: unknown): Promise<string> {
  return (await artifacts.put(JSON.stringify(value))).hash;
}

export async function getJson<T>(artifacts: ArtifactStore, hash: string): Promise<T> {
  return JSON.parse((await artifacts.read(hash)).toString('utf8')) as T;
}

/** A failure Temporal must not retry (bad input, refused definition, expired certificate). */
export function nonRetryable(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'NonRetryable', nonRetryable: true, details: details === undefined ? undefined : [details] });
}

/** Maps client errors that retrying cannot fix (4xx other than 429) to non-retryable failures. */
export function classify(err: unknown): unknown {
  const e = err as { retryable?: boolean; status?: number; message?: string; name?: string; credentialsRefused?: boolean };
  // A 401 may be an expired token another attempt re-mints; one judged a credential failure is not (NetSuiteCredentialsError).
  if (e && typeof e === 'object' && e.retryable === false && e.status !== undefined && (e.status !== 401 || e.credentialsRefused === true)) {
    return ApplicationFailure.create({ message: `${e.name ?? 'Error'}: ${e.message}`, type: 'NonRetryable', nonRetryable: true });
  }
  return err;
}

/**
 * An Anaplan task that ran but reported `successful: false` (nothing applied): retryable, because the
 * action re-runs from the same file with the same effect; Temporal's attempts bound it.
 */
export function taskFailed(action: string, outcome: { taskId: string; message?: string }): ApplicationFailure {
  return ApplicationFailure.create({ message: `Anaplan action "${action}" task ${outcome.taskId} failed: ${outcome.message ?? 'no reason given'}`, type: 'AnaplanTaskFailed' });
}
