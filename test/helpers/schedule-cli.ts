/**
 * Runs `ml-connector schedule …` in-process on a test's task queue: `['_', x]` pairs are positionals,
 * the others options. Returns the exit code and everything the command printed.
 */
import { scheduleCommand } from '../../client/commands/schedule';

export function scheduleCli(taskQueue: () => string) {
  return async (...args: Array<[string, string | boolean]>): Promise<{ code: number; out: string }> => {
    const lines: string[] = [];
    const values: Record<string, string | boolean> = { 'task-queue': taskQueue() };
    const positionals: string[] = [];
    for (const [k, v] of args) {
      if (k === '_') positionals.push(String(v));
      else values[k] = v;
    }
    const code = await scheduleCommand.run({
      values,
      positionals,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    return { code, out: lines.join('\n') };
  };
}
