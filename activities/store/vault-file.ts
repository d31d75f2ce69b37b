/**
 * On-disk format of the credential vault (issue 6; lifecycle fields: issue 13 item 8).
 *
 * v2 (written now): `{format, version: 2, keyId, keyCheck, counter, retiredKeys[], records[], mac}`.
 *   - `counter` goes up by one on every write and sits under the file MAC, so an older copy of the
 *     file cannot be made to look newer (rollback detection compares it with vault-state.ts).
 *   - `keyId` names the key that seals the file; `retiredKeys` lists keys the vault was re-keyed
 *     away from, so an old key gets "re-keyed" instead of a bare "wrong key".
 * v1 (written before): `{format, version: 1, keyCheck, records[], mac}`; still read (counter 0), and
 * rewritten as v2 on the first write, so existing vaults keep working.
 */
import { VaultIntegrityError } from './errors';
import type { SealedRecord, VaultKeys } from './vault-crypto';
import { fileMac } from './vault-crypto';

export const VAULT_FORMAT = 'ml-connector-vault';
export const VAULT_VERSION = 2 as const;

export interface RetiredKey {
  keyId: string;
  retiredAt: string;
}

export interface ParsedVault {
  version: 1 | 2;
  /** Absent in v1 files. */
  keyId?: string;
  keyCheck: string;
  counter: number;
  retiredKeys: RetiredKey[];
  records: SealedRecord[];
  mac: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structure only (no crypto): throws VaultIntegrityError naming the file for anything unexpected. */
export function parseVaultText(text: string, file: string): ParsedVault {
  const corrupt = (why: string) =>
    new VaultIntegrityError(`vault ${file} is not readable: ${why}; nothing was changed`, file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw corrupt('not valid JSON');
  }
  if (
    !isObj(doc) ||
    doc.format !== VAULT_FORMAT ||
    typeof doc.keyCheck !== 'string' ||
    typeof doc.mac !== 'string' ||
    !Array.isArray(doc.records)
  ) {
    throw corrupt('not an ml-connector vault file');
  }
  const base = { keyCheck: doc.keyCheck, records: doc.records as SealedRecord[], mac: doc.mac };
  if (doc.version === 1) return { version: 1, counter: 0, retiredKeys: [], ...base };
  if (doc.version !== 2) throw corrupt(`unsupported version ${String(doc.version)}`);
  const retired = doc.retiredKeys;
  if (
    typeof doc.keyId !== 'string' ||
    !Number.isSafeInteger(doc.counter) ||
    (doc.counter as number) < 1 ||
    !Array.isArray(retired) ||
    !retired.every((r) => isObj(r) && typeof r.keyId === 'string' && typeof r.retiredAt === 'string')
  ) {
    throw corrupt('malformed version 2 header');
  }
  return {
    version: 2,
    keyId: doc.keyId,
    counter: doc.counter as number,
    retiredKeys: retired as RetiredKey[],
    ...base,
  };
}

/** The bytes the file MAC covers; v1 keeps its original encoding so old files still verify. */
export function macBody(v: Omit<ParsedVault, 'mac'>): string {
  if (v.version === 1) return JSON.stringify([VAULT_FORMAT, 1, v.keyCheck, v.records]);
  return JSON.stringify([VAULT_FORMAT, 2, v.keyId, v.keyCheck, v.counter, v.retiredKeys, v.records]);
}

/** A v2 file sealed with `keys`. */
export function serializeVault(
  keys: VaultKeys,
  counter: number,
  retiredKeys: RetiredKey[],
  records: SealedRecord[],
): string {
  const body = { version: VAULT_VERSION, keyId: keys.id, keyCheck: keys.check, counter, retiredKeys, records };
  const doc = { format: VAULT_FORMAT, ...body, mac: fileMac(keys.mac, macBody(body)) };
  return JSON.stringify(doc, null, 2) + '\n';
}
