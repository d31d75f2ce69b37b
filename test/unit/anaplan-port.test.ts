import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Readable } from 'node:stream';
import { createAnaplanPort } from '../../activities/anaplan/port';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { FAST_POLL, client, control, glCsv, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
let dir: string;
before(async () => {
  sb = await sandbox();
  dir = await mkdtemp(join(tmpdir(), 'anaplan-port-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

test('port adapter: list items by list name with parent codes, actions described with their columns', async () => {
  await control(sb, 'POST', '/reset');
  const port = createAnaplanPort(client(sb), { poll: FAST_POLL, chunkSizeBytes: 1024 * 1024 });
  const deps = await port.listItems('Departments');
  const platform = deps.find((d) => d.code === 'DEP-104')!;
  assert.deepEqual(
    { code: platform.code, name: platform.name, parent: platform.parent },
    { code: 'DEP-104', name: 'Platform', parent: 'DEP-103' },
  );
  assert.equal(platform.parentId, deps.find((d) => d.code === 'DEP-103')?.id, 'the parent by ID too');
  assert.equal(deps.find((d) => d.code === 'DEP-100')?.parent, null);
  const actions = await port.describeActions();
  assert.deepEqual(actions.imports.find((i) => i.name === 'Import GL Actuals')?.columns, [
    'Account',
    'Subsidiary',
    'Department',
    'Class',
    'Location',
    'Period',
    'Amount',
  ]);
  assert.deepEqual(actions.exports.find((e) => e.name === 'Export Approved Plan')?.columns, [
    'Account',
    'Subsidiary',
    'Department',
    'Period',
    'Version',
    'Amount',
  ]);
});

test('port adapter: runImport by name uploads, runs and returns counts with the dump as CSV; runExport streams the output', async () => {
  const port = createAnaplanPort(client(sb), { poll: FAST_POLL, chunkSizeBytes: 1024 * 1024 });
  const path = join(dir, 'gl.csv');
  const text = glCsv([
    ['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '100.50'],
    ['6100', 'SUB-2', 'DEP-108', 'CLS-201', 'LOC-301', 'Oct 26', '7'],
  ]);
  await writeFile(path, text);
  const phases = new Set<string>();
  const out = await port.runImport(
    'Import GL Actuals',
    { path, bytes: Buffer.byteLength(text) },
    { onProgress: (p) => phases.add(p.phase) },
  );
  assert.equal(out.successful, true);
  assert.deepEqual([out.rowsImported, out.rowsRejected, out.chunks], [1, 1, 1]);
  assert.ok(phases.has('upload') && phases.has('import'));
  const dump = parse(out.dumpCsv!, { columns: true }) as Array<Record<string, string>>;
  assert.deepEqual([dump[0]!._Line_, dump[0]!.Department, dump[0]!.Amount], ['3', 'DEP-108', '7']);
  assert.match(dump[0]!._Error_1_!, /Departments list: DEP-108/);

  // A task failure is an outcome (successful:false), not a thrown transport error.
  await control(sb, 'POST', '/faults', { kind: 'task-failure', count: 1 });
  const failed = await port.runImport('112000000005', { path, bytes: Buffer.byteLength(text) }, {});
  assert.equal(failed.successful, false);
  assert.match(failed.message ?? '', /failed/);

  let csv = '';
  const r = await port.runExport('Export Approved Plan', async (body: Readable) => {
    for await (const b of body) csv += (b as Buffer).toString('utf8');
  });
  assert.match(r.taskId, /^[0-9A-F]{32}$/);
  const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
  assert.equal(rows.length, sb.cellTotals('PLN01 Plan', 'Approved').cells);
  await assert.rejects(
    port.runExport('No Such Export', async () => undefined),
    /no export "No Such Export"/,
  );
});

test('port adapter: lists and actions are read once per session; preflight reads only what it asks for; a cached ID that 404s is re-read once', async () => {
  await control(sb, 'POST', '/reset');
  const requests = async () => (await control(sb, 'GET', '/state')).requests as Record<string, number>;
  const count = (r: Record<string, number>, suffix: string) =>
    Object.entries(r)
      .filter(([k]) => k.startsWith('GET ') && k.endsWith(suffix))
      .reduce((s, [, n]) => s + n, 0);
  const port = createAnaplanPort(client(sb), { poll: FAST_POLL, chunkSizeBytes: 1024 * 1024 });

  const described = await port.describeActions({ imports: ['Import GL Actuals'], exports: [] });
  assert.deepEqual(described.exports, [], 'exports not read when none is asked for');
  assert.ok(described.imports.find((i) => i.name === 'Import GL Actuals')?.columns?.includes('Amount'));
  assert.ok(
    described.imports.filter((i) => i.name !== 'Import GL Actuals').every((i) => i.columns === undefined),
    'metadata only for the named import',
  );
  let r = await requests();
  assert.equal(count(r, '/imports/:id'), 1, 'one metadata read');
  assert.equal(count(r, '/exports'), 0);

  const path = join(dir, 'cache.csv');
  const text = glCsv([['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '1']]);
  await writeFile(path, text);
  for (let i = 0; i < 2; i++)
    assert.equal(
      (await port.runImport('Import GL Actuals', { path, bytes: Buffer.byteLength(text) })).successful,
      true,
    );
  await port.listItems('Departments');
  await port.listItems('Classes');
  r = await requests();
  assert.equal(count(r, '/imports'), 1, 'imports listed once (by describeActions), reused by both runs');
  assert.equal(count(r, '/lists'), 1, 'lists listed once for two list reads');
  const calls = (method: string, suffix: string) =>
    Object.entries(r)
      .filter(([k]) => k.startsWith(`${method} `) && k.endsWith(suffix))
      .reduce((s, [, n]) => s + n, 0);
  assert.equal(calls('PUT', '/files/:fileId'), 2, 'a one-chunk file goes up in a single PUT');
  assert.equal(
    calls('POST', '/files/:fileId') + calls('POST', '/complete') + calls('PUT', '/chunks/:chunkId'),
    0,
    'no chunked-upload calls for it',
  );

  // The import's file answers 404 once (as if the action was rebuilt): the catalog is re-read and the upload retried.
  await control(sb, 'POST', '/faults', { match: { path: '/files/' }, status: 404, count: 1 });
  assert.equal((await port.runImport('Import GL Actuals', { path, bytes: Buffer.byteLength(text) })).successful, true);
  assert.equal(count(await requests(), '/imports'), 2, 're-read once after the 404');
});

test('port adapter: a streamed import file goes up as it is produced — one PUT when it fits a chunk, else chunks', async () => {
  await control(sb, 'POST', '/reset');
  const requests = async () => (await control(sb, 'GET', '/state')).requests as Record<string, number>;
  const calls = (r: Record<string, number>, method: string, suffix: string) =>
    Object.entries(r)
      .filter(([k]) => k.startsWith(`${method} `) && k.endsWith(suffix))
      .reduce((n, [, v]) => n + v, 0);
  const port = createAnaplanPort(client(sb), { poll: FAST_POLL, chunkSizeBytes: 1024 * 1024 });
  const { Readable } = await import('node:stream');

  const small = glCsv([['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '5']]);
  assert.deepEqual(await port.uploadImportFile('Import GL Actuals', Readable.from([small]), {}), {
    chunks: 1,
    bytes: Buffer.byteLength(small),
  });
  let r = await requests();
  assert.equal(calls(r, 'PUT', '/files/:fileId'), 1);
  assert.equal(calls(r, 'POST', '/files/:fileId') + calls(r, 'PUT', '/chunks/:chunkId'), 0);
  const ran = await port.runImport(
    'Import GL Actuals',
    { path: '/nonexistent', bytes: 0 },
    { uploaded: { chunks: 1 } },
  );
  assert.deepEqual(
    [ran.successful, ran.rowsImported, ran.chunks],
    [true, 1, 1],
    'the import runs on what was uploaded, without reading a file',
  );

  const rows = Array.from({ length: 40_000 }, (_, i) => [
    '6100',
    'SUB-2',
    'DEP-104',
    'CLS-201',
    'LOC-301',
    'Oct 26',
    String(i),
  ]);
  const big = glCsv(rows);
  const pieces = (async function* () {
    for (let i = 0; i < big.length; i += 100_000) yield big.slice(i, i + 100_000);
  })();
  const up = await port.uploadImportFile('Import GL Actuals', Readable.from(pieces), {});
  assert.equal(up.chunks, Math.ceil(Buffer.byteLength(big) / (1024 * 1024)));
  r = await requests();
  assert.equal(calls(r, 'PUT', '/chunks/:chunkId'), up.chunks);
  assert.equal(calls(r, 'POST', '/complete'), 1);
});
