/**
 * Standalone NetSuite sandbox: `node --import tsx sandbox/netsuite/main.ts --port 4100 --seed 42
 * --gl-lines 100000 [--multibook] [--db-path f.db] [--page-latency-ms 200] [--token-lifetime-sec 3600]`.
 * Prints the URL and the demo client's IDs; the private key goes to a 0600 temp file, never stdout.
 * Runs until SIGINT/SIGTERM. (`ml-connector sandbox` starts it together with the Anaplan sandbox.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startNetSuiteSandbox, type NetSuiteSandboxOptions } from './server';

function parseArgs(argv: string[]): NetSuiteSandboxOptions {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string) => (get(name) === undefined ? undefined : Number(get(name)));
  return {
    port: num('port') ?? 0,
    host: get('host'),
    seed: num('seed'),
    glLines: num('gl-lines'),
    accountId: get('account-id'),
    dbPath: get('db-path'),
    pageLatencyMs: num('page-latency-ms'),
    tokenLifetimeSec: num('token-lifetime-sec'),
    concurrencyLimit: num('concurrency-limit'),
    multiBook: argv.includes('--multibook'),
  };
}

async function main(): Promise<void> {
  const sb = await startNetSuiteSandbox(parseArgs(process.argv.slice(2)));
  const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ns-sandbox-')), 'demo-client.key.pem');
  fs.writeFileSync(keyFile, sb.demoClient.privateKeyPem, { mode: 0o600 });
  console.log(`NetSuite sandbox ${sb.url} (account ${sb.accountId})`);
  console.log(
    `demo M2M client: clientId=${sb.demoClient.clientId} certificateId=${sb.demoClient.certificateId} algorithm=${sb.demoClient.algorithm} privateKey=${keyFile}`,
  );
  const stop = () => {
    void sb.close().finally(() => {
      fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
