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
  assert.deepEqual(deps.find((d) => d.code === 'DEP-104'), { code: 'DEP-104', name: 'Platform', parent: 'DEP-103' });
  assert.equal(deps.find((d) => d.code === 'DEP-100')?.parent, null);
  const actions = await port.describeActions();
  assert.deepEqual(actions.imports.find((i) => i.name === 'Import GL Actuals')?.columns, ['Account', 'Subsidiary', 'Department', 'Class', 'Location', 'Period', 'Amount']);
  assert.deepEqual(actions.exports.find((e) => e.name === 'Export Approved Plan')?.columns, ['Account', 'Subsidiary', 'Department', 'Period', 'Version', 'Amount']);
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
  const out = await port.runImport('Import GL Actuals', { path, bytes: Buffer.byteLength(text) }, { onProgress: (p) => phases.add(p.phase) });
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
  await assert.rejects(port.runExport('No Such Export', async () => undefined), /no export "No Such Export"/);
});
