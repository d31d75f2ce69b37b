/**
 * Wires the real dependencies of the activities: stores under the data directory (vault, artifacts,
 * audit; artifacts and part files on S3 when ML_CONNECTOR_ARTIFACTS says so; see openStores), the ports resolver (clients cached per connection), and an observer that records every
 * external call in the audit trail with the cycle it belongs to.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createPortsResolver, type PortsResolver } from '../activities/cycle/connections';
import type { CallObserver } from '../activities/http';
import { openStores, type Stores } from '../activities/store';
import { dataPaths, type Env } from '../common/node/env';
import { recordCall } from '../activities/observability/metrics';

export interface WorkerDepsOptions {
  dataDir: string;
  temporal?: Client;
  taskQueue?: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  env?: Env;
}

export function currentCycleId(): string | null {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? null;
  } catch {
    return null;
  }
}

export function buildActivities(opts: WorkerDepsOptions): {
  activities: ReturnType<typeof createActivities>;
  stores: Stores;
  ports: PortsResolver;
  close(): Promise<void>;
} {
  const stores = openStores({ dataDir: opts.dataDir, env: opts.env });
  const observer: CallObserver = (call) => {
    recordCall(call);
    // Not awaited: an observer cannot block the HTTP exchange; a failed write is logged, never thrown.
    stores.audit
      .appendCall({
        system: call.system,
        method: call.method,
        path: call.path,
        status: call.status === 'network-error' ? null : call.status,
        attempt: call.attempt,
        durationMs: call.durationMs,
        cycleId: currentCycleId(),
      })
      .catch((err: unknown) => opts.log?.('audit call not recorded', { error: (err as Error).message }));
  };
  const ports = createPortsResolver({ vault: stores.vault, observer });
  const activities = createActivities({
    temporal: opts.temporal,
    taskQueue: opts.taskQueue,
    log: opts.log,
    cycle: {
      ports,
      artifacts: stores.artifacts,
      audit: stores.audit,
      log: opts.log,
      // Scratch files (the plan's on-disk grouping) beside the S3 store's temporary files: the data volume, not /tmp.
      scratchDir: dataPaths(opts.env, opts.dataDir).tempDir,
    },
  });
  return {
    activities,
    stores,
    ports,
    close: async () => {
      await ports.close();
      await stores.close();
    },
  };
}
