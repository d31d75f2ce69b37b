import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApplicationFailure, defaultPayloadConverter, Payload } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import {
  CodecError,
  createDataConverter,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
} from '../../common/node/codec';
import { createCodecKeyFile, KeyMaterialError, loadCodecKeys, parseCodecKeysEnv } from '../../common/node/codec-keys';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const codec = (active: string, entries: Array<[string, Buffer]>) =>
  new EncryptionCodec({ activeKeyId: active, keys: new Map(entries) });
const value = { cycleId: 'c-2026-11', account: '4000', amount: '1250.10', memo: 'Q4 accrual for ACME' };
const payload = (v: unknown = value) => defaultPayloadConverter.toPayload(v) as Payload;
const str = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});

void describe('payload codec', () => {
  void it('round-trips payloads and leaves only ciphertext on the wire', async () => {
    const c = codec('k1', [['k1', k1]]);
    const inputs = [payload(), payload(null), payload('plain string')];
    const encoded = await c.encode(inputs);
    assert.equal(encoded.length, 3);
    for (const e of encoded) {
      assert.equal(str(e.metadata?.encoding), ENCRYPTED_ENCODING);
      assert.equal(str(e.metadata?.[KEY_ID_METADATA]), 'k1');
      assert.deepEqual(Object.keys(e.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA].sort());
      const wire = Buffer.from(e.data!);
      for (const needle of ['1250.10', 'ACME', 'json/plain', 'plain string'])
        assert.equal(wire.includes(needle), false, needle);
    }
    const decoded = await c.decode(encoded);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded[0]), value);
    assert.equal(defaultPayloadConverter.fromPayload(decoded[1]), null);
    assert.equal(defaultPayloadConverter.fromPayload(decoded[2]), 'plain string');
    assert.equal(str(decoded[0].metadata?.encoding), 'json/plain');
    assert.deepEqual(await c.encode([]), []);
  });

  void it('produces different ciphertext for the same payload on every call', async () => {
    const c = codec('k1', [['k1', k1]]);
    const [a] = await c.encode([payload()]);
    const [b] = await c.encode([payload()]);
    assert.notDeepEqual(Buffer.from(a.data!), Buffer.from(b.data!));
    assert.notDeepEqual(Buffer.from(a.data!).subarray(0, 12), Buffer.from(b.data!).subarray(0, 12));
  });

  void it('passes through payloads that are not encrypted', async () => {
    const c = codec('k1', [['k1', k1]]);
    const p = payload();
    const [out] = await c.decode([p]);
    assert.equal(out, p);
  });

  void it('keeps decoding old payloads after the active key rotates', async () => {
    const before = codec('k1', [['k1', k1]]);
    const after = codec('k2', [
      ['k1', k1],
      ['k2', k2],
    ]);
    const [old] = await before.encode([payload()]);
    const [fresh] = await after.encode([payload()]);
    assert.equal(str(fresh.metadata?.[KEY_ID_METADATA]), 'k2');
    const [a, b] = await after.decode([old, fresh]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(a), value);
    assert.deepEqual(defaultPayloadConverter.fromPayload(b), value);
    // a process that only has the new key names the missing one
    await assert.rejects(
      codec('k2', [['k2', k2]]).decode([old]),
      (e: Error) => e instanceof CodecError && /"k1"/.test(e.message) && /known: k2/.test(e.message),
    );
  });

  void it('fails with the wrong key, altered data or a relabelled key id', async () => {
    const [p] = await codec('k1', [['k1', k1]]).encode([payload()]);
    await assert.rejects(
      codec('k1', [['k1', k2]]).decode([p]),
      (e: Error) => e instanceof CodecError && /failed authentication/.test(e.message),
    );

    const altered = Buffer.from(p.data!);
    altered[20] ^= 1;
    await assert.rejects(codec('k1', [['k1', k1]]).decode([{ ...p, data: altered }]), CodecError);

    const relabelled = { ...p, metadata: { ...p.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await assert.rejects(
      codec('k1', [
        ['k1', k1],
        ['k2', k1],
      ]).decode([relabelled]),
      CodecError,
    );
    await assert.rejects(
      codec('k1', [['k1', k1]]).decode([{ ...p, metadata: { encoding: p.metadata!.encoding } }]),
      /no encryption-key-id/,
    );
  });

  void it('builds a data converter the SDK loads, encrypting values and failure messages', async () => {
    const dc = createDataConverter({ activeKeyId: 'k1', keys: new Map([['k1', k1]]) });
    assert.equal(dc.payloadCodecs?.length, 1);
    assert.ok(dc.payloadCodecs?.[0] instanceof EncryptionCodec);
    assert.deepEqual(createDataConverter(undefined), {});
    assert.equal(
      createDataConverter({ activeKeyId: 'k1', keys: new Map([['k1', k1]]) }, { encryptFailures: false })
        .failureConverterPath,
      undefined,
    );

    // the same helpers the SDK's client and worker use on the way to and from the server
    const loaded = loadDataConverter(dc);
    const wire = (await encodeToPayloads(loaded, value, 'second'))!;
    assert.equal(str(wire[0].metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(wire[0].data!).includes('1250.10'), false);
    assert.deepEqual(await decodeFromPayloadsAtIndex(loaded, 0, wire), value);
    assert.equal(await decodeFromPayloadsAtIndex(loaded, 1, wire), 'second');

    const failure = await encodeErrorToFailure(
      loaded,
      ApplicationFailure.nonRetryable('journal JE-7 rejected: amount 98765.43 exceeds limit'),
    );
    assert.equal(failure.message, 'Encoded failure');
    assert.equal(failure.stackTrace, '');
    assert.equal(str(failure.encodedAttributes?.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(failure.encodedAttributes!.data!).includes('98765.43'), false);
    const back = await decodeOptionalFailureToOptionalError(loaded, failure);
    assert.match(back!.message, /amount 98765\.43 exceeds limit/);
    assert.throws(() => codec('k9', [['k1', k1]]), CodecError);
    assert.throws(() => codec('k1', [['k1', randomBytes(16)]]), CodecError);
  });

  void it('loads keys from ML_CONNECTOR_CODEC_KEYS or an owner-only key file', () => {
    const env = `old:${k1.toString('hex')}, new:${k2.toString('base64')}`;
    const a = parseCodecKeysEnv(env);
    assert.equal(a.activeKeyId, 'old');
    assert.deepEqual(a.keys.get('new'), k2);
    const b = loadCodecKeys({ env: { ML_CONNECTOR_CODEC_KEYS: env, ML_CONNECTOR_CODEC_ACTIVE_KEY: 'new' } })!;
    assert.equal(b.activeKeyId, 'new');
    assert.deepEqual(b.keys.get('old'), k1);
    assert.equal(loadCodecKeys({ env: {} }), undefined);
    const secret = randomBytes(20).toString('hex');
    assert.throws(
      () => parseCodecKeysEnv(`x:${secret}`),
      (e: Error) => e instanceof KeyMaterialError && !e.message.includes(secret),
    );
    assert.throws(() => parseCodecKeysEnv(`a:${k1.toString('hex')},a:${k2.toString('hex')}`), /listed twice/);
    assert.throws(
      () => loadCodecKeys({ env: { ML_CONNECTOR_CODEC_KEYS: env, ML_CONNECTOR_CODEC_ACTIVE_KEY: 'nope' } }),
      /not among the keys/,
    );

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-codec-'));
    dirs.push(dir);
    const file = path.join(dir, 'codec.keys');
    const created = createCodecKeyFile(file, 'k2026');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const loaded = loadCodecKeys({ env: { ML_CONNECTOR_CODEC_KEY_FILE: file } })!;
    assert.equal(loaded.activeKeyId, 'k2026');
    assert.deepEqual(loaded.keys.get('k2026'), created.keys.get('k2026'));
    fs.chmodSync(file, 0o644);
    assert.throws(() => loadCodecKeys({ env: {}, keyFile: file }), /owner only/);
    assert.throws(
      () => loadCodecKeys({ env: { ML_CONNECTOR_CODEC_KEY_FILE: path.join(dir, 'missing') } }),
      /does not exist/,
    );
  });
});
