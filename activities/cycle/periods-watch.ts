/**
 * `readPeriodStates`: the close watcher's check (issue 16 item 1). NetSuite's posting months with
 * `closed` and `alllocked` (docs/netsuite.md §8.2), nothing else, so each check adds a few
 * bytes per month to the watcher's history.
 */
import type { ConnectionConfig } from '../../common/config';
import { classify, type CycleDeps } from './context';
import { readPeriods } from './preflight';

export interface PeriodState {
  /** YYYY-MM */
  period: string;
  closed: boolean;
  /** Locked for all GL posting (`alllocked`). */
  locked: boolean;
}

export function makePeriodsWatch(deps: CycleDeps) {
  return {
    async readPeriodStates(input: { config: ConnectionConfig }): Promise<PeriodState[]> {
      try {
        const periods = await readPeriods(deps, input.config);
        return periods.map((p) => ({ period: p.period, closed: p.closed, locked: p.locked === true }));
      } catch (err) {
        throw classify(err);
      }
    },
  };
}
