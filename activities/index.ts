/**
 * Activities are thin and built by a factory (docs/style.md §5): the worker wires real dependencies,
 * tests wire sandboxes. Arguments and results carry IDs, counts and artifact hashes only.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { makeActuals } from './cycle/actuals';
import { makeAlign } from './cycle/align';
import type { CycleDeps } from './cycle/context';
import { makeJournals } from './cycle/journals';
import { makeApprovalRecord, makeDiff } from './cycle/diff';
import { makeLedgerWrites, makeLock } from './cycle/lock';
import { makePlan } from './cycle/plan';
import { makePreflight } from './cycle/preflight';
import { makePeriodsWatch } from './cycle/periods-watch';
import { keepAlive } from './cycle/heartbeat';
import { makeTieOut } from './cycle/tie-out';

/** Every cycle step heartbeats while it waits on the network (see cycle/heartbeat.ts). */
function wrapAll<T extends Record<string, (...args: any[]) => Promise<unknown>>>(acts: T): T {
  const out = {} as T;
  for (const [k, fn] of Object.entries(acts)) (out as Record<string, unknown>)[k] = keepAlive(fn);
  return out;
}

export interface ActivityDeps {
  /** Everything the planning-cycle steps need; absent in processes that only run the demo. */
  cycle?: CycleDeps;
  /** Client for signal-with-start of the model lock (defaults to the worker's own client). */
  temporal?: Client;
  taskQueue?: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function createActivities(deps: ActivityDeps = {}) {
  const cycle: CycleDeps =
    deps.cycle ??
    new Proxy({} as CycleDeps, {
      get() {
        throw new Error('planning-cycle activities are not configured in this worker (no connection config)');
      },
    });
  return {
    requestModelLock: makeLock(() => deps.temporal ?? (Context.current().client as Client | undefined), deps.taskQueue),
    ...wrapAll({
      preflight: makePreflight(cycle),
      alignDimensions: makeAlign(cycle),
      ...makeActuals(cycle),
      tieOutVariance: makeTieOut(cycle),
      ...makePlan(cycle),
      postJournals: makeJournals(cycle),
      // Resolved per call: the audit trail is part of the cycle wiring (absent in demo-only workers).
      ...makeLedgerWrites({
        get audit() {
          return cycle.audit;
        },
      }),
      diffJournals: makeDiff(cycle),
      recordApproval: makeApprovalRecord({
        get audit() {
          return cycle.audit;
        },
      }),
      ...makePeriodsWatch(cycle),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
