/**
 * `npm test`: starts ONE Temporal dev server (in-memory), ONE S3-compatible server (MinIO on a
 * temporary directory) and ONE PostgreSQL cluster (initdb in a temporary directory) for the whole
 * run, runs every test file with Node's built-in runner against them (TEMPORAL_ADDRESS,
 * ML_CONNECTOR_TEST_S3_*, ML_CONNECTOR_TEST_PG_URL), prints the runner's summary, and stops all three
 * whatever happens. Pass file paths to run a subset: `npm test -- test/unit/x.test.ts`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTemporal } from '../client/dev-server';
import { PROJECT_ROOT } from '../client/paths';
import { inheritedEnv } from '../common/node/env';
import { resolveMinio } from './ensure-minio';
import { startPgServer, type PgServer } from './pg-server';
import { startS3Server, type S3Server } from './s3-server';

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full));
    else if (entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const files =
    args.length > 0 ? args : ['unit', 'workflows', 'e2e'].flatMap((d) => findTests(path.join(PROJECT_ROOT, 'test', d)));
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }
  const log = (l: string) => console.log(`[test-run] ${l}`);
  const server = await startTemporal({ log, startTimeoutMs: 120_000 });
  const s3: S3Server = await (async () =>
    startS3Server(resolveMinio({ log }).path, { log, startTimeoutMs: 120_000 }))().catch(async (e: unknown) => {
    await server.stop();
    throw e;
  });
  const pgServer: PgServer = await startPgServer({ log, startTimeoutMs: 120_000 }).catch(async (e: unknown) => {
    await Promise.all([server.stop(), s3.stop()]);
    throw e;
  });
  // Tests never touch the developer's .data (vault, codec key, audit): a data dir of the run's own.
  const testData = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-test-data-'));
  let child: ReturnType<typeof spawn> | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    child?.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await new Promise<number>((resolve) => {
      child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=900000', ...files],
        {
          stdio: 'inherit',
          cwd: PROJECT_ROOT,
          env: inheritedEnv({
            TEMPORAL_ADDRESS: server.address,
            ML_CONNECTOR_TEST_RUN: '1',
            ML_CONNECTOR_DATA_DIR: testData,
            ML_CONNECTOR_TEST_S3_ENDPOINT: s3.endpoint,
            ML_CONNECTOR_TEST_S3_ACCESS_KEY: s3.accessKeyId,
            ML_CONNECTOR_TEST_S3_SECRET_KEY: s3.secretAccessKey,
            ML_CONNECTOR_TEST_PG_URL: pgServer.url,
          }),
        },
      );
      child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
    });
    return code;
  } finally {
    await Promise.all([server.stop(), s3.stop(), pgServer.stop()]);
    fs.rmSync(testData, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test run failed to start: ${(err as Error).message}`);
    process.exit(1);
  },
);
