/**
 * Credential vault (issue 6, docs/design.md §6): NetSuite and Anaplan credentials by connection name,
 * encrypted at rest in one file (`.data/credentials.vault` by default). Activities resolve
 * credentials here by connection name; secrets never travel in workflow arguments.
 *
 * File: JSON, format in vault-file.ts. Each record is sealed on its own (vault-crypto.ts); an HMAC
 * over the whole body also catches removed or swapped records, and a write counter under it, compared
 * with the last one seen (vault-state.ts), catches an older copy of the whole file restored.
 * Every read verifies the key check, the MAC and the counter before anything else; every write
 * re-reads and verifies under a lock, then replaces the file atomically, so a refused vault is never
 * modified. Lifecycle (issue 13 item 8): rotateMasterKey re-keys, acceptRollback accepts a restore.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { dataPaths } from '../../common/node/env';
import { AtomicWriteHooks, withFileLock, withFileLockAsync, writeFileAtomic } from './atomic-file';
import {
  CredentialNotFoundError,
  CredentialShapeError,
  VaultIntegrityError,
  VaultKeyError,
  VaultRekeyedError,
} from './errors';
import { SealedRecord, VaultKeys, deriveVaultKeys, equalB64, fileMac, openRecord, sealRecord } from './vault-crypto';
import { RetiredKey, macBody, parseVaultText, serializeVault } from './vault-file';
import { MasterKeyOptions, keyFileOpening, promotePendingKey, resolveMasterKey, writePendingKey } from './vault-key';
import { SeenCounter, defaultStateFile } from './vault-state';
import {
  CredentialInfo,
  CredentialKind,
  CredentialMetadata,
  SecretByKind,
  checkConnection,
  parseMetadata,
  parseSecret,
} from './vault-types';

export interface CredentialVaultOptions extends MasterKeyOptions {
  /** Vault file; default ML_CONNECTOR_VAULT_FILE or `.data/credentials.vault`. */
  file?: string;
  /** Master key given directly (32 bytes); skips env and key file. */
  key?: Buffer;
  /** Receives warnings such as "key file created"; default process.emitWarning. */
  onWarning?: (message: string) => void;
  now?: () => Date;
  /** Last vault counter seen (rollback detection); default ML_CONNECTOR_VAULT_STATE_FILE or `<file>.seen`. */
  stateFile?: string;
  /** Fault injection for tests. */
  hooks?: VaultHooks;
}

export interface VaultHooks extends AtomicWriteHooks {
  /** rotateMasterKey: after the vault is re-encrypted, before the new key replaces the key file. */
  beforeKeySwap?: () => void;
}

/** A verified vault file as read; `exists: false` is the empty vault of a missing file. */
interface Loaded {
  exists: boolean;
  records: SealedRecord[];
  counter: number;
  retiredKeys: RetiredKey[];
}

export interface KeyRotation {
  previousKeyId: string;
  keyId: string;
  records: number;
  /** The vault's write counter after the rotation. */
  counter: number;
  /** Key file now holding the new key, when the key came from one. */
  keyFile?: string;
}

export interface RollbackAcceptance {
  /** Counter of the restored file that was accepted. */
  accepted: number;
  /** Highest counter seen before (undefined: no state file). */
  lastSeen?: number;
  /** Counter the vault was rewritten with: above anything seen, so other hosts accept it too. */
  counter: number;
}

export class CredentialVault {
  readonly file: string;
  /** Warnings raised while opening (e.g. a key file was created). */
  readonly warnings: string[] = [];
  /** Where the last write counter seen is kept (vault-state.ts). */
  readonly stateFile: string;
  /** Where the master key came from; a key file is re-read when the vault was re-keyed meanwhile. */
  readonly keySource: 'given' | 'env' | 'file' | 'created';
  readonly keyFile?: string;
  private keys: VaultKeys;
  private readonly now: () => Date;
  private readonly hooks: VaultHooks;
  private readonly seen: SeenCounter;

  constructor(opts: CredentialVaultOptions = {}) {
    const env = opts.env;
    const paths = dataPaths(env);
    this.file = opts.file ?? paths.vaultFile;
    this.now = opts.now ?? (() => new Date());
    this.hooks = opts.hooks ?? {};
    this.stateFile = opts.stateFile ?? paths.vaultStateFile ?? defaultStateFile(this.file);
    const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m, 'MLConnectorVaultWarning'));
    this.seen = new SeenCounter(this.stateFile, this.file, warn, this.now);
    let master = opts.key;
    if (master) {
      if (master.length !== 32) throw new VaultKeyError('vault key must be 32 bytes', this.file);
      this.keySource = 'given';
    } else {
      const resolved = resolveMasterKey({ ...opts, env, vaultFile: this.file });
      master = resolved.key;
      this.keySource = resolved.source;
      this.keyFile = resolved.keyFile;
      if (resolved.warning) {
        this.warnings.push(resolved.warning);
        warn(resolved.warning);
      }
    }
    this.keys = deriveVaultKeys(master);
  }

  /** Public fingerprint of the key in use (never the key). */
  get keyId(): string {
    return this.keys.id;
  }

  /** Stores (or replaces) credentials. `metadata` is plain text: expiry dates, labels; never secrets. */
  set<K extends CredentialKind>(
    name: string,
    kind: K,
    secret: SecretByKind[K],
    metadata: CredentialMetadata = {},
  ): CredentialInfo {
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
    this.mutate(
      (records) => {
        const i = records.findIndex((r) => r.name === name && r.kind === kind);
        if (i >= 0) {
          records.splice(i, 1);
          removed = true;
        }
      },
      () => removed,
    );
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
        const loaded = this.load();
        const { records } = loaded;
        const i = records.indexOf(this.find(records, name, kind));
        const value = parseSecret(kind, { ...this.open<K>(records[i]), ...patch }, what);
        records[i] = this.seal(name, kind, value, records[i].metadata, records[i].createdAt, this.now().toISOString());
        this.writeRecords(records, loaded);
      }
      return result;
    });
  }

  private find(records: SealedRecord[], name: string, kind: CredentialKind): SealedRecord {
    const rec = records.find((r) => r.name === name && r.kind === kind);
    if (!rec) throw new CredentialNotFoundError(name, kind, this.file);
    return rec;
  }

  private seal(
    name: string,
    kind: CredentialKind,
    value: SecretByKind[CredentialKind],
    metadata: CredentialMetadata,
    createdAt: string,
    updatedAt: string,
  ): SealedRecord {
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

  /**
   * Re-encrypts every record under `newKey` (issue 13 item 8), in one atomic file replacement under
   * the vault lock: a crash leaves the old vault or the new one, never a mix. With `keyFile`, the new
   * key goes to `<keyFile>.next` first and replaces the key file after the vault (vault-key.ts), so
   * every crash point leaves a key that opens the vault. The old key is listed as retired in the file
   * and refused afterwards with VaultRekeyedError.
   */
  rotateMasterKey(newKey: Buffer, opts: { keyFile?: string } = {}): KeyRotation {
    if (newKey.length !== 32) throw new VaultKeyError('the new vault key must be 32 bytes', this.file);
    const next = deriveVaultKeys(newKey);
    return withFileLock(this.file, () => {
      const current = this.load();
      if (!current.exists) throw new VaultKeyError(`no vault at ${this.file} to re-key`, this.file);
      const old = this.keys;
      if (next.id === old.id)
        throw new VaultKeyError(
          `the new key is the key vault ${this.file} is already under (key id ${old.id})`,
          this.file,
        );
      const records = current.records.map((r) => {
        const { nonce: _n, ciphertext: _c, ...header } = r;
        return sealRecord(next.record, header, this.open(r));
      });
      const retiredKeys = [
        ...current.retiredKeys.filter((k) => k.keyId !== next.id),
        { keyId: old.id, retiredAt: this.now().toISOString() },
      ];
      if (opts.keyFile) {
        const keyFile = opts.keyFile;
        try {
          writePendingKey(keyFile, newKey);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? 'error';
          throw new VaultKeyError(
            `cannot write the new key next to the key file ${keyFile} (${code}); nothing was changed`,
            keyFile,
          );
        }
      }
      let counter: number;
      this.keys = next;
      try {
        counter = this.writeRecords(records, { ...current, retiredKeys });
      } catch (e) {
        // `.next` stays: the write may have failed after its rename (directory fsync), and then it
        // holds the only key that opens the vault. Unused, it is ignored and overwritten next time.
        this.keys = old;
        throw e;
      }
      this.hooks.beforeKeySwap?.();
      if (opts.keyFile) promotePendingKey(opts.keyFile);
      return { previousKeyId: old.id, keyId: next.id, records: records.length, counter, keyFile: opts.keyFile };
    });
  }

  /**
   * Accepts the vault file as it is now although its counter is below the last one seen (a restore
   * made on purpose). Verifies key and MAC as always, then rewrites the vault with a counter above
   * anything seen, so other hosts that saw the newer file accept it too.
   */
  acceptRollback(): RollbackAcceptance {
    return withFileLock(this.file, () => {
      const current = this.load({ acceptRollback: true });
      if (!current.exists) throw new VaultKeyError(`no vault at ${this.file}`, this.file);
      const lastSeen = this.seen.lastSeen({ tolerant: true }); // an unreadable state file is what this command repairs
      const counter = this.writeRecords(current.records, {
        ...current,
        counter: Math.max(current.counter, lastSeen ?? 0),
      });
      return { accepted: current.counter, lastSeen, counter };
    });
  }

  /** Reads and verifies the whole file; an absent file is an empty vault. */
  private load(opts: { acceptRollback?: boolean } = {}): Loaded {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return { exists: false, records: [], counter: 0, retiredKeys: [] };
      throw e;
    }
    const doc = parseVaultText(text, this.file);
    if (!equalB64(doc.keyCheck, this.keys.check)) this.adoptNewerKey(doc);
    if (!equalB64(doc.mac, fileMac(this.keys.mac, macBody(doc)))) {
      throw new VaultIntegrityError(
        `vault ${this.file} failed its integrity check (modified outside ml-connector?); nothing was changed`,
        this.file,
      );
    }
    if (!opts.acceptRollback) this.seen.check(doc.counter, this.keys.id);
    return { exists: true, records: doc.records, counter: doc.counter, retiredKeys: doc.retiredKeys };
  }

  /**
   * The file is not under our key. A key file may hold a newer key (another process rotated it, or a
   * rotation crashed before its `.next` replaced the key file): adopt it. Otherwise say whether our
   * key is one the vault was re-keyed away from. `retiredKeys` cannot be MAC-checked with a key that
   * does not open the file; it only chooses the wording, the key is refused either way.
   */
  private adoptNewerKey(doc: ReturnType<typeof parseVaultText>): void {
    const newer = this.keyFile && keyFileOpening(this.keyFile, doc.keyCheck);
    if (newer) {
      this.keys = newer;
      return;
    }
    const retired = doc.retiredKeys.find((k) => k.keyId === this.keys.id);
    if (retired) {
      throw new VaultRekeyedError(
        `vault ${this.file} was re-keyed at ${retired.retiredAt} (ml-connector credentials rotate-master-key): the configured key ` +
          `(key id ${retired.keyId}) is retired; configure the new key (key id ${doc.keyId ?? 'unknown'}) in ML_CONNECTOR_MASTER_KEY ` +
          `or the key file; nothing was changed`,
        this.file,
        retired.keyId,
        doc.keyId,
      );
    }
    const ids = doc.keyId ? ` (the vault is under key id ${doc.keyId}, the configured key is ${this.keys.id})` : '';
    throw new VaultKeyError(
      `the configured key does not open vault ${this.file}${ids} (check ML_CONNECTOR_MASTER_KEY or the key file); nothing was changed`,
      this.file,
    );
  }

  private mutate<T>(change: (records: SealedRecord[]) => T, shouldWrite: () => boolean = () => true): T {
    return withFileLock(this.file, () => {
      const loaded = this.load();
      const result = change(loaded.records);
      if (shouldWrite()) this.writeRecords(loaded.records, loaded);
      return result;
    });
  }

  /**
   * Seals `records` as a v2 file with the next counter (above the file's and the last seen, so a
   * vault re-created after a delete is not taken for a rollback) and replaces the file atomically;
   * the caller holds the lock. A v1 file read before is thereby migrated.
   */
  private writeRecords(records: SealedRecord[], prev: Loaded): number {
    // tolerant: load() has refused an unreadable state already, except for acceptRollback, which repairs it
    const counter = Math.max(prev.counter, this.seen.lastSeen({ tolerant: true }) ?? 0) + 1;
    writeFileAtomic(this.file, serializeVault(this.keys, counter, prev.retiredKeys, records), 0o600, this.hooks);
    this.seen.note(counter, this.keys.id);
    return counter;
  }
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
function describeSecret(
  kind: CredentialKind,
  value: SecretByKind[CredentialKind],
  what: string,
): { authType: string; certificateExpiry: string | null } {
  const authType = kind === 'netsuite' ? 'certificate' : (value as SecretByKind['anaplan']).type;
  const pem = 'certificatePem' in value ? value.certificatePem : undefined;
  if (!pem) return { authType, certificateExpiry: null };
  try {
    return { authType, certificateExpiry: new Date(new X509Certificate(pem).validTo).toISOString() };
  } catch {
    throw new CredentialShapeError(`${what}: certificatePem is not a parsable X.509 certificate`);
  }
}
