/**
 * Credential vault (issue 6, DESIGN.md §6): NetSuite and Anaplan credentials by connection name,
 * encrypted at rest in one file (`.data/credentials.vault` by default). Activities resolve
 * credentials here by connection name; secrets never travel in workflow arguments.
 *
 * File: JSON `{format, version, keyCheck, records[], mac}`. Each record is sealed on its own
 * (vault-crypto.ts); an HMAC over the whole body also catches removed or rolled-back records.
 * Every read verifies the key check and the MAC before anything else; every write re-reads and
 * verifies under a lock, then replaces the file atomically, so a refused vault is never modified.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicWriteHooks, withFileLock, withFileLockAsync, writeFileAtomic } from './atomic-file';
import { CredentialNotFoundError, CredentialShapeError, VaultIntegrityError, VaultKeyError } from './errors';
import { SealedRecord, VaultKeys, deriveVaultKeys, equalB64, fileMac, openRecord, sealRecord } from './vault-crypto';
import { MasterKeyOptions, resolveMasterKey } from './vault-key';
import {
  CredentialInfo,
  CredentialKind,
  CredentialMetadata,
  SecretByKind,
  checkConnection,
  parseMetadata,
  parseSecret,
} from './vault-types';

export const DEFAULT_VAULT_FILE = path.join('.data', 'credentials.vault');
const FORMAT = 'ml-connector-vault';
const VERSION = 1;

export interface CredentialVaultOptions extends MasterKeyOptions {
  /** Vault file; default ML_CONNECTOR_VAULT_FILE or `.data/credentials.vault`. */
  file?: string;
  /** Master key given directly (32 bytes); skips env and key file. */
  key?: Buffer;
  /** Receives warnings such as "key file created"; default process.emitWarning. */
  onWarning?: (message: string) => void;
  now?: () => Date;
  /** Fault injection for tests. */
  hooks?: AtomicWriteHooks;
}

interface VaultDoc {
  format: string;
  version: number;
  keyCheck: string;
  records: SealedRecord[];
  mac: string;
}

export class CredentialVault {
  readonly file: string;
  /** Warnings raised while opening (e.g. a key file was created). */
  readonly warnings: string[] = [];
  private readonly keys: VaultKeys;
  private readonly now: () => Date;
  private readonly hooks: AtomicWriteHooks;

  constructor(opts: CredentialVaultOptions = {}) {
    const env = opts.env ?? process.env;
    this.file = opts.file ?? (env.ML_CONNECTOR_VAULT_FILE || DEFAULT_VAULT_FILE);
    this.now = opts.now ?? (() => new Date());
    this.hooks = opts.hooks ?? {};
    let master = opts.key;
    if (master) {
      if (master.length !== 32) throw new VaultKeyError('vault key must be 32 bytes', this.file);
    } else {
      const resolved = resolveMasterKey({ ...opts, env, vaultFile: this.file });
      master = resolved.key;
      if (resolved.warning) {
        this.warnings.push(resolved.warning);
        (opts.onWarning ?? ((m: string) => process.emitWarning(m, 'MLConnectorVaultWarning')))(resolved.warning);
      }
    }
    this.keys = deriveVaultKeys(master);
  }

  /** Stores (or replaces) credentials. `metadata` is plain text: expiry dates, labels; never secrets. */
  set<K extends CredentialKind>(name: string, kind: K, secret: SecretByKind[K], metadata: CredentialMetadata = {}): CredentialInfo {
    checkConnection(name, kind);
    const what = `${kind} credentials "${name}"`;
    const value = parseSecret(kind, secret, what);
    const meta = parseMetadata(metadata, what);
    return this.mutate((records) => {
      const i = records.findIndex((r) => r.name === name && r.kind === kind);
      const at = this.now().toISOString();
      const sealed = this.seal(name, kind, value, meta, i >= 0 ? records[i].createdAt : at, at);
      if (i >= 0) records[i] = sealed;
      else records.push(sealed);
      return info(sealed);
    });
  }

  /** Decrypts one record. Throws CredentialNotFoundError, VaultKeyError or VaultIntegrityError. */
  get<K extends CredentialKind>(name: string, kind: K): SecretByKind[K] {
    checkConnection(name, kind);
    const rec = this.find(this.load().records, name, kind);
    return this.open(rec);
  }

  /** Non-secret facts of one record, or undefined. */
  info(name: string, kind: CredentialKind): CredentialInfo | undefined {
    checkConnection(name, kind);
    const rec = this.load().records.find((r) => r.name === name && r.kind === kind);
    return rec && info(rec);
  }

  /** Names, kinds and metadata of every record; never secrets. */
  list(): CredentialInfo[] {
    return this.load()
      .records.map(info)
      .sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind));
  }

  /** Returns false when there was nothing to remove. */
  remove(name: string, kind: CredentialKind): boolean {
    checkConnection(name, kind);
    let removed = false;
    this.mutate((records) => {
      const i = records.findIndex((r) => r.name === name && r.kind === kind);
      if (i >= 0) {
        records.splice(i, 1);
        removed = true;
      }
    }, () => removed);
    return removed;
  }

  /**
   * Merges `patch` into the stored secret (e.g. a rotated refresh token) and rewrites the vault
   * atomically under the lock, so a concurrent reader sees the old or the new token, never a mix.
   */
  update<K extends CredentialKind>(
    name: string,
    kind: K,
    patch: Partial<SecretByKind[K]>,
    metadataPatch: CredentialMetadata = {},
  ): CredentialInfo {
    checkConnection(name, kind);
    const what = `${kind} credentials "${name}"`;
    const metaPatch = parseMetadata(metadataPatch, what);
    return this.mutate((records) => {
      const i = records.indexOf(this.find(records, name, kind));
      const current = this.open<K>(records[i]);
      const value = parseSecret(kind, { ...current, ...patch }, what);
      const meta = parseMetadata({ ...records[i].metadata, ...metaPatch }, what);
      records[i] = this.seal(name, kind, value, meta, records[i].createdAt, this.now().toISOString());
      return info(records[i]);
    });
  }

  /**
   * Read-decide-write on one credential under the vault lock, waited for without blocking the event
   * loop (issue 13 item 5). `decide` gets the secret as stored NOW (another process may have rotated
   * it since this one read it) and may await, e.g. an OAuth refresh; the patch it returns is written
   * before the lock is released, so a rotated single-use refresh token is never lost between
   * processes and no two processes spend the same one.
   */
  async exclusiveUpdate<K extends CredentialKind, T>(
    name: string,
    kind: K,
    decide: (current: SecretByKind[K]) => Promise<{ patch?: Partial<SecretByKind[K]>; result: T }>,
  ): Promise<T> {
    checkConnection(name, kind);
    const what = `${kind} credentials "${name}"`;
    return withFileLockAsync(this.file, async () => {
      const current = this.open<K>(this.find(this.load().records, name, kind));
      const { patch, result } = await decide(current);
      if (patch) {
        // Re-read: we still hold the lock, but `decide` took time; write onto the file as it is now.
        const { records } = this.load();
        const i = records.indexOf(this.find(records, name, kind));
        const value = parseSecret(kind, { ...this.open<K>(records[i]), ...patch }, what);
        records[i] = this.seal(name, kind, value, records[i].metadata, records[i].createdAt, this.now().toISOString());
        this.writeRecords(records);
      }
      return result;
    });
  }

  private find(records: SealedRecord[], name: string, kind: CredentialKind): SealedRecord {
    const rec = records.find((r) => r.name === name && r.kind === kind);
    if (!rec) throw new CredentialNotFoundError(name, kind, this.file);
    return rec;
  }

  private seal(name: string, kind: CredentialKind, value: SecretByKind[CredentialKind], metadata: CredentialMetadata, createdAt: string, updatedAt: string): SealedRecord {
    const derived = describeSecret(kind, value, `${kind} credentials "${name}"`);
    return sealRecord(this.keys.record, { name, kind, createdAt, updatedAt, ...derived, metadata }, value);
  }

  private open<K extends CredentialKind>(rec: SealedRecord): SecretByKind[K] {
    const plain = openRecord(this.keys.record, rec);
    if (plain === undefined) {
      throw new VaultIntegrityError(
        `vault ${this.file}: ${rec.kind} credentials "${rec.name}" failed authentication (modified outside ml-connector?)`,
        this.file,
      );
    }
    return parseSecret(rec.kind as K, plain, `${rec.kind} credentials "${rec.name}" in ${this.file}`);
  }

  /** Reads and verifies the whole file; an absent file is an empty vault. */
  private load(): { records: SealedRecord[] } {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [] };
      throw e;
    }
    const corrupt = (why: string) => new VaultIntegrityError(`vault ${this.file} is not readable: ${why}; nothing was changed`, this.file);
    let doc: VaultDoc;
    try {
      doc = JSON.parse(text) as VaultDoc;
    } catch {
      throw corrupt('not valid JSON');
    }
    if (doc?.format !== FORMAT || typeof doc.keyCheck !== 'string' || typeof doc.mac !== 'string' || !Array.isArray(doc.records)) {
      throw corrupt('not an ml-connector vault file');
    }
    if (doc.version !== VERSION) throw corrupt(`unsupported version ${String(doc.version)}`);
    if (!equalB64(doc.keyCheck, this.keys.check)) {
      throw new VaultKeyError(
        `the configured key does not open vault ${this.file} (check ML_CONNECTOR_MASTER_KEY or the key file); nothing was changed`,
        this.file,
      );
    }
    if (!equalB64(doc.mac, fileMac(this.keys.mac, macBody(doc)))) {
      throw new VaultIntegrityError(
        `vault ${this.file} failed its integrity check (modified outside ml-connector?); nothing was changed`,
        this.file,
      );
    }
    return { records: doc.records };
  }

  private mutate<T>(change: (records: SealedRecord[]) => T, shouldWrite: () => boolean = () => true): T {
    return withFileLock(this.file, () => {
      const { records } = this.load();
      const result = change(records);
      if (shouldWrite()) this.writeRecords(records);
      return result;
    });
  }

  /** Seals the file MAC over `records` and replaces the file atomically; the caller holds the lock. */
  private writeRecords(records: SealedRecord[]): void {
    const body = { format: FORMAT, version: VERSION, keyCheck: this.keys.check, records };
    const doc: VaultDoc = { ...body, mac: fileMac(this.keys.mac, macBody(body)) };
    writeFileAtomic(this.file, JSON.stringify(doc, null, 2) + '\n', 0o600, this.hooks);
  }
}

function macBody(doc: Omit<VaultDoc, 'mac'>): string {
  return JSON.stringify([doc.format, doc.version, doc.keyCheck, doc.records]);
}

function info(r: SealedRecord): CredentialInfo {
  const out: CredentialInfo = {
    name: r.name,
    kind: r.kind as CredentialKind,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    authType: r.authType,
    metadata: { ...r.metadata },
  };
  if (r.certificateExpiry) out.certificateExpiry = r.certificateExpiry;
  return out;
}

/** Non-secret facts derived from a secret: the auth type and, for certificates, the expiry (issue 6 item 6). */
function describeSecret(kind: CredentialKind, value: SecretByKind[CredentialKind], what: string): { authType: string; certificateExpiry: string | null } {
  const authType = kind === 'netsuite' ? 'certificate' : (value as SecretByKind['anaplan']).type;
  const pem = 'certificatePem' in value ? value.certificatePem : undefined;
  if (!pem) return { authType, certificateExpiry: null };
  try {
    return { authType, certificateExpiry: new Date(new X509Certificate(pem).validTo).toISOString() };
  } catch {
    throw new CredentialShapeError(`${what}: certificatePem is not a parsable X.509 certificate`);
  }
}
