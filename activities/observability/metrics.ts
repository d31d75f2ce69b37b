/**
 * The connector's own Prometheus metrics (prom-client). One registry per process: the worker serves
 * it at `/metrics` next to the Temporal SDK's runtime metrics (worker/metrics-server.ts).
 *
 * Step counters are fed from the activities' *results* (worker/activity-metrics.ts), not from inside
 * the activities: a retried attempt that counted rows and then failed would otherwise count them
 * twice, and the numbers must equal the cycle's summary. HTTP calls come from the transport's
 * CallObserver, which sees every attempt (that is what calls, throttles and retries mean).
 * Cycle durations are the SDK's `temporal_workflow_endtoend_latency{workflow_type="planningCycle"}`
 * on the same endpoint: an activity cannot see when its workflow started.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallRecord } from '../http/transport';
import type { ExtractResult, ImportResult, PostJournalsResult, PreparePlanResult } from '../../common/dto';

/** Labels every connector metric carries; `unknown` outside a cycle activity. */
export type CycleLabels = {
  connection: string;
  model: string;
};

const labelStore = new AsyncLocalStorage<CycleLabels>();
const UNKNOWN: CycleLabels = { connection: 'unknown', model: 'unknown' };

/** Runs `fn` with the labels that HTTP calls made inside it are counted under. */
export function withCycleLabels<T>(labels: CycleLabels, fn: () => T): T {
  return labelStore.run(labels, fn);
}

export function currentLabels(): CycleLabels {
  return labelStore.getStore() ?? UNKNOWN;
}

export const registry = new Registry();
// Process RSS, heap, event-loop lag: the numbers bench/results.md tracks, now live.
collectDefaultMetrics({ register: registry, prefix: 'mlc_' });

const base = ['connection', 'model'] as const;
const counter = (name: string, help: string, extra: string[] = []) =>
  new Counter({ name, help, labelNames: [...base, ...extra], registers: [registry] });

export const metrics = {
  rowsExtracted: counter(
    'mlc_rows_extracted_total',
    'GL rows extracted from NetSuite in scope: written to the import file or quarantined (the summary\'s "rows extracted")',
  ),
  rowsImported: counter('mlc_rows_imported_total', 'Rows Anaplan reported as imported'),
  rowsRejected: counter('mlc_rows_rejected_total', 'Rows Anaplan rejected during an import'),
  rowsQuarantined: counter(
    'mlc_rows_quarantined_total',
    'Rows quarantined (member missing on either side, bad amount)',
    ['step'],
  ),
  journals: counter('mlc_journals_total', 'Plan journals by outcome: posted, updated, unchanged, retired, refused', [
    'outcome',
  ]),
  apiCalls: counter('mlc_api_calls_total', 'HTTP exchanges with a vendor API (every attempt)', [
    'system',
    'status_class',
  ]),
  throttles: counter(
    'mlc_api_throttles_total',
    'Vendor answers that asked us to slow down: HTTP 429, or a NetSuite 401 judged as concurrency throttling',
    ['system', 'reason'],
  ),
  retries: counter('mlc_api_retries_total', 'HTTP attempts after the first of a request', ['system']),
  tokenMints: counter('mlc_token_mints_total', 'Access tokens obtained from a vendor token endpoint', ['system']),
  activities: counter('mlc_activity_total', 'Cycle activities by type and outcome', ['activity', 'outcome']),
  stepDuration: new Histogram({
    name: 'mlc_step_duration_seconds',
    help: 'Duration of one cycle activity attempt (a step runs one or more activities)',
    labelNames: [...base, 'activity', 'outcome'],
    // Steps run from under a second (preflight) to hours (a large import).
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 7200],
    registers: [registry],
  }),
};

/** Token endpoints of both vendors (NetSuite OAuth 2.0 M2M; Anaplan basic/certificate, refresh, OAuth). */
function isTokenMint(call: CallRecord): boolean {
  if (call.method !== 'POST' || typeof call.status !== 'number' || call.status >= 300) return false;
  return (
    call.path.endsWith('/auth/oauth2/v1/token') ||
    call.path === '/token/authenticate' ||
    call.path === '/token/refresh' ||
    call.path === '/oauth/token'
  );
}

/** One HTTP exchange seen by the transport (all attempts, token calls included). */
export function recordCall(call: CallRecord): void {
  const l = currentLabels();
  const statusClass = call.status === 'network-error' ? 'network-error' : `${Math.floor(call.status / 100)}xx`;
  metrics.apiCalls.inc({ ...l, system: call.system, status_class: statusClass });
  if (call.status === 429) metrics.throttles.inc({ ...l, system: call.system, reason: '429' });
  if (call.attempt > 1) metrics.retries.inc({ ...l, system: call.system });
  if (isTokenMint(call)) metrics.tokenMints.inc({ ...l, system: call.system });
}

/** A refusal the client judged to be throttling although its status says otherwise (NetSuite §6.3, §12). */
export function recordThrottle(system: CallRecord['system'], reason: string): void {
  metrics.throttles.inc({ ...currentLabels(), system, reason });
}

/** Counts a completed activity's result; the same numbers the workflow adds into its summary. */
export function recordActivityResult(activity: string, labels: CycleLabels, result: unknown): void {
  if (!result || typeof result !== 'object') return;
  switch (activity) {
    case 'extractActuals': {
      const r = result as ExtractResult;
      metrics.rowsExtracted.inc(labels, r.rows + r.quarantined);
      metrics.rowsQuarantined.inc({ ...labels, step: 'importActuals' }, r.quarantined);
      break;
    }
    case 'runActualsImport': {
      const r = result as ImportResult;
      metrics.rowsImported.inc(labels, r.rowsImported);
      metrics.rowsRejected.inc(labels, r.rowsRejected);
      break;
    }
    case 'preparePlan': {
      const r = result as PreparePlanResult;
      metrics.rowsQuarantined.inc({ ...labels, step: 'exportPlan' }, r.quarantined);
      break;
    }
    case 'postJournals': {
      const r = result as PostJournalsResult;
      metrics.journals.inc({ ...labels, outcome: 'posted' }, r.posted);
      metrics.journals.inc({ ...labels, outcome: 'updated' }, r.updated);
      metrics.journals.inc({ ...labels, outcome: 'unchanged' }, r.unchanged);
      metrics.journals.inc({ ...labels, outcome: 'retired' }, r.retired ?? 0);
      metrics.journals.inc({ ...labels, outcome: 'refused' }, r.failed);
      break;
    }
  }
}
