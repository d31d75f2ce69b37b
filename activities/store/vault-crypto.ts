/**
 * Crypto of the credential vault. One 32-byte master key; HKDF-SHA256 derives separate keys for
 * record encryption, the whole-file MAC and a key-check value (so a wrong key is told apart from a
 * tampered file), plus a short public key ID naming the key in messages. Each record is
 * AES-256-GCM with a fresh random 12-byte nonce (NIST SP 800-38D
 * §8.2.2: random 96-bit IVs) and associated data binding it to its connection name, kind and
 * metadata, so moving a ciphertext to another record fails authentication.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SALT = Buffer.from('ml-connector/vault');

export interface VaultKeys {
  record: Buffer;
  mac: Buffer;
  check: string;
  /** Public fingerprint of the master key (hex, 8 bytes), shown to operators and kept for retired keys. */
  id: string;
}

export function deriveVaultKeys(master: Buffer): VaultKeys {
  const derive = (info: string, len = 32) => Buffer.from(hkdfSync('sha256', master, SALT, info, len));
  return {
    record: derive('record-aes-256-gcm/v1'),
    mac: derive('file-hmac-sha256/v1'),
    check: derive('key-check/v1', 16).toString('base64'),
    id: derive('key-id/v1', 8).toString('hex'),
  };
}

/** The plain-text part of a record; all of it is authenticated as associated data. */
export interface RecordHeader {
  name: string;
  kind: string;
  createdAt: string;
  updatedAt: string;
  authType: string;
  certificateExpiry: string | null;
  metadata: Record<string, string | number | boolean | null>;
}

export interface SealedRecord extends RecordHeader {
  /** base64, 12 bytes */
  nonce: string;
  /** base64 of ciphertext || 16-byte GCM tag */
  ciphertext: string;
}

function sortKeys<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/** Associated data: a canonical encoding of the header, so order of JSON keys on disk does not matter. */
export function associatedData(h: RecordHeader): Buffer {
  return Buffer.from(
    JSON.stringify([
      'ml-connector-vault/v1',
      h.name,
      h.kind,
      h.createdAt,
      h.updatedAt,
      h.authType,
      h.certificateExpiry,
      sortKeys(h.metadata),
    ]),
  );
}

export function sealRecord(key: Buffer, header: RecordHeader, secret: unknown): SealedRecord {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(header));
  const ct = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { ...header, nonce: nonce.toString('base64'), ciphertext: ct.toString('base64') };
}

/** Returns the decrypted secret, or undefined when authentication fails (caller names the file). */
export function openRecord(key: Buffer, rec: SealedRecord): unknown {
  const nonce = Buffer.from(rec.nonce, 'base64');
  const data = Buffer.from(rec.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES || data.length < TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(rec));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(plain.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function fileMac(macKey: Buffer, body: string): string {
  return createHmac('sha256', macKey).update(body).digest('base64');
}

export function equalB64(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
