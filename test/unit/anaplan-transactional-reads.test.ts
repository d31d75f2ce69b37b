/**
 * The transactional calls a user's own Anaplan tooling makes besides the bulk API (issue 12 item 6),
 * as plain HTTP shaped like public clients' calls (docs/anaplan.md §4.2, §10, Appendix A): view metadata and
 * view data, large-volume read requests for views and lists, list item delete (`?action=delete`) and
 * `resetIndex` — each at the workspace form and at the model form `/2/0/models/{mid}/…`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
let token: string;
let W: string;
let M: string;
before(async () => {
  // Small read-request pages so a list spans several of them (and a request budget for reading them all).
  sb = await sandbox({ readPageBytes: 4096, requestsPerMinute: 100_000 });
  token = await client(sb).tokens.token();
  W = `/workspaces/${sb.workspaceId}/models/${sb.modelId}`;
  M = `/models/${sb.modelId}`;
});
after(() => sb.close());

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; accept?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; text: string; headers: Headers; raw: Buffer }> {
  const res = await fetch(`${sb.url}/2/0${path}`, {
    method,
    headers: {
      authorization: `AnaplanAuthToken ${token}`,
      accept: opts.accept ?? 'application/json',
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  const text = raw.toString('utf8');
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers, raw };
}

async function ok(method: string, path: string, opts: Parameters<typeof call>[2] = {}) {
  const r = await call(method, path, opts);
  assert.equal(r.status, 200, `${method} ${path} → ${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

const dim = z.object({ id: z.string().regex(/^\d{11,12}$/), name: z.string() }).strict();
const ViewInfo = z
  .object({
    meta: z.object({ schema: z.string().url() }).strict(),
    status: z.object({ code: z.literal(200), message: z.literal('Success') }).strict(),
    viewName: z.string(),
    viewId: z.string(),
    rows: z.array(dim).optional(),
    columns: z.array(dim).optional(),
    pages: z.array(dim).optional(),
  })
  .strict();
const ViewData = z
  .object({
    pages: z.array(z.string()),
    columnCoordinates: z.array(z.array(z.string())),
    rows: z.array(z.object({ rowCoordinates: z.array(z.string()), cells: z.array(z.string()) }).strict()),
  })
  .strict();

async function moduleId(name: string): Promise<string> {
  const mods = (await ok('GET', `${M}/modules`)).body.modules as Array<{ id: string; name: string }>;
  return mods.find((m) => m.name === name)!.id;
}
async function listId(name: string): Promise<string> {
  const lists = (await ok('GET', `${W}/lists`)).body.lists as Array<{ id: string; name: string }>;
  return lists.find((l) => l.name === name)!.id;
}
async function items(list: string): Promise<Array<{ id: string; name: string; code: string; parent?: string }>> {
  return (await ok('GET', `${M}/lists/${list}/items?includeAll=true`)).body.listItems ?? [];
}

test('view metadata and view data: the default view of each module, JSON (format=v1) and grid CSV, page selectors, sums over parents', async () => {
  const act = await moduleId('ACT01 GL Actuals');
  for (const base of [W, M]) {
    const info = (await ok('GET', `${base}/views/${act}`)).body;
    const parsed = ViewInfo.safeParse(info);
    assert.ok(parsed.success, JSON.stringify(parsed.success ? '' : parsed.error.issues));
    assert.equal(info.viewId, act, 'the default view id is the module id');
    assert.deepEqual(info.columns, [{ id: '20000000003', name: 'Time' }]);
    assert.deepEqual(
      info.rows.map((d: { name: string }) => d.name),
      ['Accounts', 'Line items'],
    );
    assert.equal(
      info.rows[1].id,
      '101999999999',
      'line items are the pseudo-dimension 101999999999 (docs/anaplan.md §4.2)',
    );
    assert.deepEqual(
      info.pages.map((d: { name: string }) => d.name),
      ['Subsidiaries', 'Departments', 'Classes', 'Locations'],
    );
  }
  // One cell in a leaf combination, written through the cell API.
  const coords = [
    { dimensionName: 'Accounts', itemCode: '6100' },
    { dimensionName: 'Subsidiaries', itemCode: 'SUB-2' },
    { dimensionName: 'Departments', itemCode: 'DEP-104' },
    { dimensionName: 'Classes', itemCode: 'CLS-201' },
    { dimensionName: 'Locations', itemCode: 'LOC-301' },
    { dimensionName: 'Time', itemName: 'Oct 26' },
  ];
  assert.equal(
    (
      await ok('POST', `${M}/modules/${act}/data`, {
        body: [{ lineItemName: 'Amount', dimensions: coords, value: 12.5 }],
      })
    ).body.numberOfCellsChanged,
    1,
  );
  const accounts = await items(await listId('Accounts'));
  const acct6100 = accounts.find((a) => a.code === '6100')!;
  const subs = await items(await listId('Subsidiaries'));
  const depts = await items(await listId('Departments'));
  const cellAt = (d: z.infer<typeof ViewData>, rowName: string, period: string) => {
    const col = d.columnCoordinates.findIndex((c) => c[0] === period);
    const row = d.rows.find((r) => r.rowCoordinates[0] === rowName && r.rowCoordinates[1] === 'Amount');
    assert.ok(col >= 0 && row, `cell ${rowName}/${period} present`);
    return row!.cells[col];
  };
  // Default page: the first item of each page list (the top parents), which sums the leaf cell.
  const first = ViewData.parse((await ok('GET', `${M}/views/${act}/data?format=v1`)).body);
  const firstNames = await Promise.all(
    ['Subsidiaries', 'Departments', 'Classes', 'Locations'].map(async (l) => (await items(await listId(l)))[0]!.name),
  );
  assert.deepEqual(first.pages, firstNames);
  assert.equal(cellAt(first, acct6100.name, 'Oct 26'), '12.5');
  assert.equal(cellAt(first, acct6100.name, 'Nov 26'), '0');
  // A page selector per dimension (comma-separated and repeated forms).
  const sub2 = subs.find((s) => s.code === 'SUB-2')!;
  const sales = depts.find((d) => d.code === 'DEP-101')!;
  const platform = depts.find((d) => d.code === 'DEP-104')!;
  const subDim = (await ok('GET', `${W}/views/${act}`)).body.pages[0].id;
  const deptDim = (await ok('GET', `${W}/views/${act}`)).body.pages[1].id;
  const onPlatform = ViewData.parse(
    (await ok('GET', `${W}/views/${act}/data?format=v1&pages=${subDim}:${sub2.id},${deptDim}:${platform.id}`)).body,
  );
  assert.equal(onPlatform.pages[0], sub2.name);
  assert.equal(cellAt(onPlatform, acct6100.name, 'Oct 26'), '12.5');
  const onSales = ViewData.parse(
    (await ok('GET', `${W}/views/${act}/data?format=v1&pages=${subDim}:${sub2.id}&pages=${deptDim}:${sales.id}`)).body,
  );
  assert.equal(cellAt(onSales, acct6100.name, 'Oct 26'), '0', 'another department does not hold the cell');
  // Grid CSV: page line, one header line led by an empty cell per row dimension, then the rows.
  const csv = await ok('GET', `${M}/views/${act}/data?pages=${subDim}:${sub2.id}`, { accept: 'text/csv' });
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = csv.text.trimEnd().split('\n');
  assert.equal(lines[0]!.split(',')[0], sub2.name);
  assert.ok(lines[1]!.startsWith(',,Jan 25,'), lines[1]);
  const row = lines.find((l) => l.startsWith(`${acct6100.name},Amount,`))!;
  const header = lines[1]!.split(',');
  assert.equal(row.split(',')[header.indexOf('Oct 26')], '12.5');
  // A dimension that is not on pages, or an unknown item, is refused (docs/anaplan.md §10).
  const bad = await call('GET', `${M}/views/${act}/data?format=v1&pages=20000000003:1`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.status.message, /Invalid page selector \[20000000003:1\]/);
  assert.equal((await call('GET', `${M}/views/102999999999/data`)).status, 404);
  // A line item's id reads as a view of that line item alone (docs/anaplan.md §10).
  const pln = await moduleId('PLN01 Plan');
  const approved = (
    (await ok('GET', `${M}/modules/${pln}/lineItems`)).body.items as Array<{ id: string; name: string }>
  ).find((l) => l.name === 'Approved')!;
  const liInfo = (await ok('GET', `${M}/views/${approved.id}`)).body;
  assert.deepEqual([liInfo.viewId, liInfo.viewName], [approved.id, 'Approved']);
  const liData = ViewData.parse((await ok('GET', `${M}/views/${approved.id}/data?format=v1`)).body);
  assert.deepEqual([...new Set(liData.rows.map((r) => r.rowCoordinates[1]))], ['Approved']);
  assert.ok(
    liData.rows.every((r) => r.cells.every((c) => c === 'true' || c === 'false' || c === '')),
    'booleans as true/false, blank on aggregates',
  );
  // JSON without format=v1 is refused with a message naming it.
  assert.match((await call('GET', `${M}/views/${act}/data`)).body.status.message, /format=v1/);
});

test('view read requests: create (IN_PROGRESS), status (COMPLETE, availablePages, successful), CSV pages (gzip on request), delete (CANCELLED)', async () => {
  const pln = await moduleId('PLN01 Plan');
  // Workspace form as Anaplan's pages show it; the model form as apapi calls it.
  for (const base of [W, M]) {
    const created = await ok('POST', `${base}/views/${pln}/readRequests/`, {
      body: { exportType: 'TABULAR_MULTI_COLUMN' },
    });
    const r = created.body.viewReadRequest;
    assert.match(r.requestId, /^[0-9A-F]{32}$/);
    assert.equal(r.requestState, 'IN_PROGRESS');
    assert.equal(r.url, `${sb.url}/2/0${W}/views/${pln}/readRequests/${r.requestId}`);
    const status = (await ok('GET', `${base}/views/${pln}/readRequests/${r.requestId}`)).body.viewReadRequest;
    assert.deepEqual(Object.keys(status), [
      'requestId',
      'viewId',
      'requestState',
      'url',
      'availablePages',
      'successful',
    ]);
    assert.equal(status.viewId, Number(pln), 'viewId is a JSON number (docs/anaplan.md §3.4)');
    assert.equal(status.requestState, 'COMPLETE');
    assert.equal(status.successful, true);
    assert.ok(status.availablePages > 1, 'small pages: the seeded plan spans several');
    let all = '';
    for (let p = 0; p < status.availablePages; p++)
      all += (await ok('GET', `${base}/views/${pln}/readRequests/${r.requestId}/pages/${p}`, { accept: 'text/csv' }))
        .text;
    const rows = all.trimEnd().split('\n');
    assert.equal(rows[0], 'Accounts,Subsidiaries,Departments,Time,Versions,Amount,Approved');
    // Every seeded plan cell is in the export (one row per stored cell combination).
    const seeded = sb.cellTotals('PLN01 Plan', 'Amount');
    assert.ok(rows.length - 1 >= seeded.cells, `${rows.length - 1} rows for ${seeded.cells} cells`);
    const total = rows.slice(1).reduce((s, l) => s + Number(l.split(',')[5]!.replace(/"/g, '')), 0);
    assert.ok(Math.abs(total - seeded.total) < 0.01, `${total} vs ${seeded.total}`);
    // gzip when asked.
    const gz = await fetch(`${sb.url}/2/0${base}/views/${pln}/readRequests/${r.requestId}/pages/0`, {
      headers: { authorization: `AnaplanAuthToken ${token}`, accept: 'text/csv', 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.ok(all.startsWith(await gz.text()), 'the gzip page decodes to page 0');
    assert.equal(
      (await call('GET', `${base}/views/${pln}/readRequests/${r.requestId}/pages/${status.availablePages}`)).status,
      404,
    );
    const del = (await ok('DELETE', `${base}/views/${pln}/readRequests/${r.requestId}`)).body.viewReadRequest;
    assert.equal(del.requestState, 'CANCELLED');
    assert.equal(
      (await call('GET', `${base}/views/${pln}/readRequests/${r.requestId}`)).status,
      404,
      'a deleted request is gone',
    );
  }
  // Single-column and current-page grid exports; an unknown type is refused naming the field.
  const single = (await ok('POST', `${M}/views/${pln}/readRequests`, { body: { exportType: 'TABULAR_SINGLE_COLUMN' } }))
    .body.viewReadRequest;
  const page0 = (await ok('GET', `${M}/views/${pln}/readRequests/${single.requestId}/pages/0`, { accept: 'text/csv' }))
    .text;
  assert.ok(page0.startsWith('Accounts,Subsidiaries,Departments,Time,Versions,Line Item,Value\n'), page0.slice(0, 100));
  const grid = (await ok('POST', `${M}/views/${pln}/readRequests`, { body: { exportType: 'GRID_CURRENT_PAGE' } })).body
    .viewReadRequest;
  assert.equal(
    (await ok('GET', `${M}/views/${pln}/readRequests/${grid.requestId}`)).body.viewReadRequest.requestState,
    'COMPLETE',
  );
  // GRID_ALL_PAGES: every page in turn (here of one line item read as a view), bounded in the sandbox.
  const amount = (
    (await ok('GET', `${M}/modules/${pln}/lineItems`)).body.items as Array<{ id: string; name: string }>
  ).find((l) => l.name === 'Amount')!;
  const all = (await ok('POST', `${W}/views/${amount.id}/readRequests`, { body: { exportType: 'GRID_ALL_PAGES' } }))
    .body.viewReadRequest;
  const allStatus = (await ok('GET', `${W}/views/${amount.id}/readRequests/${all.requestId}`)).body.viewReadRequest;
  let gridText = '';
  for (let p = 0; p < allStatus.availablePages; p++)
    gridText += (
      await ok('GET', `${W}/views/${amount.id}/readRequests/${all.requestId}/pages/${p}`, { accept: 'text/csv' })
    ).text;
  const pageCount =
    (await items(await listId('Subsidiaries'))).length * (await items(await listId('Departments'))).length * 3;
  assert.equal(
    gridText.split('\n').filter((l) => l.startsWith(',,Jan 25,')).length,
    pageCount,
    'one header line per page',
  );
  const badType = await call('POST', `${M}/views/${pln}/readRequests`, { body: { exportType: 'PIE_CHART' } });
  assert.equal(badType.status, 400);
  assert.match(badType.body.status.message, /exportType/);
});

test('list read requests at both forms: every item in CSV pages; workspace administrators only', async () => {
  const accounts = await listId('Accounts');
  const expected = await items(accounts);
  for (const base of [W, M]) {
    const r = (await ok('POST', `${base}/lists/${accounts}/readRequests`)).body.listReadRequest;
    assert.equal(r.requestState, 'IN_PROGRESS');
    const status = (await ok('GET', `${base}/lists/${accounts}/readRequests/${r.requestId}`)).body.listReadRequest;
    assert.deepEqual([status.listId, status.requestState, status.successful], [Number(accounts), 'COMPLETE', true]);
    let all = '';
    for (let p = 0; p < status.availablePages; p++)
      all += (
        await ok('GET', `${base}/lists/${accounts}/readRequests/${r.requestId}/pages/${p}`, { accept: 'text/csv' })
      ).text;
    const lines = all.trimEnd().split('\n');
    assert.equal(lines[0], 'id,name,code,parent,parentId,listId,listName');
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',')[0]),
      expected.map((i) => i.id),
    );
    assert.equal(
      (await ok('DELETE', `${base}/lists/${accounts}/readRequests/${r.requestId}`)).body.listReadRequest.requestState,
      'CANCELLED',
    );
  }
  // The other plausible page form (UNCONFIRMED which is real): the header opens every page.
  await control(sb, 'POST', '/switches', { readPageHeaderEveryPage: true });
  sb.state.config.readPageBytes = 512; // several pages for this list
  try {
    const r = (await ok('POST', `${M}/lists/${accounts}/readRequests`)).body.listReadRequest;
    const n = (await ok('GET', `${M}/lists/${accounts}/readRequests/${r.requestId}`)).body.listReadRequest
      .availablePages;
    assert.ok(n > 1);
    const ids: string[] = [];
    for (let p = 0; p < n; p++) {
      const lines = (
        await ok('GET', `${M}/lists/${accounts}/readRequests/${r.requestId}/pages/${p}`, { accept: 'text/csv' })
      ).text
        .trimEnd()
        .split('\n');
      assert.equal(lines[0], 'id,name,code,parent,parentId,listId,listName', `page ${p} starts with the header`);
      assert.ok(lines.length > 1, `page ${p} holds items`);
      ids.push(...lines.slice(1).map((l) => l.split(',')[0]!));
    }
    assert.deepEqual(
      ids,
      expected.map((i) => i.id),
    );
  } finally {
    await control(sb, 'POST', '/switches', { readPageHeaderEveryPage: false });
    sb.state.config.readPageBytes = 4096;
  }
  await control(sb, 'POST', '/users', { email: sb.demoUser.email, workspaceAdmin: false });
  try {
    assert.equal((await call('POST', `${M}/lists/${accounts}/readRequests`)).status, 403);
  } finally {
    await control(sb, 'POST', '/users', { email: sb.demoUser.email, workspaceAdmin: true });
  }
});

test('list item delete (?action=delete) at both forms: by id or code, per-item failures, cells go with the item', async () => {
  const locations = await listId('Locations');
  await ok('POST', `${W}/lists/${locations}/items?action=add`, {
    body: {
      items: [
        { name: 'Lisbon', code: 'LOC-390', parent: 'LOC-300' },
        { name: 'Porto', code: 'LOC-391', parent: 'LOC-300' },
        { name: 'Faro', code: 'LOC-392' },
      ],
    },
  });
  const act = await moduleId('ACT01 GL Actuals');
  const cell = (loc: string) => ({
    lineItemName: 'Amount',
    dimensions: [
      { dimensionName: 'Accounts', itemCode: '6100' },
      { dimensionName: 'Subsidiaries', itemCode: 'SUB-2' },
      { dimensionName: 'Departments', itemCode: 'DEP-104' },
      { dimensionName: 'Classes', itemCode: 'CLS-201' },
      { dimensionName: 'Locations', itemCode: loc },
      { dimensionName: 'Time', itemName: 'Jan 26' },
    ],
    value: 7,
  });
  assert.equal(
    (await ok('POST', `${M}/modules/${act}/data`, { body: [cell('LOC-390'), cell('LOC-302')] })).body
      .numberOfCellsChanged,
    2,
  );
  assert.deepEqual(sb.cellTotals('ACT01 GL Actuals', 'Amount', { Period: 'Jan 26' }), { cells: 2, total: 14 });
  const porto = (await items(locations)).find((i) => i.code === 'LOC-391')!;
  // All succeed: `{deleted: n}` (and no `result`), one by code at the model form, one by id.
  const done = (
    await ok('POST', `${M}/lists/${locations}/items?action=delete`, {
      body: { items: [{ code: 'LOC-390' }, { id: porto.id }] },
    })
  ).body;
  assert.equal(done.deleted, 2);
  assert.equal(done.result, undefined);
  const left = await items(locations);
  assert.equal(
    left.some((i) => i.code === 'LOC-390' || i.code === 'LOC-391'),
    false,
  );
  assert.deepEqual(
    sb.cellTotals('ACT01 GL Actuals', 'Amount', { Period: 'Jan 26' }),
    { cells: 1, total: 7 },
    "the deleted item's cell is gone, the other stays",
  );
  // Partial failure at the workspace form: `result: {numberOfItemsDeleted, failures}` (help page).
  const partial = (
    await ok('POST', `${W}/lists/${locations}/items?action=delete`, {
      body: {
        items: [{ code: 'LOC-392' }, { code: 'LOC-999' }, { id: porto.id, code: 'LOC-391' }, { code: 'LOC-300' }],
      },
    })
  ).body;
  assert.equal(partial.deleted, undefined);
  assert.equal(partial.result.numberOfItemsDeleted, 1);
  assert.deepEqual(
    partial.result.failures.map((f: { requestIndex: number; failureType: string; failureMessageDetails: string }) => [
      f.requestIndex,
      f.failureType,
      f.failureMessageDetails,
    ]),
    [
      [1, 'Not found', "Code 'LOC-999' not found"],
      [2, 'Ambiguous criteria', `Specifying both ID and code not supported (${porto.id}:LOC-391)`],
      [3, 'Has children', 'Item LOC-300 has children; delete them first'],
    ],
  );
  // A deleted code can be added again, under a new id.
  const again = (
    await ok('POST', `${M}/lists/${locations}/items?action=add`, {
      body: { items: [{ name: 'Porto', code: 'LOC-391' }] },
    })
  ).body;
  assert.equal(again.added, 1);
  assert.notEqual(
    (await items(locations)).find((i) => i.code === 'LOC-391')!.id,
    porto.id,
    'item ids are never reused',
  );
});

test('resetIndex at both forms: 400 "contains data" on a list with items; an emptied list restarts its index', async () => {
  const classes = await listId('Classes');
  const refused = await call('POST', `${M}/lists/${classes}/resetIndex`);
  assert.equal(refused.status, 400);
  assert.match(refused.body.status.message, /contains data/);
  const meta = async () =>
    (await ok('GET', `${M}/lists/${classes}`)).body.metadata as { itemCount: number; nextItemIndex: number };
  assert.deepEqual(await meta(), { ...(await meta()), itemCount: 4, nextItemIndex: 4 });
  // Children first, then the parent (a parent with children is refused).
  const all = await items(classes);
  const leaves = all.filter((i) => i.parent !== undefined);
  assert.equal(
    (
      await ok('POST', `${W}/lists/${classes}/items?action=delete`, {
        body: { items: leaves.map((i) => ({ id: i.id })) },
      })
    ).body.deleted,
    leaves.length,
  );
  assert.equal(
    (await ok('POST', `${W}/lists/${classes}/items?action=delete`, { body: { items: [{ code: 'CLS-200' }] } })).body
      .deleted,
    1,
  );
  assert.deepEqual(
    await meta(),
    { ...(await meta()), itemCount: 0, nextItemIndex: 4 },
    'deleting does not rewind the index',
  );
  for (const base of [W, M]) {
    const r = await ok('POST', `${base}/lists/${classes}/resetIndex`);
    assert.deepEqual(r.body.status, { code: 200, message: 'Success' });
  }
  assert.deepEqual(await meta(), { ...(await meta()), itemCount: 0, nextItemIndex: 0 });
  await ok('POST', `${M}/lists/${classes}/items?action=add`, { body: { items: [{ name: 'Cloud', code: 'CLS-201' }] } });
  assert.deepEqual(await meta(), { ...(await meta()), itemCount: 1, nextItemIndex: 1 });
  await control(sb, 'POST', '/users', { email: sb.demoUser.email, workspaceAdmin: false });
  try {
    assert.equal(
      (await call('POST', `${M}/lists/${classes}/items?action=delete`, { body: { items: [{ code: 'CLS-201' }] } }))
        .status,
      403,
    );
    assert.equal((await call('POST', `${M}/lists/${classes}/resetIndex`)).status, 403);
  } finally {
    await control(sb, 'POST', '/users', { email: sb.demoUser.email, workspaceAdmin: true });
  }
});

test('read requests expire after 30 minutes without activity (sandbox clock); reading page 0 restarts the timer', async () => {
  const pln = await moduleId('PLN01 Plan');
  const r = (await ok('POST', `${W}/views/${pln}/readRequests`, { body: { exportType: 'TABULAR_MULTI_COLUMN' } })).body
    .viewReadRequest;
  // The sandbox clock moves tokens too: a fresh one after each jump (35-minute tokens).
  const advance = async (ms: number) => {
    await control(sb, 'POST', '/clock', { advanceMs: ms });
    token = await client(sb).tokens.token();
  };
  await advance(20 * 60_000);
  await ok('GET', `${W}/views/${pln}/readRequests/${r.requestId}/pages/0`, { accept: 'text/csv' });
  await advance(20 * 60_000);
  await ok('GET', `${W}/views/${pln}/readRequests/${r.requestId}/pages/1`, { accept: 'text/csv' });
  await advance(11 * 60_000);
  assert.equal((await call('GET', `${W}/views/${pln}/readRequests/${r.requestId}/pages/1`)).status, 404);
});
