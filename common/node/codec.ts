/**
 * Temporal PayloadCodec encrypting every payload with AES-256-GCM (issue 6 item 3,
 * docs/temporal.md §6). The whole serialized Payload proto (metadata + data) is
 * encrypted into a new payload with `encoding: binary/encrypted` and `encryption-key-id: <id>`,
 * so histories on the server hold only ciphertext. Keys are looked up by ID on decode, so old
 * histories stay readable after the active key rotates. Payloads without our encoding pass
 * through decode untouched (histories written before encryption was switched on).
 *
 * Wire format of `data`: 12-byte random nonce || ciphertext || 16-byte GCM tag. The associated
 * data is the encoding and key ID, so relabelling a payload with another key ID fails.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CodecKeys, KEY_BYTES } from './codec-keys';

export type { CodecKeys } from './codec-keys';
export { loadCodecKeys, parseCodecKeysEnv, readCodecKeyFile, createCodecKeyFile } from './codec-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

/** Payload could not be decrypted: unknown key ID, wrong key or altered ciphertext. */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: CodecKeys) {
    for (const [id, key] of keys.keys) {
      if (key.length !== KEY_BYTES) throw new CodecError(`codec key "${id}" must be ${KEY_BYTES} bytes`, id);
    }
    if (!keys.keys.has(keys.activeKeyId))
      throw new CodecError(`active codec key "${keys.activeKeyId}" is not among the keys`);
    this.keys = new Map(keys.keys);
    this.activeKeyId = keys.activeKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.activeKeyId;
    const key = this.keys.get(keyId)!;
    return payloads.map((p) => {
      const plain = ProtoPayload.encode(p).finish();
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(keyId));
      const data = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = text(p.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new CodecError(`encrypted payload has no ${KEY_ID_METADATA} metadata`);
      const key = this.keys.get(keyId);
      if (!key) {
        throw new CodecError(
          `payload was encrypted with key "${keyId}", which is not configured (known: ${[...this.keys.keys()].join(', ')}); ` +
            'add it to ML_CONNECTOR_CODEC_KEYS or the codec key file',
          keyId,
        );
      }
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < NONCE_BYTES + TAG_BYTES)
        throw new CodecError(`encrypted payload (key "${keyId}") is truncated`, keyId);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new CodecError(
          `payload failed authentication with key "${keyId}" (wrong key material or altered data)`,
          keyId,
        );
      }
      return ProtoPayload.decode(plain);
    });
  }
}

function aad(keyId: string): Buffer {
  return Buffer.from(`${ENCRYPTED_ENCODING}\n${keyId}`);
}

/** Path for `failureConverterPath` (also pass it to `bundleWorkflowCode` when pre-bundling). */
export const FAILURE_CONVERTER_PATH = require.resolve('../codec-failure-converter');

export interface DataConverterOptions {
  /**
   * Also encrypt failure messages and stack traces (vendor error text can hold amounts and
   * account names). Default true; the UI then shows "Encoded failure" unless it uses the codec server.
   */
  encryptFailures?: boolean;
}

/**
 * The DataConverter for worker (`Worker.create({ dataConverter })`) and client
 * (`new Client({ dataConverter })`); both sides need the same one. Without keys payloads stay
 * plaintext, which callers should allow only for local development.
 */
export function createDataConverter(keys: CodecKeys | undefined, opts: DataConverterOptions = {}): DataConverter {
  if (!keys) return {};
  const dc: DataConverter = { payloadCodecs: [new EncryptionCodec(keys)] };
  if (opts.encryptFailures ?? true) dc.failureConverterPath = FAILURE_CONVERTER_PATH;
  return dc;
}
