/**
 * The connector's half of the anaplan-sdk comparison (scripts/bench-sdk.ts): one upload + import of
 * a CSV file through the project's Anaplan client, with the connection defaults the bench passes in
 * (chunk size, poll policy, request budget: `parseConfig`'s defaults), run as its own process like
 * the SDK's so neither shares the sandbox's event loop. Timed from the client's construction (the
 * first request logs in) to the task's completion, like the SDK's `Client(...)` + `upload_and_import`.
 * Prints one JSON line.
 *
 * Input in the environment: BENCH_UPLOAD (JSON: sandboxUrl, workspaceId, modelId, fileId, importId,
 * csvPath, chunkSizeBytes, poll, requestsPerMinute, runs), ANAPLAN_USER, ANAPLAN_PASSWORD.
 */
import { statSync } from 'node:fs';
import { AnaplanClient } from '../activities/anaplan/client';
import type { PollPolicy } from '../activities/anaplan/tasks';
import { benchUploadSettings } from '../common/node/env';

interface Input {
  sandboxUrl: string;
  workspaceId: string;
  modelId: string;
  fileId: string;
  importId: string;
  csvPath: string;
  chunkSizeBytes: number;
  poll: PollPolicy;
  requestsPerMinute: number;
  /** Upload + import this many times on one client (a long-lived worker's session), each timed. */
  runs: number;
}

async function main(): Promise<void> {
  const handOff = benchUploadSettings();
  const input = JSON.parse(handOff.input ?? '') as Input;
  const t0 = performance.now();
  const client = new AnaplanClient({
    authUrl: input.sandboxUrl,
    oauthUrl: input.sandboxUrl,
    apiUrl: input.sandboxUrl,
    workspaceId: input.workspaceId,
    modelId: input.modelId,
    credentials: { kind: 'basic', email: handOff.user!, password: handOff.password! },
    requestsPerMinute: input.requestsPerMinute,
  });
  const seconds: number[] = [];
  /** Of each round: seconds until the upload was whole (the rest is the import task and its polls). */
  const uploadSeconds: number[] = [];
  const polls: number[] = [];
  /** Rows each import loaded (the task's own count). */
  const loaded: number[] = [];
  let chunks = 0;
  let successful = true;
  let start = t0;
  for (let i = 0; i < input.runs; i++) {
    const up = await client.uploadFile(input.fileId, input.csvPath, { chunkSizeBytes: input.chunkSizeBytes });
    uploadSeconds.push(Math.round(performance.now() - start) / 1000);
    let n = 0;
    const run = await client.runImport(input.importId, {
      poll: input.poll,
      workBytes: statSync(input.csvPath).size,
      onProgress: () => n++,
    });
    polls.push(n);
    loaded.push(run.counts.successful);
    chunks = up.chunkCount;
    successful &&= run.successful;
    const now = performance.now();
    seconds.push(Math.round(now - start) / 1000);
    start = now;
  }
  await client.close();
  process.stdout.write(
    JSON.stringify({
      seconds,
      uploadSeconds,
      polls,
      loaded,
      chunks,
      successful,
      peakBudgetSlots: client.limiter.peak,
    }) + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
