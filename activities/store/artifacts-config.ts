/**
 * Which artifact store a process opens. Unset ML_CONNECTOR_ARTIFACTS: the filesystem store under
 * the data directory (embedded default). `s3://bucket/prefix`: the S3 store, with endpoint, region
 * and credentials from the standard AWS environment (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the SDK's default
 * chain: profiles, web identity, instance roles).
 */
import { S3Client } from '@aws-sdk/client-s3';
import {
  SettingsError,
  artifactSettings,
  parseS3Url as parseS3Setting,
  type Env,
  type S3Location,
} from '../../common/node/env';
import type { ArtifactStore } from './artifact-store';
import { FsArtifactStore } from './artifacts';
import { S3ArtifactStore } from './artifacts-s3';
import { ArtifactStoreConfigError } from './errors';

export type { S3Location };

/** The settings' errors as the store's own error class (callers catch ArtifactStoreConfigError). */
function asStoreError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SettingsError)
      throw new ArtifactStoreConfigError(
        e.problems.length === 1 ? e.message : `artifact store settings: ${e.problems.join('; ')}`,
      );
    throw e;
  }
}

/** `s3://bucket[/prefix]` → bucket and prefix without surrounding slashes. */
export function parseS3Url(url: string): S3Location {
  return asStoreError(() => parseS3Setting(url));
}

/** Opens the store the environment selects (common/node/env.ts: artifactSettings); `dataDir` holds the filesystem store and local temp files. */
export function openArtifactStore(env?: Env, dataDir?: string): ArtifactStore {
  const s = asStoreError(() => artifactSettings(env, dataDir));
  if (s.kind === 'fs') return new FsArtifactStore(s.dir, { workDir: s.workDir });
  const client = new S3Client({
    region: s.region,
    endpoint: s.endpoint,
    forcePathStyle: s.forcePathStyle,
    credentials: s.credentials,
    // Integrity is ours (SHA-256 of every artifact, re-checked on read); the SDK's default CRC
    // trailers on streamed uploads are not understood by every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3ArtifactStore({ client, bucket: s.bucket, prefix: s.prefix, sse: s.sse, tempDir: s.tempDir });
}
