/**
 * Key material for the payload codec and the credential vault: 32-byte AES-256 keys written as
 * hex (64 chars) or base64/base64url. Errors name the variable or file, never the value.
 *
 * Codec keys come from (first match wins):
 *   ML_CONNECTOR_CODEC_KEYS      "id1:<key>,id2:<key>"   (first listed is active unless
 *   ML_CONNECTOR_CODEC_ACTIVE_KEY names another)
 *   ML_CONNECTOR_CODEC_KEY_FILE  JSON {"activeKeyId": "k2", "keys": {"k1": "<key>", "k2": "<key>"}},
 *                                owner-only permissions (0600)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataPaths, keySettings, type Env } from './env';

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class KeyMaterialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Keys by ID so old ciphertext stays readable after rotation; new data uses `activeKeyId`. */
export interface CodecKeys {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** Parses a 32-byte key from hex or base64(url). `label` names the source in errors. */
export function parseKeyMaterial(text: string, label: string): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  if (!key || key.length !== KEY_BYTES) {
    throw new KeyMaterialError(
      `${label}: expected a ${KEY_BYTES}-byte key as 64 hex characters or base64` +
        (key ? ` (decoded ${key.length} bytes)` : ' (not hex or base64)'),
    );
  }
  return key;
}

/** Throws unless the file is readable by its owner only (mode & 0o077 == 0). POSIX only. */
export function assertOwnerOnly(file: string, errorClass: new (m: string) => Error = KeyMaterialError): void {
  if (process.platform === 'win32') return;
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new errorClass(
      `key file ${file} has mode ${mode.toString(8).padStart(4, '0')}; it must be readable by its owner only ` +
        `(chmod 600 ${file})`,
    );
  }
}

/** Writes `content` to a new file with mode 0600; fails if the file exists. */
export function writeOwnerOnlyFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

function checkKeyId(id: string, label: string): string {
  if (!KEY_ID.test(id)) throw new KeyMaterialError(`${label}: key id must match ${KEY_ID.source}`);
  return id;
}

/** Parses the `ML_CONNECTOR_CODEC_KEYS` format: `id:key[,id:key...]`. */
export function parseCodecKeysEnv(value: string, activeKeyId?: string, label = 'ML_CONNECTOR_CODEC_KEYS'): CodecKeys {
  const keys = new Map<string, Buffer>();
  let first: string | undefined;
  for (const [i, part] of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const sep = part.indexOf(':');
    if (sep <= 0) throw new KeyMaterialError(`${label}: entry ${i + 1} must be "keyId:key"`);
    const id = checkKeyId(part.slice(0, sep), `${label} entry ${i + 1}`);
    if (keys.has(id)) throw new KeyMaterialError(`${label}: key id "${id}" listed twice`);
    keys.set(id, parseKeyMaterial(part.slice(sep + 1), `${label} key "${id}"`));
    first ??= id;
  }
  if (!first) throw new KeyMaterialError(`${label}: no keys`);
  return finishKeys(keys, activeKeyId ?? first, label);
}

function finishKeys(keys: Map<string, Buffer>, activeKeyId: string, label: string): CodecKeys {
  if (!keys.has(activeKeyId))
    throw new KeyMaterialError(`${label}: active key id "${activeKeyId}" is not among the keys`);
  return { activeKeyId, keys };
}

/** Reads a codec key file (JSON, owner-only). */
export function readCodecKeyFile(file: string): CodecKeys {
  assertOwnerOnly(file);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new KeyMaterialError(`codec key file ${file}: not valid JSON`);
  }
  const d = doc as { activeKeyId?: unknown; keys?: unknown };
  if (typeof d?.activeKeyId !== 'string' || typeof d.keys !== 'object' || d.keys === null) {
    throw new KeyMaterialError(`codec key file ${file}: expected {"activeKeyId": string, "keys": {id: key}}`);
  }
  const keys = new Map<string, Buffer>();
  for (const [id, v] of Object.entries(d.keys as Record<string, unknown>)) {
    checkKeyId(id, `codec key file ${file}`);
    if (typeof v !== 'string') throw new KeyMaterialError(`codec key file ${file}: key "${id}" must be a string`);
    keys.set(id, parseKeyMaterial(v, `codec key file ${file} key "${id}"`));
  }
  return finishKeys(keys, d.activeKeyId, `codec key file ${file}`);
}

/** Creates a codec key file with one fresh key (mode 0600). Returns the keys it wrote. */
export function createCodecKeyFile(
  file: string,
  keyId = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`,
): CodecKeys {
  checkKeyId(keyId, 'createCodecKeyFile');
  const key = generateKey();
  writeOwnerOnlyFile(
    file,
    JSON.stringify({ activeKeyId: keyId, keys: { [keyId]: key.toString('base64') } }, null, 2) + '\n',
  );
  return { activeKeyId: keyId, keys: new Map([[keyId, key]]) };
}

/**
 * Loads codec keys from the environment: `ML_CONNECTOR_CODEC_KEYS` (+ `ML_CONNECTOR_CODEC_ACTIVE_KEY`)
 * or the file named by `ML_CONNECTOR_CODEC_KEY_FILE` / `opts.keyFile`. Returns undefined when none
 * is configured so the caller decides whether plaintext payloads are acceptable.
 */
export function loadCodecKeys(opts: { env?: Env; keyFile?: string } = {}): CodecKeys | undefined {
  const { codecKeys: inline, codecActiveKey: active } = keySettings(opts.env);
  if (inline !== undefined) return parseCodecKeysEnv(inline, active);
  const paths = dataPaths(opts.env);
  const configured = paths.codecKeyFileConfigured ? paths.codecKeyFile : undefined;
  const file = configured ?? opts.keyFile;
  if (file && fs.existsSync(file)) {
    const keys = readCodecKeyFile(file);
    return active ? finishKeys(new Map(keys.keys), active, `codec key file ${file}`) : keys;
  }
  if (configured) throw new KeyMaterialError(`ML_CONNECTOR_CODEC_KEY_FILE: ${file} does not exist`);
  return undefined;
}
