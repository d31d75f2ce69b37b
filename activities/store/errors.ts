/**
 * Errors of the local stores. Messages name the file or the record (connection name, kind, hash),
 * never secret values or key material.
 */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The vault key is missing, malformed, too widely readable, or does not open this vault. */
export class VaultKeyError extends StoreError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/**
 * The configured key is one the vault was re-keyed away from (`credentials rotate-master-key`):
 * told apart from a plain wrong key so an operator knows to fetch the new key, not to restore a backup.
 */
export class VaultRekeyedError extends VaultKeyError {
  constructor(
    message: string,
    file: string,
    readonly retiredKeyId: string,
    readonly currentKeyId: string | undefined,
  ) {
    super(message, file);
  }
}

/** The vault's write counter is below the last one seen: an older copy of the file was restored. */
export class VaultRollbackError extends StoreError {
  constructor(
    message: string,
    readonly file: string,
    readonly stateFile: string,
    readonly counter: number,
    readonly lastSeen: number,
  ) {
    super(message);
  }
}

/** The vault file was modified outside the connector (or is corrupt); nothing was changed. */
export class VaultIntegrityError extends StoreError {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** No credentials stored under this connection name and kind. */
export class CredentialNotFoundError extends StoreError {
  constructor(
    readonly connection: string,
    readonly kind: string,
    readonly file: string,
  ) {
    super(`no ${kind} credentials named "${connection}" in ${file}`);
  }
}

/** Secret or metadata does not have the expected shape (message lists field paths, not values). */
export class CredentialShapeError extends StoreError {}

export class ArtifactNotFoundError extends StoreError {
  constructor(readonly hash: string) {
    super(`artifact ${hash} not found`);
  }
}

/** Content on disk does not hash to its name, or a hash is malformed. */
export class ArtifactIntegrityError extends StoreError {}

/** A part file (extraction scratch) that the caller expected is not in the store. */
export class PartFileNotFoundError extends StoreError {
  constructor(readonly partName: string) {
    super(`part file ${partName} not found`);
  }
}

/** ML_CONNECTOR_ARTIFACTS or one of its companion settings is malformed (message names the setting). */
export class ArtifactStoreConfigError extends StoreError {}

/** An artifact larger than the backend can store (S3 store: 5 GiB, the CopyObject limit). */
export class ArtifactTooLargeError extends StoreError {}
