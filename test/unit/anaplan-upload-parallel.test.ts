import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CallRecord } from '../../activities/http';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

const MB = 1024 * 1024;
let sb: AnaplanSandbox;
let dir: string;
let fileId: string;
/** 5.5 chunks of 1 MB: six chunk PUTs. */
let source: Buffer;
let sourcePath: string;

before(async () => {
  sb = await sandbox();
  dir = await mkdtemp(join(tmpdir(), 'anaplan-par-'));
  source = randomBytes(5.5 * MB);
  sourcePath = join(dir, 'source.bin');
  await writeFile(sourcePath, source);
  fileId = (await client(sb).findImport('Import GL Actuals')).importDataSourceId!;
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

/** Calls as intervals (start = end − duration), from the client's observer (whole milliseconds: comparisons allow `SLACK_MS`). */
const SLACK_MS = 5;
function recorder(): { calls: Array<CallRecord & { start: number; end: number }>; observer: (c: CallRecord) => void } {
  const calls: Array<CallRecord & { start: number; end: number }> = [];
  return {
    calls,
    observer: (c) => calls.push({ ...c, end: performance.now(), start: performance.now() - c.durationMs }),
  };
}
const chunkPuts = (calls: Array<CallRecord & { start: number; end: number }>) =>
  calls.filter((c) => c.method === 'PUT' && /\/chunks\/\d+$/.test(c.path));
function maxOverlap(xs: Array<{ start: number; end: number }>): number {
  let best = 0;
  for (const x of xs) best = Math.max(best, xs.filter((y) => y.start <= x.start && y.end > x.start + SLACK_MS).length);
  return best;
}
async function stored(c: ReturnType<typeof client>): Promise<Buffer> {
  const dest = join(dir, `down-${Date.now()}.bin`);
  await c.downloadFile(fileId, dest);
  return readFile(dest);
}

test('a file on disk goes up several chunks at once; chunk 0 landing last still gives the file in order and onChunk in index order', async () => {
  await control(sb, 'DELETE', '/faults');
  // Every chunk PUT is slow, chunk 0 slowest: the others finish before it.
  await control(sb, 'POST', '/faults', { kind: 'latency', latencyMs: 150, method: 'PUT', path: '/chunks/', rate: 1 });
  await control(sb, 'POST', '/faults', { kind: 'latency', latencyMs: 500, method: 'PUT', path: '/chunks/0', count: 1 });
  const rec = recorder();
  const c = client(sb, { observer: rec.observer });
  const reported: Array<{ index: number; totalBytes: number; at: number }> = [];
  const r = await c.uploadFile(fileId, sourcePath, {
    chunkSizeBytes: MB,
    onChunk: ({ index, totalBytes }) => reported.push({ index, totalBytes, at: performance.now() }),
  });
  await control(sb, 'DELETE', '/faults');
  assert.deepEqual({ chunks: r.chunkCount, bytes: r.bytes }, { chunks: 6, bytes: source.length });
  const puts = chunkPuts(rec.calls);
  assert.equal(puts.length, 6);
  const overlap = maxOverlap(puts);
  assert.ok(overlap === 2, `chunk PUTs in flight at once: ${overlap} (default limit 2)`);
  // The resume cursor only ever names a stored prefix: nothing is reported before chunk 0 is stored.
  assert.deepEqual(
    reported.map((x) => x.index),
    [0, 1, 2, 3, 4, 5],
  );
  assert.deepEqual(
    reported.map((x) => x.totalBytes),
    [1, 2, 3, 4, 5, 5.5].map((m) => m * MB),
  );
  const put0 = puts.find((p) => p.path.endsWith('/chunks/0'))!;
  assert.ok(reported[0]!.at >= put0.end, 'chunk 0 is reported after its PUT answered');
  assert.ok(Buffer.compare(await stored(c), source) === 0, 'the stored file is the source, byte for byte');
});

test('a stream goes up several chunks at once too, each chunk its own copy of the bytes', async () => {
  await control(sb, 'POST', '/faults', { kind: 'latency', latencyMs: 150, method: 'PUT', path: '/chunks/', rate: 1 });
  const rec = recorder();
  const c = client(sb, { observer: rec.observer });
  // Small pieces: the slicer refills its one buffer while earlier chunks are still in flight.
  const pieces = Array.from({ length: Math.ceil(source.length / 65_536) }, (_, i) =>
    source.subarray(i * 65_536, (i + 1) * 65_536),
  );
  const r = await c.uploadFile(fileId, Readable.from(pieces), { chunkSizeBytes: MB });
  await control(sb, 'DELETE', '/faults');
  assert.deepEqual({ chunks: r.chunkCount, bytes: r.bytes }, { chunks: 6, bytes: source.length });
  assert.ok(maxOverlap(chunkPuts(rec.calls)) >= 2, 'stream chunks overlap');
  assert.ok(Buffer.compare(await stored(c), source) === 0, 'the stored file is the stream, byte for byte');
});

test('one chunk refused once (500) is sent again alone; the file is whole', async () => {
  await control(sb, 'POST', '/faults', { kind: 'status', status: 500, method: 'PUT', path: '/chunks/2', count: 1 });
  const rec = recorder();
  const c = client(sb, { observer: rec.observer });
  await c.uploadFile(fileId, sourcePath, { chunkSizeBytes: MB });
  await control(sb, 'DELETE', '/faults');
  const puts = chunkPuts(rec.calls);
  assert.deepEqual(
    puts.map((p) => Number(p.path.split('/').pop())).sort((a, b) => a - b),
    [0, 1, 2, 2, 3, 4, 5],
  );
  const twice = puts.filter((p) => p.path.endsWith('/chunks/2')).map((p) => p.status);
  assert.equal(twice[0], 500);
  assert.ok(typeof twice[1] === 'number' && twice[1] < 300, `retry answered ${twice[1]}`);
  assert.ok(Buffer.compare(await stored(c), source) === 0);
});

test('a chunk refused for good fails the upload with that error; the cursor never passes the refused chunk', async () => {
  await control(sb, 'POST', '/faults', { kind: 'status', status: 400, method: 'PUT', path: '/chunks/3', count: 1 });
  const c = client(sb);
  const reported: number[] = [];
  await assert.rejects(
    c.uploadFile(fileId, sourcePath, { chunkSizeBytes: MB, onChunk: ({ index }) => reported.push(index) }),
    (e: Error) => /400|chunks\/3/.test(e.message),
  );
  await control(sb, 'DELETE', '/faults');
  assert.ok(
    reported.every((i) => i < 3),
    `reported ${reported}`,
  );
});

test('parallel chunks stay inside the tenant budget: in flight + answered within the window never exceed it', async () => {
  const limit = 3;
  const windowMs = 300;
  await control(sb, 'POST', '/faults', { kind: 'latency', latencyMs: 100, method: 'PUT', path: '/chunks/', rate: 1 });
  const rec = recorder();
  const c = client(sb, { observer: rec.observer, requestsPerMinute: limit, rateWindowMs: windowMs });
  await c.uploadFile(fileId, sourcePath, { chunkSizeBytes: MB, parallelChunks: 4 });
  await control(sb, 'DELETE', '/faults');
  const calls = rec.calls;
  assert.ok(calls.length >= 7, `${calls.length} requests (start + 6 chunks at least)`);
  // At each request's start: requests begun by then and not answered before the window → the server's view.
  for (const x of calls) {
    const counted = calls.filter((y) => y.start <= x.start && y.end > x.start - windowMs + SLACK_MS).length;
    assert.ok(
      counted <= limit,
      `${counted} requests in one ${windowMs} ms window at ${Math.round(x.start)} (limit ${limit})`,
    );
  }
  assert.ok(c.limiter.peak <= limit);
  assert.ok(maxOverlap(chunkPuts(calls)) >= 2, 'the budget still lets chunks overlap');
});
