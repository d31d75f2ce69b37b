import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { FAST_POLL, client, control, glCsv, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
let dir: string;
before(async () => {
  sb = await sandbox({ exportChunkBytes: 64 * 1024 });
  dir = await mkdtemp(join(tmpdir(), 'anaplan-io-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

test('an import with 5 bad rows completes: the 5 rows come back in the parsed dump, the rest are loaded', async () => {
  await control(sb, 'POST', '/reset');
  const c = client(sb);
  const good: string[][] = [];
  let expected = 0;
  const accounts = ['4010', '5010', '6100', '6200', '7010'];
  const periods = ['Jan 26', 'Feb 26', 'Mar 26', 'Oct 26'];
  for (let i = 0; i < 100; i++) {
    const amount = ((i + 1) * 137.25).toFixed(2);
    // Distinct cells, so every good row is one cell.
    good.push([
      accounts[i % 5]!,
      `SUB-${2 + (Math.floor(i / 5) % 3)}`,
      'DEP-104',
      ['CLS-201', 'CLS-202', 'CLS-203'][Math.floor(i / 15) % 3]!,
      'LOC-301',
      periods[Math.floor(i / 45) % 4]!,
      amount,
    ]);
  }
  const seen = new Set(good.map((r) => r.slice(0, 6).join('|')));
  assert.equal(seen.size, 100);
  for (const r of good) expected += Number(r[6]);
  const bad: string[][] = [
    ['6100', 'SUB-2', 'DEP-108', 'CLS-201', 'LOC-301', 'Oct 26', '10'], // department not in the model
    ['9999', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '10'], // unknown account
    ['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Foo 26', '10'], // bad period
    ['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', 'abc'], // not a number
    ['6100', 'SUB-1', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '10'], // aggregate (parent subsidiary; summary accounts live in Account Groups)
  ];
  const rows = [
    ...good.slice(0, 10),
    bad[0]!,
    ...good.slice(10, 40),
    bad[1]!,
    bad[2]!,
    ...good.slice(40, 90),
    bad[3]!,
    ...good.slice(90),
    bad[4]!,
  ];
  const file = join(dir, 'bad-rows.csv');
  await writeFile(file, glCsv(rows));
  const imp = await c.findImport('Import GL Actuals');
  await c.uploadFile(imp.importDataSourceId!, file, { chunkSizeBytes: 1024 * 1024, gzip: true });
  const r = await c.runImport(imp.id, { poll: FAST_POLL });
  assert.equal(r.successful, true);
  assert.equal(r.failureDumpAvailable, true);
  assert.deepEqual(
    { total: r.counts.total, ok: r.counts.successful, failed: r.counts.failed },
    { total: 105, ok: 100, failed: 5 },
  );
  assert.ok(r.dump);
  assert.equal(r.dump.totalRows, 5);
  assert.deepEqual(r.dump.columns, ['Account', 'Subsidiary', 'Department', 'Class', 'Location', 'Period', 'Amount']);
  // _Line_ counts the header as line 1.
  assert.deepEqual(
    r.dump.rows.map((d) => d.line),
    [12, 43, 44, 95, 106],
  );
  assert.deepEqual(
    r.dump.rows.map((d) => d.status),
    ['E', 'E', 'E', 'E', 'E'],
  );
  assert.match(r.dump.rows[0]!.error, /Item not located in Departments list: DEP-108/);
  assert.match(r.dump.rows[1]!.error, /Accounts list: 9999/);
  assert.match(r.dump.rows[2]!.error, /Invalid date/);
  assert.match(r.dump.rows[3]!.error, /Invalid number: abc/);
  assert.match(r.dump.rows[4]!.error, /aggregate/);
  assert.equal(r.dump.rows[3]!.values.Amount, 'abc');
  const totals = sb.cellTotals('ACT01 GL Actuals', 'Amount');
  assert.equal(totals.cells, 100);
  assert.ok(Math.abs(totals.total - expected) < 0.005, `${totals.total} vs ${expected}`);
  const oct = sb.cellTotals('ACT01 GL Actuals', 'Amount', { Period: 'Oct 26' });
  const octExpected = good.filter((g) => g[5] === 'Oct 26').reduce((s, g) => s + Number(g[6]), 0);
  assert.ok(Math.abs(oct.total - octExpected) < 0.005);

  // Dumps are kept for the latest task only: a new run replaces the old task's dump (404).
  const again = await c.runImport(imp.id, { poll: FAST_POLL });
  const stale = await fetch(`${sb.url}/2/0${c.modelPath}/imports/${imp.id}/tasks/${r.taskId}/dump`, {
    headers: { authorization: `AnaplanAuthToken ${await c.tokens.token()}` },
  });
  assert.equal(stale.status, 404);
  assert.equal(again.dump?.totalRows, 5);
  // A clean run removes the dump altogether.
  await c.uploadFile(imp.importDataSourceId!, Readable.from([glCsv(good.slice(0, 3))]));
  const clean = await c.runImport(imp.id, { poll: FAST_POLL });
  assert.equal(clean.failureDumpAvailable, false);
  const gone = await fetch(`${sb.url}/2/0${c.modelPath}/imports/${imp.id}/tasks/${again.taskId}/dump`, {
    headers: { authorization: `AnaplanAuthToken ${await c.tokens.token()}` },
  });
  assert.equal(gone.status, 404);
});

test('list import creates and updates members with parents; bad parents go to the dump', async () => {
  const c = client(sb);
  // Accounts is a composite hierarchy: a Parent must be an item of Account Groups, not of Accounts.
  const imp = await c.findImport('Import Accounts');
  const file = join(dir, 'accounts.csv');
  await writeFile(
    file,
    'Code,Name,Parent\n6900,"Training, Conferences",6000\n6100,Salaries & Wages,6000\n6910,Orphan,9999\n6920,Child of an account,6900\n',
  );
  await c.uploadFile(imp.importDataSourceId!, file, { chunkSizeBytes: 1024 * 1024 });
  const r = await c.runImport(imp.id, { poll: FAST_POLL });
  assert.deepEqual(
    { created: r.counts.created, updated: r.counts.updated, failed: r.counts.failed },
    { created: 1, updated: 1, failed: 2 },
  );
  assert.deepEqual(
    r.dump?.rows.map((d) => [d.values.Code, d.error]),
    [
      ['6910', 'Invalid parent'],
      ['6920', 'Invalid parent'],
    ],
  );
  const items = await c.listItems((await c.findList('Accounts')).id);
  const byCode = new Map(items.map((i) => [i.code, i]));
  assert.equal(byCode.get('6900')?.name, 'Training, Conferences');
  assert.equal(byCode.get('6900')?.parent, 'Operating Expenses');
  assert.equal(byCode.get('6100')?.name, 'Salaries & Wages');
  assert.equal(byCode.has('6910'), false);
  assert.equal(byCode.has('6920'), false);

  // Subsidiaries keeps its parents in the same list: a row may name one created earlier in the file.
  const subs = await c.findImport('Import Subsidiaries');
  const subFile = join(dir, 'subs.csv');
  await writeFile(
    subFile,
    'Code,Name,Parent\nSUB-9,New Holding,SUB-1\nSUB-10,Child of new,SUB-9\nSUB-11,Orphan,SUB-99\n',
  );
  await c.uploadFile(subs.importDataSourceId!, subFile, { chunkSizeBytes: 1024 * 1024 });
  const rs = await c.runImport(subs.id, { poll: FAST_POLL });
  assert.deepEqual({ created: rs.counts.created, failed: rs.counts.failed }, { created: 2, failed: 1 });
  assert.equal(rs.dump?.rows[0]?.error, 'Invalid parent');
  const subItems = new Map((await c.listItems((await c.findList('Subsidiaries')).id)).map((i) => [i.code, i]));
  assert.equal(subItems.get('SUB-10')?.parent, 'New Holding');
});

test('export of approved plan values is downloaded in chunks and parsed; it matches the model', async () => {
  const c = client(sb);
  const exp = await c.findExport('Export Approved Plan');
  const meta = await c.exportMetadata(exp.id);
  assert.deepEqual(meta.headerNames, ['Account', 'Subsidiary', 'Department', 'Period', 'Version', 'Amount']);
  const r = await c.runExport(exp.id, { poll: FAST_POLL });
  assert.equal(r.successful, true);
  const dest = join(dir, 'plan.csv');
  const dl = await c.downloadFile(exp.id, dest);
  assert.ok(dl.chunkCount > 1, `expected several 64 KB chunks, got ${dl.chunkCount}`);
  const rows = parse(await readFile(dest), { columns: true }) as Array<Record<string, string>>;
  // Expected straight from the model: Amount of every cell whose Approved flag is set.
  const pln = sb.state.model.modules.get('PLN01 Plan')!;
  const amount = pln.lineItem('Amount')!.cells;
  let n = 0;
  let total = 0;
  for (const [k, v] of pln.lineItem('Approved')!.cells) {
    if (!v) continue;
    n++;
    total += amount.get(k) ?? 0;
  }
  assert.equal(rows.length, n);
  assert.ok(Math.abs(rows.reduce((s, x) => s + Number(x.Amount), 0) - total) < 0.01);
  assert.ok(rows.every((x) => x.Version === 'Budget' || x.Version === 'Forecast'));
  assert.ok(rows.some((x) => x.Version === 'Forecast' && x.Period === 'Oct 26'));
  assert.ok(
    !rows.some((x) => x.Version === 'Forecast' && x.Period === 'Sep 26'),
    'unapproved forecast months are filtered out',
  );
  assert.ok(!rows.some((x) => x.Department === 'DEP-108'));
});

test('the Refresh Actuals process runs its imports in one task with nested results', async () => {
  const c = client(sb);
  await c.uploadFile(
    (await c.findFile('Accounts.csv')).id,
    Readable.from(['Code,Name,Parent\n6950,Bank Charges,6000\n']),
  );
  await c.uploadFile(
    (await c.findFile('GL Actuals.csv')).id,
    Readable.from([
      glCsv([
        ['6950', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '12.5'],
        ['6950', 'SUB-2', 'DEP-108', 'CLS-201', 'LOC-301', 'Oct 26', '1'],
      ]),
    ]),
  );
  const proc = await c.findProcess('Refresh Actuals');
  const r = await c.runProcess(proc.id, { poll: FAST_POLL });
  assert.equal(r.result.nestedResults?.length, 2);
  assert.deepEqual(
    { total: r.counts.total, created: r.counts.created, failed: r.counts.failed },
    { total: 3, created: 1, failed: 1 },
  );
  // The account created by the first import is usable by the second one in the same process.
  assert.equal(sb.cellTotals('ACT01 GL Actuals', 'Amount', { Account: '6950' }).total, 12.5);
  const glImport = (await c.findImport('Import GL Actuals')).id;
  assert.equal(r.dumps[glImport]?.rows[0]?.values.Department, 'DEP-108', 'the nested dump was fetched and parsed');
});
