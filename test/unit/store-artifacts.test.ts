/**
 * One suite, both artifact store backends: the filesystem store (embedded default) and the S3 store
 * against the real S3-compatible server `npm test` starts. Each backend supplies only how to look
 * behind the interface (list stored objects, corrupt one); every assertion is shared.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FsArtifactStore, openArtifactStore, S3ArtifactStore, type ArtifactStore } from '../../activities/store';
import {
  ArtifactIntegrityError,
  ArtifactNotFoundError,
  ArtifactStoreConfigError,
  PartFileNotFoundError,
} from '../../activities/store/errors';
import { s3ArtifactEnv, testS3Client } from '../helpers/s3';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const text = async (r: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

interface Opened {
  store: ArtifactStore;
  /** A second store on the same location, as another worker host with its own data directory opens it. */
  another(): ArtifactStore;
  /** Hashes of the artifacts stored. */
  stored(): Promise<string[]>;
  /** Writes in progress or left behind (temp files / temp objects). */
  temps(): Promise<string[]>;
  /** Replaces a stored artifact's bytes behind the store's back. */
  corrupt(hash: string, content: string): Promise<void>;
}

const dirs: string[] = [];
const clients: S3Client[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-artifacts-'));
  dirs.push(d);
  return d;
};
after(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
  while (clients.length) clients.pop()!.destroy();
});

const backends: Array<{ name: string; open(): Promise<Opened> }> = [
  {
    name: 'filesystem',
    async open() {
      const d = tempDir();
      const store = new FsArtifactStore(path.join(d, 'artifacts'));
      const tmp = path.join(store.root, '.tmp');
      return {
        store,
        another: () => openArtifactStore({}, d),
        stored: async () =>
          fs.existsSync(store.root)
            ? fs
                .readdirSync(store.root)
                .filter((n) => n !== '.tmp')
                .sort()
            : [],
        temps: async () => [
          ...(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []),
          ...listTree(store.parts.root).filter((f) => f.endsWith('.tmp')),
        ],
        async corrupt(hash, content) {
          fs.chmodSync(path.join(store.root, hash), 0o644);
          fs.writeFileSync(path.join(store.root, hash), content);
        },
      };
    },
  },
  {
    name: 's3',
    async open() {
      const { env, bucket } = await s3ArtifactEnv('tenant-a/artifacts');
      const store = openArtifactStore(env, tempDir());
      assert.ok(store instanceof S3ArtifactStore);
      const client = testS3Client();
      clients.push(client);
      const keys = async (prefix: string) => {
        const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
        return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
      };
      return {
        store,
        another: () => openArtifactStore(env, tempDir()),
        stored: () => keys('tenant-a/artifacts/sha256/'),
        temps: () => keys('tenant-a/artifacts/tmp/'),
        async corrupt(hash, content) {
          await client.send(
            new PutObjectCommand({ Bucket: bucket, Key: `tenant-a/artifacts/sha256/${hash}`, Body: content }),
          );
        },
      };
    },
  },
];

function listTree(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

for (const backend of backends) {
  void describe(`artifact store (${backend.name})`, () => {
    void it('stores content under its sha256 and reads it back, from another host too', async () => {
      const b = await backend.open();
      const s = b.store;
      const body = 'account,amount\n4000,1250.00\n';
      const ref = await s.put(body);
      assert.deepEqual(ref, { hash: sha(body), bytes: Buffer.byteLength(body) });
      assert.equal(await s.has(ref.hash), true);
      assert.equal((await s.stat(ref.hash))?.bytes, ref.bytes);
      assert.equal((await s.read(ref.hash)).toString('utf8'), body);
      assert.deepEqual(await b.stored(), [ref.hash]);

      const bin = Buffer.from([0, 1, 2, 255]);
      assert.equal((await s.put(bin)).hash, sha(bin));
      assert.equal(await s.has(sha('absent')), false);
      assert.equal(await s.stat(sha('absent')), undefined);

      const other = b.another();
      assert.equal(other.location, s.location);
      assert.equal((await other.read(ref.hash)).toString('utf8'), body);
      assert.deepEqual(await b.temps(), []);
    });

    void it('is idempotent: the same content twice is one stored artifact', async () => {
      const b = await backend.open();
      const a = await b.store.put('same content');
      const again = await b.another().put(Buffer.from('same content'));
      assert.deepEqual(again, a);
      assert.deepEqual(await b.stored(), [a.hash]);
      assert.deepEqual(await b.temps(), []);
    });

    void it('hashes a stream while writing it, across several multipart-sized parts', async () => {
      const b = await backend.open();
      const expected = createHash('sha256');
      let total = 0;
      // ~13 MiB: more than two 5 MiB upload parts on S3.
      const memo = 'm'.repeat(24);
      async function* rows() {
        for (let i = 0; i < 300_000; i++) {
          const line = Buffer.from(`${i},acct-${i % 97},${(i * 1.25).toFixed(2)},${memo}\n`);
          expected.update(line);
          total += line.length;
          yield line;
        }
      }
      const w = b.store.writeStream();
      await pipeline(Readable.from(rows()), w);
      const ref = await w.done();
      assert.ok(total > 11 * 1024 * 1024, `${total} bytes`);
      assert.deepEqual(ref, { hash: expected.digest('hex'), bytes: total });
      assert.equal((await b.store.stat(ref.hash))?.bytes, total);
      const back = await b.store.read(ref.hash);
      assert.equal(back.length, total);
      assert.ok(back.toString('utf8').startsWith(`0,acct-0,0.00,${memo}\n1,acct-1,1.25,${memo}\n`));
      assert.deepEqual(await b.temps(), []);
    });

    void it('leaves nothing behind when the source fails mid-stream', async () => {
      const b = await backend.open();
      async function* failing() {
        yield Buffer.from('partial');
        throw new Error('source broke');
      }
      const w = b.store.writeStream();
      await assert.rejects(pipeline(Readable.from(failing()), w), /source broke/);
      await assert.rejects(w.done());
      assert.deepEqual(await b.stored(), []);
      assert.deepEqual(await b.temps(), []);
    });

    void it('refuses corrupt content, unknown hashes and malformed hashes', async () => {
      const b = await backend.open();
      const s = b.store;
      const ref = await s.put('original bytes');
      await b.corrupt(ref.hash, 'original bytez');
      await assert.rejects(
        s.read(ref.hash),
        (e: Error) => e instanceof ArtifactIntegrityError && e.message.includes(ref.hash),
      );
      await assert.rejects(
        s.withLocalFile(ref.hash, async () => 'used'),
        ArtifactIntegrityError,
      );
      // unverified reads are possible on request
      assert.equal(await text(await s.openRead(ref.hash, { verify: false })), 'original bytez');

      await assert.rejects(s.openRead(sha('never stored')), ArtifactNotFoundError);
      await assert.rejects(
        s.withLocalFile(sha('never stored'), async () => 'used'),
        ArtifactNotFoundError,
      );
      await assert.rejects(s.has('../../etc/passwd'), ArtifactIntegrityError);
      await assert.rejects(s.has('ABC'), ArtifactIntegrityError);
    });

    void it('hands a local file with the content to code that needs a path', async () => {
      const b = await backend.open();
      const ref = await b.store.put('Code,Name,Parent\nDEP-1,Sales,\n');
      let seen = '';
      const got = await b.another().withLocalFile(ref.hash, async (file) => {
        seen = file;
        return fs.readFileSync(file, 'utf8');
      });
      assert.equal(got, 'Code,Name,Parent\nDEP-1,Sales,\n');
      // A downloaded copy is temporary; the filesystem store hands its own immutable file.
      if (b.store instanceof S3ArtifactStore) assert.equal(fs.existsSync(seen), false);
      else assert.equal(fs.existsSync(seen), true);
    });

    void it('part files appear whole or not at all, and every host sees the same ones', async () => {
      const b = await backend.open();
      const p = b.store.parts;
      const w = p.writeStream('c0ffee/actuals-1/part-41.csv');
      w.write('4010,SUB-2,-100.00\n');
      assert.equal(await p.readText('c0ffee/actuals-1/part-41.csv'), undefined, 'invisible while being written');
      w.end('6100,SUB-2,50.00\n');
      await w.done();
      await p.writeText('c0ffee/actuals-1/part-41.json', '{"rows":2}');
      await p.writeText('c0ffee/actuals-2/part-61.json', '{}');

      const q = b.another().parts;
      assert.equal(
        await text(await q.openRead('c0ffee/actuals-1/part-41.csv')),
        '4010,SUB-2,-100.00\n6100,SUB-2,50.00\n',
      );
      assert.equal(await q.readText('c0ffee/actuals-1/part-41.json'), '{"rows":2}');
      assert.deepEqual((await q.list('c0ffee')).sort(), ['actuals-1', 'actuals-2']);
      assert.deepEqual((await q.list('c0ffee/actuals-1')).sort(), ['part-41.csv', 'part-41.json']);
      assert.deepEqual(await q.list('absent'), []);

      // An abandoned writer (a failed query) leaves nothing under its name.
      const broken = p.writeStream('c0ffee/actuals-1/part-61.csv');
      broken.write('partial');
      broken.destroy(new Error('query failed'));
      await assert.rejects(broken.done());
      assert.equal(await p.readText('c0ffee/actuals-1/part-61.csv'), undefined);
      await assert.rejects(p.openRead('c0ffee/actuals-1/part-61.csv'), PartFileNotFoundError);

      await q.remove(['c0ffee/actuals-1/part-41.json', 'c0ffee/actuals-1/never-written']);
      assert.deepEqual(await p.list('c0ffee/actuals-1'), ['part-41.csv']);
      await q.removeTree('c0ffee/actuals-1');
      assert.deepEqual(await p.list('c0ffee'), ['actuals-2']);
      assert.deepEqual(await b.temps(), []);

      for (const bad of ['../escape', '/abs', 'a//b', 'a/./b', ''])
        assert.throws(() => p.writeStream(bad), ArtifactIntegrityError, bad);
      await assert.rejects(p.readText('c0ffee/../../x'), ArtifactIntegrityError);
    });
  });
}

void describe('artifact store selection', () => {
  void it('opens the filesystem store by default and the S3 store for s3:// URLs', () => {
    const d = tempDir();
    const fsStore = openArtifactStore({}, d);
    assert.ok(fsStore instanceof FsArtifactStore);
    assert.equal(fsStore.location, path.join(d, 'artifacts'));
    const s3 = openArtifactStore(
      { ML_CONNECTOR_ARTIFACTS: 's3://acme-artifacts/prod/ml/', AWS_REGION: 'eu-west-1' },
      d,
    );
    assert.ok(s3 instanceof S3ArtifactStore);
    assert.equal(s3.location, 's3://acme-artifacts/prod/ml');
    assert.equal(s3.bucket, 'acme-artifacts');
  });

  void it('names the bad setting and never echoes credentials', () => {
    const d = tempDir();
    const secret = 'wJalrXUtnFEMI-not-a-real-secret';
    const attempt = (env: NodeJS.ProcessEnv) => () =>
      openArtifactStore({ AWS_SECRET_ACCESS_KEY: secret, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', ...env }, d);
    const refused = (pattern: RegExp) => (e: Error) =>
      e instanceof ArtifactStoreConfigError && pattern.test(e.message) && !e.message.includes(secret);
    assert.throws(
      attempt({ ML_CONNECTOR_ARTIFACTS: '/srv/artifacts' }),
      refused(/ML_CONNECTOR_ARTIFACTS must look like s3:\/\/bucket\/prefix/),
    );
    assert.throws(
      attempt({ ML_CONNECTOR_ARTIFACTS: 's3://Bad_Bucket/x' }),
      refused(/"Bad_Bucket" is not a valid S3 bucket name/),
    );
    assert.throws(attempt({ ML_CONNECTOR_ARTIFACTS: 's3://ok-bucket/a/../b' }), refused(/prefix/));
    assert.throws(
      attempt({ ML_CONNECTOR_ARTIFACTS: 's3://ok-bucket/x', ML_CONNECTOR_ARTIFACTS_SSE: 'aes' }),
      refused(/ML_CONNECTOR_ARTIFACTS_SSE/),
    );
    assert.throws(
      attempt({ ML_CONNECTOR_ARTIFACTS: 's3://ok-bucket/x', ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID: 'alias/x' }),
      refused(/needs ML_CONNECTOR_ARTIFACTS_SSE=aws:kms/),
    );
    assert.throws(
      attempt({ ML_CONNECTOR_ARTIFACTS: 's3://ok-bucket/x', AWS_ENDPOINT_URL: 'not a url' }),
      refused(/AWS_ENDPOINT_URL/),
    );
  });

  void it('a failed upload fails the writer (no hang on backpressure), and leaves nothing stored', async () => {
    const { env } = await s3ArtifactEnv('gone');
    // A bucket that does not exist: every upload is refused by the server.
    const store = openArtifactStore(
      { ...env, ML_CONNECTOR_ARTIFACTS: 's3://mlc-no-such-bucket-for-this-test/x' },
      tempDir(),
    );
    const chunk = Buffer.alloc(1 << 20, 120);
    async function* big() {
      for (let i = 0; i < 64; i++) yield chunk;
    }
    const w = store.writeStream();
    await assert.rejects(pipeline(Readable.from(big()), w), (e: Error) =>
      /NoSuchBucket|does not exist/i.test(`${e.name} ${e.message}`),
    );
    await assert.rejects(w.done());
    const p = store.parts.writeStream('c/part-1.csv');
    await assert.rejects(pipeline(Readable.from(big()), p), (e: Error) =>
      /NoSuchBucket|does not exist/i.test(`${e.name} ${e.message}`),
    );
  });

  void it('asks for server-side encryption on every object it writes when configured', async () => {
    const { env, bucket } = await s3ArtifactEnv('sse', { ML_CONNECTOR_ARTIFACTS_SSE: 'AES256' });
    const store = openArtifactStore(env, tempDir());
    const ref = await store.put('encrypted at rest');
    await store.parts.writeText('c/part.json', '{}');
    const w = store.parts.writeStream('c/part.csv');
    w.end('x\n');
    await w.done();
    const client = testS3Client();
    clients.push(client);
    for (const Key of [`sse/sha256/${ref.hash}`, 'sse/work/c/part.json', 'sse/work/c/part.csv']) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      assert.equal(head.ServerSideEncryption, 'AES256', Key);
    }
    assert.equal((await store.read(ref.hash)).toString(), 'encrypted at rest');
  });
});
