/**
 * Where the vault's master key comes from: `ML_CONNECTOR_MASTER_KEY` (hex or base64 of 32 bytes),
 * else a key file (`ML_CONNECTOR_MASTER_KEY_FILE`, default `.data/master.key`) that must be readable
 * by its owner only. The default key file is created on first use, with a warning, but only while
 * no vault exists yet: a fresh key could never open an existing vault.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataPaths, keySettings, type Env } from '../../common/node/env';
import {
  KeyMaterialError,
  assertOwnerOnly,
  generateKey,
  parseKeyMaterial,
  writeOwnerOnlyFile,
} from '../../common/node/codec-keys';
import { syncDir, writeFileAtomic } from './atomic-file';
import { VaultKeyError } from './errors';
import { VaultKeys, deriveVaultKeys, equalB64 } from './vault-crypto';

export interface MasterKeyOptions {
  env?: Env;
  /** Key file path; overrides ML_CONNECTOR_MASTER_KEY_FILE. */
  keyFile?: string;
  /** Create the key file if missing. Default: true only for the embedded default path. */
  createKeyFile?: boolean;
  /** The vault the key is for; creation is refused when this file already exists. */
  vaultFile?: string;
}

export interface ResolvedMasterKey {
  key: Buffer;
  source: 'env' | 'file' | 'created';
  keyFile?: string;
  warning?: string;
}

function wrap<T>(fn: () => T, file?: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KeyMaterialError) throw new VaultKeyError(e.message, file);
    throw e;
  }
}

export function resolveMasterKey(opts: MasterKeyOptions = {}): ResolvedMasterKey {
  const inline = keySettings(opts.env).masterKey;
  if (inline !== undefined) {
    return { key: wrap(() => parseKeyMaterial(inline, 'ML_CONNECTOR_MASTER_KEY')), source: 'env' };
  }
  const paths = dataPaths(opts.env);
  const explicit = opts.keyFile ?? (paths.masterKeyFileConfigured ? paths.masterKeyFile : undefined);
  const keyFile = explicit || paths.masterKeyFile;
  if (fs.existsSync(keyFile)) {
    return { key: readKeyFile(keyFile), source: 'file', keyFile };
  }
  const mayCreate = opts.createKeyFile ?? !explicit;
  if (!mayCreate) {
    throw new VaultKeyError(
      `no vault key: set ML_CONNECTOR_MASTER_KEY or create the key file ${keyFile} (mode 0600)`,
      keyFile,
    );
  }
  if (opts.vaultFile && fs.existsSync(opts.vaultFile)) {
    throw new VaultKeyError(
      `vault ${opts.vaultFile} exists but its key file ${keyFile} is missing; restore the key or set ML_CONNECTOR_MASTER_KEY`,
      keyFile,
    );
  }
  const key = generateKey();
  writeOwnerOnlyFile(keyFile, key.toString('base64') + '\n');
  return {
    key,
    source: 'created',
    keyFile,
    warning:
      `created vault key file ${keyFile} (mode 0600). Anyone who can read it can read the credentials; ` +
      `back it up apart from the vault, or use ML_CONNECTOR_MASTER_KEY from a secret manager.`,
  };
}

/** A key file's key; the file must be readable by its owner only. */
export function readKeyFile(keyFile: string): Buffer {
  wrap(() => assertOwnerOnly(keyFile), keyFile);
  const text = fs.readFileSync(keyFile, 'utf8');
  return wrap(() => parseKeyMaterial(text, `key file ${keyFile}`), keyFile);
}

/**
 * `credentials rotate-master-key` on a key file (issue 13 item 8): the new key is written to
 * `<key file>.next` BEFORE the vault is re-encrypted, and renamed over the key file after. A crash
 * in between leaves the vault under the new key and that key in `.next`; the vault finds it there
 * and finishes the rename (CredentialVault.adoptNewerKey), so no crash point loses the key.
 */
export function pendingKeyFile(keyFile: string): string {
  return `${keyFile}.next`;
}

export function writePendingKey(keyFile: string, key: Buffer): void {
  writeFileAtomic(pendingKeyFile(keyFile), key.toString('base64') + '\n', 0o600);
}

/** Renames `.next` over the key file; another process may have done it first (then `.next` is gone). */
export function promotePendingKey(keyFile: string): void {
  try {
    fs.renameSync(pendingKeyFile(keyFile), keyFile);
    syncDir(path.dirname(keyFile));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * The keys in the key file, or in its pending `.next`, that open a vault with `keyCheck`: another
 * process re-keyed the vault since this one read the key, or a rotation crashed between replacing the
 * vault and the key file (then the rename is finished here). undefined when neither opens it.
 */
export function keyFileOpening(keyFile: string, keyCheck: string): VaultKeys | undefined {
  for (const candidate of [keyFile, pendingKeyFile(keyFile)]) {
    if (!fs.existsSync(candidate)) continue;
    const keys = deriveVaultKeys(readKeyFile(candidate));
    if (!equalB64(keyCheck, keys.check)) continue;
    if (candidate !== keyFile) promotePendingKey(keyFile);
    return keys;
  }
  return undefined;
}
