/**
 * `planningCycle`: one cycle for one connection and one period (docs/design.md §3). Steps run as durable
 * activities (cycle-steps.ts); every Anaplan action runs under the model lock; pause/resume take
 * effect between steps and batches; the `status` query shows step, counts, paused, quarantined and
 * last error (cycle-run.ts). History carries IDs, counts and artifact hashes only (docs/design.md §4).
 * A cycle's kind selects its steps: `actuals` the first three, `plan` all but importActuals, `full` all.
 */
import { isCancellation } from '@temporalio/workflow';
import type { CycleInput, CycleSummary } from '../common/dto';
import { beginCycle } from './cycle-run';
import { alignDimensions, exportPlan, importActuals, postJournals, preflight } from './cycle-steps';

export { CYCLE_STEPS, type CycleStep } from './cycle-run';

export async function planningCycle(input: CycleInput): Promise<CycleSummary> {
  const c = beginCycle(input);
  try {
    // Preflight and alignment belong to every kind of cycle, so their results are always there.
    const pre = (await c.step('preflight', (s) => preflight(c, s)))!;
    const align = (await c.step('alignDimensions', (s) => alignDimensions(c, s)))!;
    await c.step('importActuals', (s) => importActuals(c, s, pre, align));
    const prepared = await c.step('exportPlan', (s) => exportPlan(c, s, pre, align));
    const posted = await c.step('postJournals', (s) => postJournals(c, s, prepared));
    // A dry run, a rejection or an expired approval posts nothing: the step shows as skipped.
    if (posted === undefined) c.steps.find((x) => x.name === 'postJournals')!.state = 'skipped';
    return c.summary;
  } catch (err) {
    if (isCancellation(err)) throw err;
    c.failed(err);
    throw err;
  } finally {
    // A lock queued ahead and not taken up (the cycle failed or was cancelled first) is given back.
    await c.dropReservations();
  }
}
