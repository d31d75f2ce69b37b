/**
 * Activities are thin and built by a factory (STYLE.md §5): the worker wires real dependencies,
 * tests wire sandboxes. Arguments and results carry IDs, counts and artifact hashes only.
 */
import { heartbeat } from '@temporalio/activity';

export interface ActivityDeps {
  /** Where activities write progress lines (the worker's logger). */
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function createActivities(deps: ActivityDeps = {}) {
  return {
    /** Demonstration step: does a little bounded work and reports how much. */
    async demoStep(name: string): Promise<{ name: string; items: number }> {
      let items = 0;
      for (const ch of name) items += ch.charCodeAt(0) % 7;
      heartbeat({ items });
      deps.log?.(`demo step ${name} done`, { items });
      return { name, items };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
