/**
 * `ml-connector` — the command line (docs/design.md §9). Each command lives in client/commands/.
 */
import { resolveDataConverter } from '../common/node/codec-config';
import { PLAINTEXT_FLAG, WORKFLOW_COMMANDS, requireDataConverter, setDataConverterResolver } from './codec';
import { dataDir } from './paths';
import { parseCommandArgs, renderHelp, UsageError, type Command } from './command';
import { devCommand, startCommand } from './commands/start';
import { workerCommand } from './commands/worker';
import { sandboxCommand } from './commands/sandbox';
import { cycleCommand } from './commands/cycle';
import { replayCommand } from './commands/replay';
import { scheduleCommand } from './commands/schedule';
import { auditCommand } from './commands/audit';
import { reportCommand } from './commands/report';
import { credentialsCommand } from './commands/credentials';
import { codecServerCommand } from './commands/codec-server';
import { pingCommand } from './commands/ping';

export const COMMANDS: Command[] = [
  startCommand,
  devCommand,
  workerCommand,
  sandboxCommand,
  cycleCommand,
  scheduleCommand,
  auditCommand,
  reportCommand,
  replayCommand,
  credentialsCommand,
  pingCommand,
  codecServerCommand,
];

export function topHelp(): string {
  const lines = [
    'ml-connector — durable NetSuite ↔ Anaplan connector on Temporal',
    '',
    'Usage: ml-connector <command> [options]',
    '',
    'Commands:',
  ];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(14)} ${c.summary}`);
  lines.push('', "Run `ml-connector <command> --help` for a command's options.");
  return lines.join('\n');
}

function withPlaintextFlag(cmd: Command): Command {
  const flag = {
    type: 'boolean' as const,
    description: 'Run without payload codec keys: Temporal histories hold plaintext (not for production)',
  };
  return { ...cmd, options: { ...cmd.options, [PLAINTEXT_FLAG]: flag } };
}

export async function main(
  argv: string[],
  io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) },
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`unknown command: ${name}\n\n${topHelp()}`);
    return 2;
  }
  // Workflow commands take --insecure-plaintext-payloads (issue 13 item 3); declared here once.
  const spec = WORKFLOW_COMMANDS.has(cmd.name) ? withPlaintextFlag(cmd) : cmd;
  try {
    const { values, positionals, help } = parseCommandArgs(spec, rest);
    // Payload encryption: keys from ML_CONNECTOR_CODEC_KEYS / key file; the embedded default
    // creates its own key file on first use.
    setDataConverterResolver(() =>
      resolveDataConverter({ dataDir: dataDir(), createIfMissing: cmd.name === 'start' || cmd.name === 'dev' }),
    );
    if (help) {
      io.out(renderHelp(spec));
      return 0;
    }
    // Refused before any connection is made: without keys, only an explicit flag allows plaintext.
    if (WORKFLOW_COMMANDS.has(cmd.name))
      requireDataConverter(`ml-connector ${cmd.name}`, values[PLAINTEXT_FLAG] === true);
    return await cmd.run({ values, positionals, out: io.out, err: io.err });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${renderHelp(cmd)}`);
      return 2;
    }
    io.err(`ml-connector ${name}: ${(err as Error).message}`);
    return 1;
  }
}

/**
 * A CLI process ends by closing its Temporal connection; when a call was still being retried on a
 * slow server, the client's retry timer can fire after that close and throw "Channel has been shut
 * down" from a timer, i.e. as an uncaught exception that would replace the command's own outcome.
 * That one error is dropped (the command has already reported); any other is fatal as usual.
 */
export function ignoreRetriesOnClosedChannel(): void {
  process.on('uncaughtException', (err) => {
    if (err instanceof Error && err.message === 'Channel has been shut down') return;
    console.error(err);
    process.exit(1);
  });
}

if (require.main === module) {
  ignoreRetriesOnClosedChannel();
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
