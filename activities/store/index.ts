/**
 * Stores of the connector: credential vault, artifact store (filesystem or S3), audit trail. The
 * worker opens them once (`openStores()`) and hands them to `createActivities({ ..., store })`.
 */
import { dataPaths, type DataPaths, type Env } from '../../common/node/env';
import type { ArtifactStore } from './artifact-store';
import { openArtifactStore } from './artifacts-config';
import type { AuditStore } from './audit';
import { openAuditStore } from './audit-config';
import { CredentialVault, CredentialVaultOptions } from './vault';

export * from './artifact-store';
export * from './artifacts';
export * from './artifacts-config';
export * from './artifacts-s3';
export * from './certificate-watch';
export * from './audit';
export * from './audit-config';
export { PgAuditStore, isPostgresUrl, redactDbUrl } from './audit-pg';
export * from './errors';
export * from './vault';
export * from './vault-types';
export { vaultOAuthTokenStore } from './oauth-token-store';
export * from './vault-pins';
export { resolveMasterKey } from './vault-key';

export interface Stores {
  vault: CredentialVault;
  artifacts: ArtifactStore;
  audit: AuditStore;
  close(): Promise<void>;
}

/**
 * Opens all three under the data directory (`dataDir`, else ML_CONNECTOR_DATA_DIR, else `.data`):
 * `credentials.vault`, `master.key`, `artifacts/` (+ part files in `work/`), `audit.db`, each moved
 * by its variable (common/node/env.ts: dataPaths).
 */
export function openStores(opts: { dataDir?: string; env?: Env; vault?: CredentialVaultOptions } = {}): Stores {
  const paths = dataPaths(opts.env, opts.dataDir);
  const vault = openVaultAt(paths, opts.env, opts.vault);
  const artifacts = openArtifactStore(opts.env, paths.dataDir);
  const audit = openAuditStore(paths.auditDb);
  return { vault, artifacts, audit, close: () => audit.close() };
}

/** The vault of a data directory layout; the default key file may be created on first use, a configured one never is. */
export function openVaultAt(paths: DataPaths, env?: Env, opts: CredentialVaultOptions = {}): CredentialVault {
  return new CredentialVault({
    env,
    file: paths.vaultFile,
    keyFile: paths.masterKeyFile,
    createKeyFile: !paths.masterKeyFileConfigured,
    ...opts,
  });
}
