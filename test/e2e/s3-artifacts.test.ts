/**
 * Artifacts on S3 (issue 14 item 1) against the real S3-compatible server of the test run:
 * a full cycle with ML_CONNECTOR_ARTIFACTS=s3://… completes with nothing on the worker's disk, and an
 * extraction whose worker process is SIGKILLed on host A resumes on host B (another process, another
 * data directory, the same bucket) from the part files A left in S3.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawnCli, workerArgs } from '../../scripts/cli-process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { cycleWorkflowId } from '../../common/ids';
import { parseConfig } from '../../common/config';
import { planningCycle } from '../../workflows';
import { openArtifactStore, openStores } from '../../activities/store';
import { startSandboxes } from '../../sandbox/embedded';
import { sandboxConnection } from '../../client/sandbox-connection';
import { checkActuals } from '../../scripts/chaos-invariants';
import { cycleEnv } from '../helpers/cycle-env';
import { s3ArtifactEnv, testS3Client } from '../helpers/s3';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { until } from '../helpers/until';

const PERIOD = '2026-10';
const MASTER_KEY = Buffer.alloc(32, 9).toString('hex');

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const client = testS3Client();
  try {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) out.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  } finally {
    client.destroy();
  }
}

describe('artifact store on S3', () => {
  let t: TestTemporal;
  before(async () => {
    t = await testTemporal();
  });
  after(async () => {
    await t?.close();
  });

  it('a full cycle with ML_CONNECTOR_ARTIFACTS=s3://… completes; its artifacts are in the bucket, not on the worker disk', async () => {
    const { env: s3env, bucket } = await s3ArtifactEnv('prod/cycles', { ML_CONNECTOR_ARTIFACTS_SSE: 'AES256' });
    const env = await cycleEnv(t, { env: s3env, netsuite: { glLines: 3_000 } });
    try {
      await env.startWorker();
      const h = await t.client.workflow.start(planningCycle, {
        taskQueue: env.taskQueue,
        workflowId: cycleWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, PERIOD, 'full'),
        args: [{ config: env.config, period: PERIOD, kind: 'full' }],
      });
      const summary = await h.result();
      assert.equal(summary.status, 'completed');
      const tie = checkActuals(env.sandboxes, env.config, PERIOD);
      assert.ok(tie.ok, tie.detail);

      // Another host (fresh data directory) reads the cycle's artifacts from the bucket.
      const elsewhere = openArtifactStore(s3env, fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-s3-reader-')));
      const csv = (await elsewhere.read(summary.extract!.csvHash)).toString('utf8');
      assert.equal(csv.split('\n').filter(Boolean).length - 1, summary.extract!.rows);
      const stored = await keys(bucket, 'prod/cycles/');
      assert.ok(stored.includes(`prod/cycles/sha256/${summary.extract!.csvHash}`));
      assert.ok(stored.length >= 4, `member maps, actuals, export, journals … (${stored.length})`);
      assert.deepEqual(
        stored.filter((k) => !k.startsWith('prod/cycles/sha256/')),
        [],
        'no temp objects or part files left',
      );
      assert.equal(
        fs.existsSync(path.join(env.dataDir, 'artifacts')),
        false,
        'nothing written to the local artifact directory',
      );
      assert.equal(fs.existsSync(path.join(env.dataDir, 'work')), false, 'no local part files');
    } finally {
      await env.close();
    }
  });

  it('an extraction killed on host A resumes on host B from the part files in S3', async () => {
    const { env: s3env, bucket } = await s3ArtifactEnv('shared');
    const sandboxes = await startSandboxes({ seed: 4200 + (process.pid % 500), netsuite: { glLines: 3_000 } });
    const hostA = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-host-a-'));
    const hostB = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-host-b-'));
    const taskQueue = uniqueTaskQueue('s3-hosts');
    const base = { ...process.env, ...s3env, ML_CONNECTOR_MASTER_KEY: MASTER_KEY, TEMPORAL_ADDRESS: t.server.address };
    const workers: ChildProcess[] = [];
    const startWorker = async (
      dataDir: string,
      configFile: string,
    ): Promise<{ child: ChildProcess; output: () => string }> => {
      const child = spawnCli(workerArgs(configFile, taskQueue), { ...base, ML_CONNECTOR_DATA_DIR: dataDir });
      workers.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      await until(
        async () => out.includes('polling') || child.exitCode !== null,
        (ready) => ready,
        60_000,
      );
      assert.ok(out.includes('polling'), `worker on ${dataDir} did not start polling:\n${out.slice(-2000)}`);
      return { child, output: () => out };
    };
    try {
      // Host A provisions the credentials; host B gets a copy of the vault, as an operator would.
      const storesA = openStores({ dataDir: hostA, env: base });
      const input = sandboxConnection(sandboxes, storesA.vault, 'hosts');
      await storesA.close();
      // One account at a time, each query slowed down, so the kill lands mid-extraction.
      const config = parseConfig({ ...input, netsuite: { ...input.netsuite!, concurrency: 1 } });
      fs.copyFileSync(path.join(hostA, 'credentials.vault'), path.join(hostB, 'credentials.vault'));
      const configFile = path.join(hostA, 'connection.json');
      fs.writeFileSync(configFile, JSON.stringify(config));
      sandboxes.netsuite.sandbox.faults.add({
        kind: 'latency',
        latencyMs: 300,
        rate: 1,
        route: 'POST /services/rest/query/v1/suiteql',
      });

      const a = await startWorker(hostA, configFile);
      const h = await t.client.workflow.start(planningCycle, {
        taskQueue,
        workflowId: cycleWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, PERIOD, 'actuals'),
        // A killed activity is retried after its heartbeat timeout: short, so host B takes over quickly.
        args: [{ config, period: PERIOD, kind: 'actuals', options: { heartbeatTimeoutMs: 5_000 } }],
      });
      const finished = async () => (await keys(bucket, 'shared/work/')).filter((k) => k.endsWith('.json'));
      await until(finished, (done) => done.length >= 3, 120_000, 200);
      a.child.kill('SIGKILL');
      await new Promise((r) => a.child.once('exit', r));
      const leftByA = await finished();
      assert.ok(leftByA.length >= 3);
      assert.equal(fs.existsSync(path.join(hostA, 'work')), false, 'host A kept no part files on its disk');

      const b = await startWorker(hostB, configFile);
      const summary = await h.result();
      assert.equal(summary.status, 'completed');
      const line = /actuals extracted (\{.*\})/.exec(b.output());
      assert.ok(line, `host B ran the extraction:\n${b.output().slice(-2000)}`);
      const stats = JSON.parse(line[1]!) as { partitions: number; reusedParts: number; rows: number };
      assert.ok(
        stats.reusedParts >= leftByA.length,
        `host B read back the ${leftByA.length} parts host A finished (reused ${stats.reusedParts} of ${stats.partitions})`,
      );
      assert.equal(stats.rows, summary.extract!.rows);
      const tie = checkActuals(sandboxes, config, PERIOD);
      assert.ok(tie.ok, tie.detail);
      assert.deepEqual(await keys(bucket, 'shared/work/'), [], 'part files removed once the artifact is assembled');
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await sandboxes.close();
      fs.rmSync(hostA, { recursive: true, force: true });
      fs.rmSync(hostB, { recursive: true, force: true });
    }
  });
});
