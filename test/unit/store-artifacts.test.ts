import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactStore } from '../../activities/store/artifacts';
import { ArtifactIntegrityError, ArtifactNotFoundError } from '../../activities/store/errors';

const dirs: string[] = [];
function store(): ArtifactStore {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-artifacts-'));
  dirs.push(d);
  return new ArtifactStore(path.join(d, 'artifacts'));
}
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const stored = (s: ArtifactStore) => fs.readdirSync(s.root).filter((n) => n !== '.tmp').sort();
const temps = (s: ArtifactStore) => (fs.existsSync(path.join(s.root, '.tmp')) ? fs.readdirSync(path.join(s.root, '.tmp')) : []);

void describe('artifact store', () => {
  void it('stores content under its sha256 and reads it back', async () => {
    const s = store();
    const text = 'account,amount\n4000,1250.00\n';
    const ref = await s.put(text);
    assert.deepEqual(ref, { hash: sha(text), bytes: Buffer.byteLength(text) });
    assert.equal(s.path(ref.hash), path.join(s.root, sha(text)));
    assert.equal(await s.has(ref.hash), true);
    assert.equal((await s.stat(ref.hash))?.bytes, ref.bytes);
    assert.equal((await s.read(ref.hash)).toString('utf8'), text);
    assert.deepEqual(stored(s), [ref.hash]);

    const bin = Buffer.from([0, 1, 2, 255]);
    assert.equal((await s.put(bin)).hash, sha(bin));
    assert.equal(await s.has(sha('absent')), false);
    assert.equal(await s.stat(sha('absent')), undefined);
  });

  void it('is idempotent: the same content twice is one file, left untouched', async () => {
    const s = store();
    const a = await s.put('same content');
    const before = fs.statSync(s.path(a.hash));
    const b = await s.put(Buffer.from('same content'));
    assert.deepEqual(b, a);
    const after = fs.statSync(s.path(a.hash));
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.deepEqual(stored(s), [a.hash]);
    assert.deepEqual(temps(s), []);
  });

  void it('hashes a stream while writing it', async () => {
    const s = store();
    const expected = createHash('sha256');
    let total = 0;
    async function* rows() {
      for (let i = 0; i < 20_000; i++) {
        const line = Buffer.from(`${i},acct-${i % 97},${(i * 1.25).toFixed(2)}\n`);
        expected.update(line);
        total += line.length;
        yield line;
      }
    }
    const w = s.writeStream();
    await pipeline(Readable.from(rows()), w);
    const ref = await w.done();
    assert.deepEqual(ref, { hash: expected.digest('hex'), bytes: total });
    const back = await s.read(ref.hash);
    assert.equal(back.length, total);
    assert.ok(back.toString('utf8').startsWith('0,acct-0,0.00\n1,acct-1,1.25\n'));
    assert.deepEqual(temps(s), []);
  });

  void it('leaves no file behind when the source fails mid-stream', async () => {
    const s = store();
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('source broke');
    }
    const w = s.writeStream();
    await assert.rejects(pipeline(Readable.from(failing()), w), /source broke/);
    await assert.rejects(w.done());
    assert.deepEqual(stored(s), []);
    assert.deepEqual(temps(s), []);
  });

  void it('refuses corrupt content, unknown hashes and malformed hashes', async () => {
    const s = store();
    const ref = await s.put('original bytes');
    fs.chmodSync(s.path(ref.hash), 0o644);
    fs.writeFileSync(s.path(ref.hash), 'original bytez');
    await assert.rejects(s.read(ref.hash), (e: Error) => e instanceof ArtifactIntegrityError && e.message.includes(ref.hash));
    // unverified reads are possible on request
    const raw: Buffer[] = [];
    for await (const c of await s.openRead(ref.hash, { verify: false })) raw.push(c as Buffer);
    assert.equal(Buffer.concat(raw).toString(), 'original bytez');

    await assert.rejects(s.openRead(sha('never stored')), ArtifactNotFoundError);
    assert.throws(() => s.path('../../etc/passwd'), ArtifactIntegrityError);
    await assert.rejects(s.has('ABC'), ArtifactIntegrityError);
  });
});
