/**
 * Runs `ml-connector …` in-process (client/cli.ts `main`) and returns the exit code with everything it
 * printed. The test run has no codec keys, so commands that talk to workflows get the plaintext flag
 * (issue 13 item 3).
 */
import { main } from '../../client/cli';
import { WORKFLOW_COMMANDS } from '../../client/codec';

export interface CliRun {
  code: number;
  lines: string[];
  text: string;
}

export async function runCli(args: string[]): Promise<CliRun> {
  const lines: string[] = [];
  const argv = WORKFLOW_COMMANDS.has(args[0]!) ? [...args, '--insecure-plaintext-payloads'] : args;
  const code = await main(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, lines, text: lines.join('\n') };
}
