import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnaplanNotFoundError, AnaplanValidationError } from '../../activities/anaplan/errors';
import type { CallRecord } from '../../activities/http';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
before(async () => {
  sb = await sandbox();
});
after(() => sb.close());

test('seeded tenant: ID formats, names the connector expects, lists seeded from the demo company', async () => {
  const c = client(sb);
  assert.match(sb.workspaceId, /^[0-9a-f]{32}$/);
  assert.match(sb.modelId, /^[0-9A-F]{32}$/);
  const ws = await c.workspaces();
  assert.deepEqual(
    ws.map((w) => w.name),
    ['ML Demo Workspace'],
  );
  assert.deepEqual(
    (await c.models()).map((m) => [m.id, m.name]),
    [[sb.modelId, 'FP&A Planning']],
  );
  assert.deepEqual(
    (await c.lists()).map((l) => l.name),
    ['Accounts', 'Subsidiaries', 'Departments', 'Classes', 'Locations', 'Account Groups'],
  );
  assert.deepEqual(
    (await c.modules()).map((m) => m.name),
    ['ACT01 GL Actuals', 'PLN01 Plan'],
  );
  assert.deepEqual(
    (await c.versions()).map((v) => v.name),
    ['Actual', 'Budget', 'Forecast'],
  );
  const imports = await c.imports();
  assert.deepEqual(
    imports.map((i) => i.name),
    [
      'Import Accounts',
      'Import Subsidiaries',
      'Import Departments',
      'Import Classes',
      'Import Locations',
      'Import GL Actuals',
      'Import Account Groups',
    ],
  );
  assert.ok(imports.every((i) => /^112\d{9}$/.test(i.id) && /^113\d{9}$/.test(i.importDataSourceId ?? '')));
  const exp = await c.findExport('Export Approved Plan');
  assert.match(exp.id, /^116\d{9}$/);
  assert.equal((await c.findProcess('Refresh Actuals')).id.slice(0, 3), '118');
  const deps = await c.listItems((await c.findList('Departments')).id);
  assert.ok(deps.some((d) => d.code === 'DEP-104' && d.parent === 'Engineering'));
  assert.ok(!deps.some((d) => d.code === 'DEP-108'), 'members not in Anaplan are absent');
  const lineItems = await c.lineItems((await c.modules()).find((m) => m.name === 'PLN01 Plan')!.id);
  assert.deepEqual(
    lineItems.map((l) => l.name),
    ['Amount', 'Approved'],
  );
  await assert.rejects(c.findImport('Import Nothing'), AnaplanNotFoundError);

  // Same seed → same IDs; another seed → different ones.
  const again = await sandbox();
  const other = await sandbox({ seed: 7 });
  try {
    assert.equal(again.modelId, sb.modelId);
    assert.notEqual(other.modelId, sb.modelId);
  } finally {
    await again.close();
    await other.close();
  }
});

test('protocol details: case-sensitive IDs, paging links, empty collections omitted, 405 on the workspace model path, Bearer refused by token endpoints', async () => {
  const c = client(sb);
  // The API base works with or without `/2/0` (the connection config stores the bare host).
  assert.equal((await client(sb, { apiUrl: sb.url }).me()).email, sb.demoUser.email);
  const lower = client(sb, { modelId: sb.modelId.toLowerCase() });
  await assert.rejects(lower.imports(), (e: unknown) => e instanceof AnaplanNotFoundError && e.status === 404);
  const page = await c.getJson(`${c.modelPath}/imports?limit=2&offset=2`);
  const paging = (page.meta as any).paging;
  assert.deepEqual([paging.currentPageSize, paging.offset, paging.totalSize], [2, 2, 7]);
  assert.match(paging.next, /limit=2&offset=4/);
  assert.match(paging.previous, /offset=0/);
  const empty = await c.getJson(`${c.modelPath}/imports?limit=2&offset=10`);
  assert.equal('imports' in empty, false);
  await assert.rejects(
    c.getJson(`/workspaces/${sb.workspaceId}/models/${sb.modelId}`),
    (e: unknown) => e instanceof AnaplanValidationError && e.status === 405,
  );
  const token = await c.tokens.token();
  const validate = await fetch(`${sb.url}/token/validate`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(validate.status, 400);
  const ok = await fetch(`${sb.url}/token/validate`, { headers: { authorization: `AnaplanAuthToken ${token}` } });
  assert.equal(((await ok.json()) as any).userInfo.userId, sb.demoUser.email);
  // Bearer is accepted on the Integration API (docs/anaplan.md §2.1).
  assert.equal((await fetch(`${sb.url}/2/0/users/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  assert.equal((await fetch(`${sb.url}/2/0/users/me`)).status, 401);
});

test('file protocol: unknown file id is refused (the server would create a new file), missing content is 404, round trip is byte-exact', async () => {
  const c = client(sb);
  // Chunked (more than one chunk): POST would create a new file, so the id it answers is checked.
  const big = Buffer.alloc(1024 * 1024 + 10, 'x');
  await assert.rejects(
    c.uploadFile('113999999999', Readable.from([big]), { chunkSizeBytes: 1024 * 1024 }),
    (e: unknown) => e instanceof AnaplanNotFoundError && e.code === 'file-id-mismatch',
  );
  // One chunk's worth goes up as a single PUT, which answers 404 for an unknown file.
  await assert.rejects(c.uploadFile('113999999999', Readable.from(['x\n'])), AnaplanNotFoundError);
  const fileId = (await c.findFile('Classes.csv')).id;
  await fetch(`${sb.url}/2/0${c.modelPath}/files/${fileId}`, {
    method: 'DELETE',
    headers: { authorization: `AnaplanAuthToken ${await c.tokens.token()}` },
  });
  await assert.rejects(c.getJson(`${c.modelPath}/files/${fileId}`), AnaplanNotFoundError);
  const text =
    'Code,Name,Parent\n' +
    Array.from({ length: 50_000 }, (_, i) => `CLS-9${i},"Class ""${i}"", gzip",CLS-200`).join('\n') +
    '\n';
  const up = await c.uploadFile(fileId, Readable.from([Buffer.from(text)]), {
    chunkSizeBytes: 1024 * 1024,
    gzip: true,
  });
  assert.equal(up.chunkCount, Math.ceil(Buffer.byteLength(text) / (1024 * 1024)));
  const res = await fetch(`${sb.url}/2/0${c.modelPath}/files/${fileId}`, {
    headers: { authorization: `AnaplanAuthToken ${await c.tokens.token()}` },
  });
  assert.equal(await res.text(), text, 'gzip chunks are stored decompressed, in order');
  await assert.rejects(c.uploadFile(fileId, Readable.from(['x']), { chunkSizeBytes: 51 * 1024 * 1024 }), RangeError);
  await assert.rejects(c.uploadFile(fileId, Readable.from(['x']), { chunkSizeBytes: 1000 }), RangeError);
});

test('dropped connections, 503s and latency are retried by the shared HTTP policy', async () => {
  const calls: CallRecord[] = [];
  const c = client(sb, { observer: (r) => calls.push(r) });
  await c.me();
  await control(sb, 'POST', '/faults', { match: { path: '/imports' }, drop: true, count: 1 });
  await control(sb, 'POST', '/faults', { match: { path: '/imports' }, status: 503, count: 2 });
  await control(sb, 'POST', '/faults', { match: { path: '/imports' }, latency: 150, count: 1 });
  const started = Date.now();
  assert.equal((await c.imports()).length, 7);
  assert.ok(Date.now() - started >= 150);
  const statuses = calls.filter((r) => r.path.endsWith('/imports')).map((r) => r.status);
  assert.deepEqual(statuses, ['network-error', 503, 503, 200]);
  assert.deepEqual((await control(sb, 'GET', '/state')).faults, [], 'one-shot faults are used up');
});

test('a broken upload resumes from its last stored chunk without re-sending the earlier ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'anaplan-resume-'));
  try {
    const c = client(sb);
    const fileId = (await c.findFile('Locations.csv')).id;
    const path = join(dir, 'locations.csv');
    const text =
      'Code,Name,Parent\n' +
      Array.from({ length: 120_000 }, (_, i) => `LOC-9${i},Office ${i},LOC-300`).join('\n') +
      '\n';
    await writeFile(path, text);
    // Chunk 2 is refused with a non-retryable 400: the first attempt stops after chunks 0 and 1.
    await control(sb, 'POST', '/faults', {
      match: { method: 'PUT', path: `/files/${fileId}/chunks/2` },
      status: 400,
      count: 1,
    });
    let stored = -1;
    await assert.rejects(
      c.uploadFile(fileId, path, { chunkSizeBytes: 1024 * 1024, onChunk: ({ index }) => (stored = index) }),
      AnaplanValidationError,
    );
    assert.equal(stored, 1);
    const puts: string[] = [];
    const c2 = client(sb, { observer: (r) => r.method === 'PUT' && puts.push(r.path) });
    const up = await c2.uploadFile(fileId, path, { chunkSizeBytes: 1024 * 1024, startChunk: stored + 1 });
    assert.equal(up.chunkCount, Math.ceil(Buffer.byteLength(text) / (1024 * 1024)));
    assert.ok(
      puts.every((p) => !/\/chunks\/[01]$/.test(p)),
      'chunks 0 and 1 were not sent again',
    );
    const res = await fetch(`${sb.url}/2/0${c.modelPath}/files/${fileId}`, {
      headers: { authorization: `AnaplanAuthToken ${await c2.tokens.token()}` },
    });
    assert.equal(await res.text(), text);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rate-based faults fire on a share of matching requests until cleared', async () => {
  const calls: CallRecord[] = [];
  const c = client(sb, { observer: (r) => calls.push(r) });
  await control(sb, 'POST', '/faults', { match: { path: '/modules' }, status: 500, rate: 0.3 });
  for (let i = 0; i < 20; i++) assert.equal((await c.modules()).length, 2);
  const failures = calls.filter((r) => r.path.endsWith('/modules') && r.status === 500).length;
  assert.ok(failures > 0 && failures < 20, `${failures} injected 500s`);
  assert.equal((await control(sb, 'GET', '/state')).faults.length, 1, 'a rate fault stays until cleared');
  await control(sb, 'DELETE', '/faults');
  calls.length = 0;
  await c.modules();
  assert.deepEqual(
    calls.map((r) => r.status),
    [200],
  );
});
