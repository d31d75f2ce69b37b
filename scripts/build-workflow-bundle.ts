/**
 * Build step (`npm run build`, after tsc): bundles the workflow code once with the worker's own
 * webpack setup and writes dist/workflow-bundle.js, which the compiled worker loads with
 * `workflowBundle: { codePath }` instead of running webpack at every start (docs/temporal.md §4: the
 * bundle must come from the same @temporalio/worker version — it does, it is built from this
 * node_modules). Run compiled: `node dist/scripts/build-workflow-bundle.js [out]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE_PATH, WORKFLOWS_PATH } from '../worker/create-worker';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? PREBUILT_BUNDLE_PATH);
  const started = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Write-then-rename: a worker starting meanwhile never reads half a bundle.
  fs.writeFileSync(`${out}.tmp`, code);
  fs.renameSync(`${out}.tmp`, out);
  console.log(
    `workflow bundle: ${path.relative(process.cwd(), out)} (${(code.length / 1e6).toFixed(2)} MB, ${Date.now() - started} ms, from ${path.relative(process.cwd(), WORKFLOWS_PATH)})`,
  );
}

main().catch((err) => {
  console.error(`workflow bundle failed: ${(err as Error).message}`);
  process.exit(1);
});
