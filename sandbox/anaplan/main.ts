/**
 * Standalone entry: `node --import tsx sandbox/anaplan/main.ts [--port 8092] [--host 127.0.0.1]
 * [--seed 42] [--token-lifetime-sec 2100] [--requests-per-minute 600] [--task-duration-ms 500]
 * [--ms-per-row 0]`. Prints the URL and the seeded IDs. The demo user's generated password is not
 * printed (no secrets in logs): register your own credentials with `POST /__sandbox/users`.
 */
import { startAnaplanSandbox, type AnaplanSandboxOptions } from './server';

function parseArgs(argv: string[]): AnaplanSandboxOptions {
  const opts: Record<string, unknown> = {};
  const numeric: Record<string, keyof AnaplanSandboxOptions> = {
    '--port': 'port',
    '--seed': 'seed',
    '--token-lifetime-sec': 'tokenLifetimeSec',
    '--requests-per-minute': 'requestsPerMinute',
    '--task-duration-ms': 'taskDurationMs',
    '--ms-per-row': 'msPerRow',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--host') opts.host = argv[++i];
    else if (numeric[a]) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number`);
      opts[numeric[a]] = v;
    } else throw new Error(`unknown option ${a}`);
  }
  return opts as AnaplanSandboxOptions;
}

async function main(): Promise<void> {
  const sb = await startAnaplanSandbox(parseArgs(process.argv.slice(2)));
  process.stdout.write(
    `Anaplan sandbox at ${sb.url}\n  workspace ${sb.workspaceId} (ML Demo Workspace)\n  model     ${sb.modelId} (FP&A Planning)\n  device-grant client_id ${sb.oauthClientId}\n  control plane ${sb.url}/__sandbox/state\n`,
  );
  const stop = () => void sb.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
