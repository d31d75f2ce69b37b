/**
 * Stores of the connector: credential vault, artifact store (filesystem or S3), audit trail. The
 * worker opens them once (`openStores()`) and hands them to `createActivities({ ..., store })`.
 */
import * as path from 'node:path';
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
export { resolveMasterKey, DEFAULT_KEY_FILE } from './vault-key';

export interface Stores {
  vault: CredentialVault;
  artifacts: ArtifactStore;
  audit: AuditStore;
  close(): Promise<void>;
}

/**
 * Opens all three under `dataDir` (default `.data`): `credentials.vault`, `master.key`,
 * `artifacts/` (+ part files in `work/`), `audit.db`. Env overrides (ML_CONNECTOR_VAULT_FILE,
 * ML_CONNECTOR_MASTER_KEY[_FILE], ML_CONNECTOR_ARTIFACTS=s3://… or ML_CONNECTOR_ARTIFACT_DIR,
 * ML_CONNECTOR_AUDIT_DB: a SQLite file or postgres://…) win over the directory layout.
 */
export function openStores(opts: { dataDir?: string; env?: NodeJS.ProcessEnv; vault?: CredentialVaultOptions } = {}): Stores {
  const env = opts.env ?? process.env;
  const dir = opts.dataDir ?? '.data';
  const vault = new CredentialVault({
    env,
    file: env.ML_CONNECTOR_VAULT_FILE || path.join(dir, 'credentials.vault'),
    keyFile: env.ML_CONNECTOR_MASTER_KEY_FILE ? undefined : path.join(dir, 'master.key'),
    // the embedded default key file may be created on first use; a configured one never is
    createKeyFile: !env.ML_CONNECTOR_MASTER_KEY_FILE,
    ...opts.vault,
  });
  const artifacts = openArtifactStore(env, dir);
  const audit = openAuditStore(env.ML_CONNECTOR_AUDIT_DB || path.join(dir, 'audit.db'));
  return { vault, artifacts, audit, close: () => audit.close() };
}
