import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { resolveCodecKeys, resolveDataConverter } from '../../common/node/codec-config';
import { ENCRYPTED_ENCODING, EncryptionCodec } from '../../common/node/codec';
import { KeyMaterialError } from '../../common/node/codec-keys';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-codec-cfg-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe('resolveDataConverter', () => {
  it('returns undefined when no key is configured and creation is not allowed, and creates nothing', () => {
    const dir = tmp();
    assert.equal(resolveDataConverter({ dataDir: dir, env: {} }), undefined);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('creates <dataDir>/codec.key (0600) once for the embedded default, warns, then reuses it', () => {
    const dir = tmp();
    const warnings: string[] = [];
    const first = resolveCodecKeys({
      dataDir: dir,
      env: {},
      createIfMissing: true,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(first.source, 'created');
    const file = path.join(dir, 'codec.key');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /codec\.key/);
    const second = resolveCodecKeys({
      dataDir: dir,
      env: {},
      createIfMissing: true,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(second.source, 'file');
    assert.equal(warnings.length, 1, 'no second warning');
    assert.deepEqual(second.keys!.keys.get(second.keys!.activeKeyId), first.keys!.keys.get(first.keys!.activeKeyId));
    const dc = resolveDataConverter({ dataDir: dir, env: {} });
    assert.ok(dc?.payloadCodecs?.[0] instanceof EncryptionCodec);
  });

  it('prefers ML_CONNECTOR_CODEC_KEYS over the key file and encrypts with its active key', async () => {
    const dir = tmp();
    resolveCodecKeys({ dataDir: dir, env: {}, createIfMissing: true, onWarning: () => undefined });
    const env = { ML_CONNECTOR_CODEC_KEYS: `prod1:${randomBytes(32).toString('hex')}` };
    const r = resolveCodecKeys({ dataDir: dir, env });
    assert.equal(r.source, 'env');
    const dc = resolveDataConverter({ dataDir: dir, env })!;
    const [p] = await dc.payloadCodecs![0]!.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"amount":1234.56}') },
    ]);
    assert.equal(Buffer.from(p!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(p!.metadata!['encryption-key-id']!).toString(), 'prod1');
    assert.ok(!Buffer.from(p!.data!).includes('1234.56'));
    const [back] = await dc.payloadCodecs![0]!.decode([p!]);
    assert.equal(Buffer.from(temporal.api.common.v1.Payload.create(back).data!).toString(), '{"amount":1234.56}');
  });

  it('refuses a configured key file that is missing or readable by others, without creating one', () => {
    const dir = tmp();
    const missing = path.join(dir, 'nope.json');
    assert.throws(
      () =>
        resolveDataConverter({ dataDir: dir, env: { ML_CONNECTOR_CODEC_KEY_FILE: missing }, createIfMissing: true }),
      KeyMaterialError,
    );
    assert.equal(fs.existsSync(missing), false);
    resolveCodecKeys({ dataDir: dir, env: {}, createIfMissing: true, onWarning: () => undefined });
    fs.chmodSync(path.join(dir, 'codec.key'), 0o644);
    assert.throws(() => resolveDataConverter({ dataDir: dir, env: {} }), /chmod 600/);
  });
});
