/**
 * `npm test`: starts ONE Temporal dev server (in-memory) for the whole run, runs every test file
 * with Node's built-in runner against it (TEMPORAL_ADDRESS), prints the runner's summary, and
 * stops the server whatever happens. Pass file paths to run a subset: `npm test -- test/unit/x.test.ts`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTemporal } from '../client/dev-server';
import { PROJECT_ROOT } from '../client/paths';

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
  const files = args.length > 0 ? args : ['unit', 'workflows', 'e2e'].flatMap((d) => findTests(path.join(PROJECT_ROOT, 'test', d)));
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }
  const server = await startTemporal({ log: (l) => console.log(`[test-run] ${l}`), startTimeoutMs: 120_000 });
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
        { stdio: 'inherit', cwd: PROJECT_ROOT, env: { ...process.env, TEMPORAL_ADDRESS: server.address, ML_CONNECTOR_TEST_RUN: '1', ML_CONNECTOR_DATA_DIR: testData } },
      );
      child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
    });
    return code;
  } finally {
    await server.stop();
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
