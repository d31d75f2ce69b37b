/**
 * A CLI command: name, one-line summary, usage text, option spec for node:util parseArgs, and a run
 * function returning the exit code. Every command prints its --help from the same record.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseOption = NonNullable<ParseArgsConfig['options']>[string];
/** parseArgs option specs plus a description for --help. */
export type OptionSpec = Record<string, ParseOption & { description?: string }>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: OptionSpec;
  /** Sub-commands such as `cycle start`; listed in help. */
  subcommands?: Record<string, string>;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  out: (line: string) => void;
  err: (line: string) => void;
}

export class UsageError extends Error {}

export function renderHelp(cmd: Command): string {
  const lines = [`ml-connector ${cmd.name} — ${cmd.summary}`, '', `Usage: ${cmd.usage}`];
  if (cmd.subcommands) {
    lines.push('', 'Sub-commands:');
    for (const [name, text] of Object.entries(cmd.subcommands)) lines.push(`  ${name.padEnd(12)} ${text}`);
  }
  const opts = Object.entries(cmd.options ?? {});
  if (opts.length > 0) {
    lines.push('', 'Options:');
    for (const [name, spec] of opts) {
      const flag = `--${name}${spec.type === 'string' ? ' <value>' : ''}`;
      const desc = (spec as { description?: string }).description ?? '';
      lines.push(
        `  ${flag.padEnd(28)} ${desc}${spec.default !== undefined ? ` (default ${String(spec.default)})` : ''}`,
      );
    }
  }
  lines.push('  --help'.padEnd(30) + ' Show this help');
  return lines.join('\n');
}

export function parseCommandArgs(
  cmd: Command,
  argv: string[],
): { values: CommandContext['values']; positionals: string[]; help: boolean } {
  const options: OptionSpec = { ...(cmd.options ?? {}), help: { type: 'boolean' } };
  // parseArgs rejects unknown keys in option specs; strip our description field.
  const clean: OptionSpec = {};
  for (const [k, v] of Object.entries(options)) {
    const { description: _d, ...rest } = v as typeof v & { description?: string };
    clean[k] = rest;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options: clean, allowPositionals: true, strict: true });
    return { values: values as CommandContext['values'], positionals, help: values.help === true };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
