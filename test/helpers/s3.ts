/**
 * The S3-compatible server `npm test` starts (scripts/run-tests.ts): its address and the run's
 * credentials arrive as ML_CONNECTOR_TEST_S3_{ENDPOINT,ACCESS_KEY,SECRET_KEY}. Each caller gets a
 * bucket of its own, so tests never see each other's objects. Without the server a test fails: it
 * never skips itself.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { testRunSettings } from '../../common/node/env';

export interface TestS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function testS3(): TestS3 {
  const s3 = testRunSettings().s3;
  if (!s3)
    throw new Error(
      'ML_CONNECTOR_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY are not set: run the tests with `npm test`, which starts the S3-compatible server',
    );
  return s3;
}

export function testS3Client(s3 = testS3()): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a fresh bucket and returns the environment that selects it as the artifact store. */
export async function s3ArtifactEnv(
  prefix = 'ml-connector',
  extra: NodeJS.ProcessEnv = {},
): Promise<{ env: NodeJS.ProcessEnv; bucket: string }> {
  const s3 = testS3();
  const bucket = `mlc-test-${randomBytes(6).toString('hex')}`;
  const client = testS3Client(s3);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    bucket,
    env: {
      ML_CONNECTOR_ARTIFACTS: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      ...extra,
    },
  };
}
