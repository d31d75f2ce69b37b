/**
 * Which artifact store a process opens. Unset ML_CONNECTOR_ARTIFACTS: the filesystem store under
 * the data directory (embedded default). `s3://bucket/prefix`: the S3 store, with endpoint, region
 * and credentials from the standard AWS environment (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the SDK's default
 * chain: profiles, web identity, instance roles).
 */
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { ArtifactStore } from './artifact-store';
import { FsArtifactStore } from './artifacts';
import { S3ArtifactStore } from './artifacts-s3';
import { ArtifactStoreConfigError } from './errors';

// S3 bucket naming rules: 3-63 characters, lower-case letters, digits, dots and hyphens.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const S3Settings = z.object({
  ML_CONNECTOR_ARTIFACTS: z.string(),
  ML_CONNECTOR_ARTIFACTS_SSE: z.enum(['AES256', 'aws:kms', 'none']).optional(),
  ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID: z.string().min(1).optional(),
  ML_CONNECTOR_ARTIFACTS_PATH_STYLE: z.enum(['true', 'false']).optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
});

export interface S3Location {
  bucket: string;
  prefix: string;
}

/** `s3://bucket[/prefix]` → bucket and prefix without surrounding slashes. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw new ArtifactStoreConfigError('ML_CONNECTOR_ARTIFACTS must look like s3://bucket/prefix (for a local directory leave it unset and use ML_CONNECTOR_ARTIFACT_DIR)');
  const bucket = m[1]!;
  if (!BUCKET.test(bucket)) throw new ArtifactStoreConfigError(`ML_CONNECTOR_ARTIFACTS: "${bucket}" is not a valid S3 bucket name`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '..' || s === '.') || prefix.includes('//')) throw new ArtifactStoreConfigError('ML_CONNECTOR_ARTIFACTS: the prefix must not contain empty, "." or ".." segments');
  return { bucket, prefix };
}

/** Opens the store the environment selects; `dataDir` holds the filesystem store and local temp files. */
export function openArtifactStore(env: NodeJS.ProcessEnv, dataDir: string): ArtifactStore {
  if (!env.ML_CONNECTOR_ARTIFACTS) return new FsArtifactStore(env.ML_CONNECTOR_ARTIFACT_DIR || path.join(dataDir, 'artifacts'), { workDir: path.join(dataDir, 'work') });
  const parsed = S3Settings.safeParse(env);
  if (!parsed.success) {
    throw new ArtifactStoreConfigError(`artifact store settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const s = parsed.data;
  const { bucket, prefix } = parseS3Url(s.ML_CONNECTOR_ARTIFACTS);
  const sseMode = s.ML_CONNECTOR_ARTIFACTS_SSE && s.ML_CONNECTOR_ARTIFACTS_SSE !== 'none' ? s.ML_CONNECTOR_ARTIFACTS_SSE : undefined;
  if (s.ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID && sseMode !== 'aws:kms') throw new ArtifactStoreConfigError('ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID needs ML_CONNECTOR_ARTIFACTS_SSE=aws:kms');
  const endpoint = s.AWS_ENDPOINT_URL_S3 ?? s.AWS_ENDPOINT_URL;
  // MinIO-like endpoints serve buckets by path, not by virtual host; AWS itself prefers virtual hosts.
  const forcePathStyle = s.ML_CONNECTOR_ARTIFACTS_PATH_STYLE ? s.ML_CONNECTOR_ARTIFACTS_PATH_STYLE === 'true' : endpoint !== undefined;
  const client = new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    forcePathStyle,
    credentials: env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined,
    // Integrity is ours (SHA-256 of every artifact, re-checked on read); the SDK's default CRC
    // trailers on streamed uploads are not understood by every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3ArtifactStore({ client, bucket, prefix, sse: sseMode ? { mode: sseMode, kmsKeyId: s.ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID } : undefined, tempDir: path.join(dataDir, 'tmp') });
}
