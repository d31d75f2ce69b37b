import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { FAST_POLL, client, sandbox } from '../fixtures/anaplan/harness';

const TARGET_BYTES = 200 * 1024 * 1024;
const ACCOUNTS = [
  '4010',
  '4020',
  '4030',
  '5010',
  '5020',
  '5030',
  '6100',
  '6110',
  '6120',
  '6200',
  '6210',
  '6300',
  '6310',
  '6400',
  '6500',
  '6600',
  '6700',
  '6800',
  '7010',
  '7020',
];
const SUBS = ['SUB-2', 'SUB-3', 'SUB-4'];
const DEPS = ['DEP-101', 'DEP-102', 'DEP-104', 'DEP-105', 'DEP-106', 'DEP-107'];
const CLASSES = ['CLS-201', 'CLS-202', 'CLS-203'];
const LOCS = ['LOC-301', 'LOC-302', 'LOC-303', 'LOC-304'];
const PERIODS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map(
  (m) => `${m} 26`,
);
const DIMS = [ACCOUNTS, SUBS, DEPS, CLASSES, LOCS, PERIODS];
const KEYS = DIMS.reduce((n, d) => n * d.length, 1);

let sb: AnaplanSandbox;
let dir: string;
before(async () => {
  sb = await sandbox();
  dir = await mkdtemp(join(tmpdir(), 'anaplan-large-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Streams ~200 MB of GL rows to disk. Rows walk the cell space with a stride so cells repeat; an
 * import writes (last row wins), so the expected model state is each cell's last value, tracked
 * here in a Float64Array indexed like the rows.
 */
async function generate(path: string): Promise<{ rows: number; last: Float64Array; periodOf: Uint8Array }> {
  const out = createWriteStream(path);
  const last = new Float64Array(KEYS);
  const periodOf = new Uint8Array(KEYS);
  let bytes = 0;
  let rows = 0;
  const header = 'Account,Subsidiary,Department,Class,Location,Period,Amount\n';
  out.write(header);
  bytes += header.length;
  const stride = 7919; // prime, coprime with KEYS: visits every cell before repeating
  let key = 0;
  while (bytes < TARGET_BYTES) {
    let batch = '';
    for (let i = 0; i < 20_000; i++) {
      key = (key + stride) % KEYS;
      let k = key;
      const parts: string[] = [];
      for (const d of DIMS) {
        parts.push(d[k % d.length]!);
        k = Math.floor(k / d.length);
      }
      const cents = ((rows * 104_729) % 9_999_900) + 100; // never zero
      const amount = rows % 7 === 0 ? -cents : cents;
      last[key] = amount / 100;
      periodOf[key] = PERIODS.indexOf(parts[5]!);
      batch += `${parts.join(',')},${(amount / 100).toFixed(2)}\n`;
      rows++;
    }
    bytes += batch.length;
    if (!out.write(batch)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { rows, last, periodOf };
}

test('a 200 MB CSV is uploaded in chunks with flat memory, imported, and the model totals equal the file', async (t) => {
  const path = join(dir, 'gl-200mb.csv');
  const { rows, last, periodOf } = await generate(path);
  const size = (await stat(path)).size;
  assert.ok(size >= TARGET_BYTES, `${size} bytes`);

  const c = client(sb);
  const imp = await c.findImport('Import GL Actuals');
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const chunkSize = 10 * 1024 * 1024;
  const up = await c.uploadFile(imp.importDataSourceId!, path, {
    chunkSizeBytes: chunkSize,
    onChunk: () => (peak = Math.max(peak, process.memoryUsage().rss)),
  });
  clearInterval(sampler);
  assert.equal(up.bytes, size);
  assert.equal(up.chunkCount, Math.ceil(size / chunkSize));
  const growthMb = (peak - baseline) / 1024 / 1024;
  // Client and sandbox share this process: holding the file would add ≥200 MB; a chunk at a time adds a few chunks' worth.
  t.diagnostic(`RSS growth during upload: ${growthMb.toFixed(1)} MB; ${rows} rows`);
  assert.ok(growthMb < 120, `RSS grew ${growthMb.toFixed(0)} MB during a ${(size / 1024 / 1024).toFixed(0)} MB upload`);

  // The sandbox stream-parses the stored chunks: the import must not hold the file either.
  const importBase = process.memoryUsage().rss;
  let importPeak = importBase;
  const sampler2 = setInterval(() => (importPeak = Math.max(importPeak, process.memoryUsage().rss)), 20);
  const r = await c.runImport(imp.id, { poll: { ...FAST_POLL, maxMs: 500 } });
  clearInterval(sampler2);
  const importGrowthMb = (importPeak - importBase) / 1024 / 1024;
  t.diagnostic(`RSS growth during import: ${importGrowthMb.toFixed(1)} MB`);
  assert.ok(importGrowthMb < 120, `RSS grew ${importGrowthMb.toFixed(0)} MB during the import`);
  assert.equal(r.counts.total, rows);
  assert.equal(r.counts.successful, rows);
  assert.equal(r.counts.failed, 0);
  assert.equal(r.failureDumpAvailable, false);

  let expected = 0;
  let expectedOct = 0;
  const oct = PERIODS.indexOf('Oct 26');
  for (let k = 0; k < KEYS; k++) {
    expected += last[k]!;
    if (periodOf[k] === oct) expectedOct += last[k]!;
  }
  const totals = sb.cellTotals('ACT01 GL Actuals', 'Amount');
  assert.equal(totals.cells, Math.min(rows, KEYS));
  assert.ok(Math.abs(totals.total - expected) < 0.01, `model ${totals.total} vs file ${expected}`);
  const octTotals = sb.cellTotals('ACT01 GL Actuals', 'Amount', { Period: 'Oct 26' });
  assert.ok(Math.abs(octTotals.total - expectedOct) < 0.01, `Oct 26: model ${octTotals.total} vs file ${expectedOct}`);
});
