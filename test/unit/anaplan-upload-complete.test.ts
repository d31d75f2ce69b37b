/**
 * Uploads without `/complete` where possible (issue 12 item 5, docs/anaplan.md §16): a file on disk goes up
 * with its exact chunk count and never calls `/complete`; a stream of unknown length keeps `-1` +
 * `/complete` with a minimal body, and when `/complete` answers 5xx (the sandbox's
 * `completeRequiresAdmin` switch, integration user made non-admin) the exact count is re-posted.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { AnaplanUploadIncompleteError } from '../../activities/anaplan/errors';
import { FAST_POLL, client, control, glCsv, sandbox } from '../fixtures/anaplan/harness';

const MB = 1024 * 1024;
let sb: AnaplanSandbox;
let dir: string;
before(async () => {
  sb = await sandbox();
  dir = await mkdtemp(join(tmpdir(), 'anaplan-complete-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await control(sb, 'POST', '/reset');
});

/** A GL file of about 3 MB (3–4 one-MB chunks) with distinct cells. */
function bigCsv(): { text: string; rows: number } {
  const rows = Array.from({ length: 60_000 }, (_, i) => [
    '6100',
    'SUB-2',
    'DEP-104',
    'CLS-201',
    'LOC-301',
    'Oct 26',
    `${(i % 997) + 1}.25`,
  ]);
  return { text: glCsv(rows), rows: rows.length };
}

async function nonAdmin(): Promise<void> {
  await control(sb, 'POST', '/switches', { completeRequiresAdmin: true });
  const u = await control(sb, 'POST', '/users', { email: sb.demoUser.email, workspaceAdmin: false });
  assert.equal(u.workspaceAdmin, false);
}

const requests = async () => (await control(sb, 'GET', '/state')).requests as Record<string, number>;
const calls = (r: Record<string, number>, method: string, suffix: string) =>
  Object.entries(r)
    .filter(([k]) => k.startsWith(`${method} `) && k.endsWith(suffix))
    .reduce((n, [, v]) => n + v, 0);

async function wholeFile(fileId: string, token: string): Promise<string> {
  const res = await fetch(`${sb.url}/2/0/workspaces/${sb.workspaceId}/models/${sb.modelId}/files/${fileId}`, {
    headers: { authorization: `AnaplanAuthToken ${token}` },
  });
  assert.equal(res.status, 200);
  return res.text();
}

test('a file on disk goes up with its exact chunk count and no /complete, and loads for a non-admin user whose /complete is refused', async () => {
  await nonAdmin();
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const { text, rows } = bigCsv();
  const path = join(dir, 'gl.csv');
  await writeFile(path, text);
  const up = await c.uploadFile(imp.importDataSourceId!, path, { chunkSizeBytes: MB });
  const n = Math.ceil(Buffer.byteLength(text) / MB);
  assert.ok(n >= 3, `${n} chunks`);
  assert.deepEqual([up.chunkCount, up.bytes], [n, Buffer.byteLength(text)]);
  const r = await requests();
  assert.equal(calls(r, 'POST', '/complete'), 0, 'no /complete for a file of known size');
  assert.equal(calls(r, 'PUT', '/chunks/:chunkId'), n);
  assert.equal(await wholeFile(imp.importDataSourceId!, await c.tokens.token()), text);
  const run = await c.runImport(imp.id, { poll: FAST_POLL });
  assert.equal(run.counts.successful, rows);
  // The gzip path takes the same route (the count is known from the uncompressed size).
  const gz = await c.uploadFile(imp.importDataSourceId!, path, { chunkSizeBytes: MB, gzip: true });
  assert.equal(gz.chunkCount, n);
  assert.equal(calls(await requests(), 'POST', '/complete'), 0);
  assert.equal(await wholeFile(imp.importDataSourceId!, await c.tokens.token()), text);
});

test('a stream whose /complete is refused (500) is closed by re-posting its exact count where the service takes that as closing', async () => {
  await nonAdmin();
  await control(sb, 'POST', '/switches', { chunkCountFinalizes: true });
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const { text, rows } = bigCsv();
  const up = await c.uploadFile(
    imp.importDataSourceId!,
    Readable.from([text.slice(0, 1_000_000), text.slice(1_000_000)]),
    { chunkSizeBytes: MB },
  );
  assert.equal(up.closedBy, 'count');
  assert.equal(up.chunkCount, Math.ceil(Buffer.byteLength(text) / MB));
  const r = await requests();
  assert.equal(
    calls(r, 'POST', '/complete'),
    1,
    'one /complete attempt: a 5xx there goes to the fallback, not to retries',
  );
  assert.equal(calls(r, 'POST', '/files/:fileId'), 2, '-1 first, then the exact count');
  assert.equal(await wholeFile(imp.importDataSourceId!, await c.tokens.token()), text);
  assert.equal((await c.runImport(imp.id, { poll: FAST_POLL })).counts.successful, rows);
});

test('a stream whose /complete is refused and whose re-posted count restarts the upload fails with a named error, never as an empty file', async () => {
  await nonAdmin();
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const { text } = bigCsv();
  await assert.rejects(
    c.uploadFile(imp.importDataSourceId!, Readable.from([text]), { chunkSizeBytes: MB }),
    (err: unknown) => {
      assert.ok(err instanceof AnaplanUploadIncompleteError, String(err));
      assert.equal(err.code, 'upload-not-closed');
      assert.match(err.message, new RegExp(`file ${imp.importDataSourceId}.*/complete failed`));
      return true;
    },
  );
  // The same file from disk needs no /complete and goes up.
  const path = join(dir, 'again.csv');
  await writeFile(path, text);
  assert.equal(
    (await c.uploadFile(imp.importDataSourceId!, path, { chunkSizeBytes: MB })).bytes,
    Buffer.byteLength(text),
  );
  assert.equal(await wholeFile(imp.importDataSourceId!, await c.tokens.token()), text);
});

test("the /complete body carries no file settings: the model builder's settings survive a streamed upload", async () => {
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const fileId = imp.importDataSourceId!;
  await control(sb, 'POST', `/files/${fileId}/settings`, { firstDataRow: 3, headerRow: 2, encoding: 'ISO-8859-1' });
  const { text } = bigCsv();
  const up = await c.uploadFile(fileId, Readable.from([text]), { chunkSizeBytes: MB });
  assert.equal(up.closedBy, 'complete');
  assert.equal(calls(await requests(), 'POST', '/complete'), 1);
  const file = (await c.files()).find((f) => f.id === fileId)!;
  assert.deepEqual([file.firstDataRow, file.headerRow, file.encoding], [3, 2, 'ISO-8859-1']);
  assert.equal(file.chunkCount, up.chunkCount);
});
