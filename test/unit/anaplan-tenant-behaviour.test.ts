/**
 * Real-tenant behaviours the sandbox plays (issue 12 item 6, docs/anaplan.md §16): a task that ends
 * "Failed." with no result, files that belong to the user who uploaded them, and uploaded content
 * and failure dumps that expire after 48 h on the sandbox clock.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { AnaplanNotFoundError, AnaplanTaskFailedError } from '../../activities/anaplan/errors';
import { createAnaplanPort } from '../../activities/anaplan/port';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { FAST_POLL, client, control, glCsv, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
before(async () => {
  sb = await sandbox();
});
after(() => sb.close());
beforeEach(async () => {
  await control(sb, 'POST', '/reset');
});

const ROW = ['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '100'];
const HOURS = 60 * 60 * 1000;

test('a task that ends "Failed." with no result is reported as a failed task naming the action, and nothing is loaded', async () => {
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  await c.uploadFile(imp.importDataSourceId!, Readable.from([glCsv([ROW])]));
  await control(sb, 'POST', '/faults', { kind: 'task-failed-no-result', count: 1 });
  await assert.rejects(c.runImport(imp.id, { poll: FAST_POLL }), (e: unknown) => {
    assert.ok(e instanceof AnaplanTaskFailedError, String(e));
    assert.equal(e.result, undefined);
    assert.equal(e.code, 'task-without-result');
    assert.match(
      e.message,
      new RegExp(`task ${e.taskId} of imports ${imp.id} ended COMPLETE \\("Failed\\."\\) without a result`),
    );
    return true;
  });
  assert.equal(sb.cellTotals('ACT01 GL Actuals', 'Amount').cells, 0);
  const tasks = (await control(sb, 'GET', '/tasks')).tasks as Array<{ currentStep: string; result?: unknown }>;
  assert.deepEqual(
    [tasks.at(-1)!.currentStep, tasks.at(-1)!.result],
    ['Failed.', undefined],
    'the sandbox really sent no result',
  );

  // Through the port the cycle uses: an outcome with the message, not a crash on the missing field.
  await control(sb, 'POST', '/faults', { kind: 'task-failed-no-result', count: 1 });
  const port = createAnaplanPort(c, { poll: FAST_POLL });
  const out = await port.runImport(
    'Import GL Actuals',
    { path: '/nonexistent', bytes: 0 },
    { uploaded: { chunks: 1 } },
  );
  assert.deepEqual([out.successful, out.rowsImported, out.rowsRejected], [false, 0, 0]);
  assert.match(out.message ?? '', /\("Failed\."\) without a result/);
  // The next run loads.
  assert.equal((await c.runImport(imp.id, { poll: FAST_POLL })).counts.successful, 1);
});

test('files belong to the user who uploaded them: another user neither sees nor imports that content', async () => {
  const other = { email: 'planner@meridian.example', password: 'another-secret-1' };
  await control(sb, 'POST', '/users', other);
  const mine = client(sb);
  const theirs = client(sb, { credentials: { kind: 'basic', email: other.email, password: other.password } });
  const imp = await mine.findImport('Import GL Actuals');
  const fileId = imp.importDataSourceId!;
  await mine.uploadFile(fileId, Readable.from([glCsv([ROW])]));
  assert.equal((await mine.files()).find((f) => f.id === fileId)!.chunkCount, 1);
  assert.equal((await theirs.files()).find((f) => f.id === fileId)!.chunkCount, 0, 'the other user sees no content');
  await assert.rejects(theirs.getJson(`${theirs.modelPath}/files/${fileId}/chunks/0`), AnaplanNotFoundError);
  // Their import reads their (empty) content, so it fails; ours loads ours.
  await assert.rejects(
    theirs.runImport(imp.id, { poll: FAST_POLL }),
    (e: unknown) => e instanceof AnaplanTaskFailedError && /No data in source file/.test(e.message),
  );
  await theirs.uploadFile(fileId, Readable.from([glCsv([[...ROW.slice(0, 6), '7']])]));
  assert.equal((await mine.runImport(imp.id, { poll: FAST_POLL })).counts.successful, 1);
  assert.equal(
    sb.cellTotals('ACT01 GL Actuals', 'Amount').total,
    100,
    "our import loaded our file, not the other user's",
  );
  assert.equal((await theirs.runImport(imp.id, { poll: FAST_POLL })).counts.successful, 1);
  assert.equal(sb.cellTotals('ACT01 GL Actuals', 'Amount').total, 7);
});

test('uploaded content and failure dumps expire after 48 h on the sandbox clock', async () => {
  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const fileId = imp.importDataSourceId!;
  await c.uploadFile(
    fileId,
    Readable.from([glCsv([ROW, ['9999', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '1']])]),
  );
  const run = await c.runImport(imp.id, { poll: FAST_POLL });
  assert.equal(run.failureDumpAvailable, true);
  const dumpPath = `${c.modelPath}/imports/${imp.id}/tasks/${run.taskId}/dump/chunks`;
  assert.ok(((await c.getJson(dumpPath)).chunks as unknown[]).length > 0);

  await control(sb, 'POST', '/clock', { advanceMs: 47 * HOURS });
  assert.ok(((await c.getJson(dumpPath)).chunks as unknown[]).length > 0, 'still there after 47 h');
  assert.equal((await c.files()).find((f) => f.id === fileId)!.chunkCount, 1);

  await control(sb, 'POST', '/clock', { advanceMs: 2 * HOURS });
  await assert.rejects(c.getJson(dumpPath), AnaplanNotFoundError, 'the dump is gone after 49 h');
  await assert.rejects(
    c.getJson(`${c.modelPath}/files/${fileId}/chunks/0`),
    AnaplanNotFoundError,
    'so is the uploaded content',
  );
  const listed = (await control(sb, 'GET', '/files')).files as Array<{ id: string; expired: boolean }>;
  assert.equal(listed.find((f) => f.id === fileId)!.expired, true);
  await assert.rejects(
    c.runImport(imp.id, { poll: FAST_POLL }),
    (e: unknown) => e instanceof AnaplanTaskFailedError && /No data in source file/.test(e.message),
  );
});

test('list items are added and updated at the model form (/2/0/models/{mid}/lists/{id}/items); bad items fail one by one', async () => {
  const c = client(sb);
  const list = await c.findList('Locations');
  const path = `/models/${sb.modelId}/lists/${list.id}/items`;
  const added = await c.sendJson('POST', `${path}?action=add`, {
    items: [
      { name: 'Lisbon Office', code: 'LOC-390', parent: 'LOC-300' },
      { name: 'Nowhere', code: 'LOC-391', parent: 'LOC-999' },
      { name: 'Lisbon Office', code: 'LOC-392' },
    ],
  });
  assert.deepEqual([added.added, added.ignored, added.total], [1, 2, 3]);
  assert.deepEqual(
    (added.failures as Array<{ requestIndex: number; failureMessageDetails: string }>).map((f) => [
      f.requestIndex,
      f.failureMessageDetails,
    ]),
    [
      [1, 'Invalid parent: LOC-999'],
      [2, 'Duplicate name: Lisbon Office'],
    ],
  );
  const updated = await c.sendJson('PUT', path, { items: [{ code: 'LOC-390', parent: '' }] });
  assert.deepEqual([updated.updated, updated.failures], [1, undefined], 'no failures key when all succeed');
  const items = await c.listItems(list.id);
  const lisbon = items.find((i) => i.code === 'LOC-390')!;
  assert.equal(lisbon.parent, undefined);
  // The same read at the model form, as third-party clients call it.
  const viaModel = (await c.getJson(`${path}?includeAll=true`)).listItems as Array<{ code: string }>;
  assert.deepEqual(
    viaModel.map((i) => i.code),
    items.map((i) => i.code),
  );
});

test('cells are written at the model form (/2/0/models/{mid}/modules/{id}/data) with per-cell failures; views list each module', async () => {
  const c = client(sb);
  const mod = (await c.modules()).find((m) => m.name === 'ACT01 GL Actuals')!;
  const coords = (sub: string) => [
    { dimensionName: 'Accounts', itemCode: '6100' },
    { dimensionName: 'Subsidiaries', itemCode: sub },
    { dimensionName: 'Departments', itemCode: 'DEP-104' },
    { dimensionName: 'Classes', itemCode: 'CLS-201' },
    { dimensionName: 'Locations', itemCode: 'LOC-301' },
    { dimensionId: '20000000003', itemName: 'Oct 26' },
  ];
  const r = await c.sendJson('POST', `/models/${sb.modelId}/modules/${mod.id}/data`, [
    { lineItemName: 'Amount', dimensions: coords('SUB-2'), value: 12.5 },
    { lineItemName: 'Amount', dimensions: coords('SUB-1'), value: 3 },
    { lineItemName: 'Nope', dimensions: coords('SUB-2'), value: 1 },
  ]);
  assert.equal(r.numberOfCellsChanged, 1);
  assert.deepEqual(
    (r.failures as Array<{ requestIndex: number; failureType: string }>).map((f) => [f.requestIndex, f.failureType]),
    [
      [1, 'AGGREGATE_CELL'],
      [2, 'INVALID_LINE_ITEM'],
    ],
  );
  assert.deepEqual(sb.cellTotals('ACT01 GL Actuals', 'Amount', { Period: 'Oct 26', Subsidiary: 'SUB-2' }), {
    cells: 1,
    total: 12.5,
  });
  const views = (await c.getJson(`/models/${sb.modelId}/modules/${mod.id}/views`)).views as Array<
    Record<string, unknown>
  >;
  assert.deepEqual(
    views,
    [{ code: '', id: mod.id, name: mod.name, moduleId: mod.id }],
    'the default view shares the module id (docs/anaplan.md §4.2)',
  );
});
