/**
 * The actuals file goes up while the extraction is still reading NetSuite (issue 7: extraction, CSV
 * and upload pipelined), under the import file's lock, and what was uploaded is exactly the artifact
 * the audit trail and the failure dump refer to. With the integration user made non-admin and the
 * sandbox refusing `/complete` to non-admins (issue 12 item 5, docs/anaplan.md §16), the cycle still loads
 * exactly the artifact under both readings of a re-posted chunk count.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import type { ConnectionConfig } from '../../common/config';
import { addGlActivity, addNetSuiteMembers, type ExtraMembers } from '../../scripts/bench-data';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

const EXTRA: ExtraMembers = { accounts: 300, departments: 100, classes: 60, locations: 60 };

describe('actuals upload during the extraction', async () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let config: ConnectionConfig;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 1_000, pageLatencyMs: 20 } });
    addNetSuiteMembers(env.sandboxes, EXTRA);
    addGlActivity(env.sandboxes, EXTRA, 'Oct 2026', 40_000);
    // 1 MB chunks (the smallest Anaplan takes), and the generated departments synced like the others.
    config = {
      ...env.config,
      anaplan: { ...env.config.anaplan, chunkSizeMb: 1 },
      dimensions: {
        ...env.config.dimensions,
        departments: { ...env.config.dimensions.departments, sync: true, importAction: 'Import Departments' },
      },
    };
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('sends chunks before the last SuiteQL page, and the file Anaplan holds is the artifact', async () => {
    const summary = await (await startCycle(t.client, config, '2026-10', 'actuals', undefined, env.taskQueue)).result();
    assert.equal(summary.status, 'completed');
    assert.ok(summary.extract!.rows > 30_000, `${summary.extract!.rows} rows`);
    assert.ok(
      (summary.extract!.uploadedChunks ?? 0) >= 2,
      `uploaded during extraction in ${summary.extract!.uploadedChunks} chunks`,
    );
    assert.equal(summary.import!.chunks, summary.extract!.uploadedChunks);
    assert.ok(summary.tieOut!.balanced);

    const calls = await env.built.stores.audit.queryCalls({ cycleId: summary.workflowId, limit: 100_000 });
    const firstChunk = calls.find(
      (c) => c.system === 'anaplan' && c.method === 'PUT' && /\/chunks\/0$/.test(c.path) && c.path.includes('/files/'),
    );
    assert.ok(firstChunk, 'a chunked upload of the actuals file');
    const pagesAfter = calls.filter(
      (c) => c.system === 'netsuite' && c.path.includes('/suiteql') && c.id > firstChunk.id,
    ).length;
    // Uploading only after the extraction reads none after it. How many follow depends on how the
    // upload and the page reads interleave on a loaded machine (7 to 10+ seen), so a few is the claim.
    assert.ok(pagesAfter >= 3, `${pagesAfter} SuiteQL pages were read after the first chunk went up`);

    // What the import data source holds is byte for byte the artifact the audit rows point at.
    const files = (await (await fetch(`${env.sandboxes.anaplan.url}/__sandbox/files`)).json()) as {
      files: Array<{ name: string; bytes: number; completed: boolean }>;
    };
    const artifactBytes = (await env.built.stores.artifacts.stat(summary.extract!.csvHash))!.bytes;
    assert.ok(
      files.files.some((f) => f.bytes === artifactBytes && f.completed),
      `a completed file of ${artifactBytes} bytes in ${JSON.stringify(files.files.map((f) => [f.name, f.bytes]))}`,
    );
    assert.equal(summary.import!.fileBytes, artifactBytes);
  });

  /** Audit call ids so far (the cycle ID repeats across runs of one period). */
  const lastCallId = async () =>
    Math.max(0, ...(await env.built.stores.audit.queryCalls({ limit: 100_000 })).map((c) => c.id));
  /** The run's calls to the actuals file's `/complete` (status per call). */
  const completeCalls = async (cycleId: string, after: number) =>
    (await env.built.stores.audit.queryCalls({ cycleId, limit: 100_000 }))
      .filter(
        (c) => c.id > after && c.system === 'anaplan' && c.method === 'POST' && /\/files\/\d+\/complete$/.test(c.path),
      )
      .map((c) => c.status);

  async function sandboxControl(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${env.sandboxes.anaplan.url}/__sandbox${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status < 300, true, `${path}: ${res.status}`);
  }

  async function heldBytes(): Promise<Array<{ bytes: number; completed: boolean; user: string | null }>> {
    return (
      (await (await fetch(`${env.sandboxes.anaplan.url}/__sandbox/files`)).json()) as {
        files: Array<{ bytes: number; completed: boolean; user: string | null }>;
      }
    ).files;
  }

  it('non-admin user, /complete refused, a re-posted count closes the upload: the streamed file stands and is the artifact', async () => {
    await sandboxControl('/switches', { completeRequiresAdmin: true, chunkCountFinalizes: true });
    await sandboxControl('/users', { email: env.sandboxes.anaplan.demoUser.email, workspaceAdmin: false });
    const mark = await lastCallId();
    const summary = await (await startCycle(t.client, config, '2026-10', 'actuals', undefined, env.taskQueue)).result();
    assert.equal(summary.status, 'completed');
    assert.ok(summary.tieOut!.balanced);
    assert.ok(
      (summary.extract!.uploadedChunks ?? 0) >= 2,
      `still uploaded during extraction (${summary.extract!.uploadedChunks} chunks)`,
    );
    assert.deepEqual(
      await completeCalls(summary.workflowId, mark),
      [500],
      'one /complete attempt, refused, no retry storm',
    );
    const artifactBytes = (await env.built.stores.artifacts.stat(summary.extract!.csvHash))!.bytes;
    assert.ok((await heldBytes()).some((f) => f.bytes === artifactBytes && f.completed));
  });

  it('non-admin user, /complete refused, a re-posted count restarts the upload: the import uploads the artifact with its exact count', async () => {
    await sandboxControl('/switches', { completeRequiresAdmin: true, chunkCountFinalizes: false });
    await sandboxControl('/users', { email: env.sandboxes.anaplan.demoUser.email, workspaceAdmin: false });
    const mark = await lastCallId();
    const summary = await (await startCycle(t.client, config, '2026-10', 'actuals', undefined, env.taskQueue)).result();
    assert.equal(summary.status, 'completed');
    assert.ok(summary.tieOut!.balanced);
    assert.equal(summary.extract!.uploadedChunks, undefined, 'the streamed upload was not kept');
    assert.deepEqual(await completeCalls(summary.workflowId, mark), [500], 'the upload from disk needs no /complete');
    const artifactBytes = (await env.built.stores.artifacts.stat(summary.extract!.csvHash))!.bytes;
    assert.equal(summary.import!.fileBytes, artifactBytes);
    assert.equal(summary.import!.chunks, Math.ceil(artifactBytes / (1024 * 1024)));
    assert.ok(
      (await heldBytes()).some((f) => f.bytes === artifactBytes && f.completed),
      'the file Anaplan holds is the artifact',
    );
  });
});
