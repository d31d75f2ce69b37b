/**
 * The connector's settings from the environment (issue 17 item 2): every variable any process of the
 * connector reads is listed once in VARIABLES below (zod parser, default, meaning; exported as
 * ENV_VARIABLES) and parsed here, with its default and its error message. Nothing else in activities/, common/, worker/ or client/ reads
 * `process.env` (test/unit/env.test.ts checks it); the Temporal connection variables are parsed by
 * ./temporal-settings.ts, which this module delegates to.
 *
 * Each parser takes the environment as an argument (default: this process's), so tests hand in a
 * plain object. Problems are reported together, naming the variable; the values of secret variables
 * (keys, passwords, tokens) never appear in a message.
 *
 * Node-only (node:path, and the Temporal settings read files): workflow code must not import it
 * (eslint.config.mjs refuses it there).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import {
  TemporalSettingsError,
  temporalSettingsFromEnv,
  type TemporalSettings,
  type TemporalSettingsOverrides,
} from './temporal-settings';

export type Env = Record<string, string | undefined>;

/** One variable: how it is parsed, its default and meaning in words (as the README gives them). */
interface VariableSpec {
  schema: z.ZodTypeAny;
  default: string;
  meaning: string;
  /** Never shown in messages or logs. */
  secret?: boolean;
}

/** A variable's entry in ENV_VARIABLES, for the README check and for documentation. */
export interface EnvVariable {
  name: string;
  default: string;
  meaning: string;
  secret?: boolean;
}

// Unset and blank are the same (a `KEY=` line in an env file means "not set").
const unset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(unset, schema.optional());
const text = optional(z.string());
const trimmed = optional(z.string().trim());
const flag = optional(
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0'].includes(v), 'must be true or false')
    .transform((v) => v === 'true' || v === '1'),
);
const portNumber = optional(
  z
    .string()
    .trim()
    .refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535, 'must be a port number 0-65535')
    .transform(Number),
);
const choice = <const T extends string>(values: [T, ...T[]]) =>
  optional(z.enum(values, { errorMap: () => ({ message: `must be one of ${values.join(', ')}` }) }));
const endpointUrl = optional(z.string().trim().url('must be a URL such as http://minio:9000'));

/**
 * Every environment variable the connector reads, with its parser. The README's configuration
 * tables name each one (test/unit/env.test.ts). The TEMPORAL_TLS* and TEMPORAL_API_KEY values are
 * checked by ./temporal-settings.ts, which needs them together (files, certificates, contradictions).
 */
const VARIABLES = {
  // Temporal connection (parsed by ./temporal-settings.ts; the names are Temporal's own envconfig names)
  TEMPORAL_ADDRESS: {
    schema: text,
    default: 'unset: start a dev server (CLI), 127.0.0.1:7233 (worker)',
    meaning: 'Temporal frontend host:port',
  },
  TEMPORAL_NAMESPACE: { schema: text, default: 'default', meaning: 'Namespace of the worker and the CLI' },
  TEMPORAL_API_KEY: { schema: text, default: 'unset', meaning: 'API key (Temporal Cloud); turns TLS on', secret: true },
  TEMPORAL_TLS: {
    schema: text,
    default: 'unset: on when any TLS setting or an API key is given',
    meaning: 'true / false',
  },
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: {
    schema: text,
    default: 'system CAs',
    meaning: 'CA that signed the server certificate (file)',
  },
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: { schema: text, default: 'unset', meaning: 'the same, as PEM text' },
  TEMPORAL_TLS_CA: { schema: text, default: 'unset', meaning: 'older name of TEMPORAL_TLS_SERVER_CA_CERT_PATH' },
  TEMPORAL_TLS_SERVER_NAME: {
    schema: text,
    default: 'the host of TEMPORAL_ADDRESS',
    meaning: 'name checked in the server certificate (and SNI)',
  },
  TEMPORAL_TLS_CLIENT_CERT_PATH: { schema: text, default: 'unset', meaning: 'mTLS client certificate (file)' },
  TEMPORAL_TLS_CLIENT_CERT_DATA: { schema: text, default: 'unset', meaning: 'the same, as PEM text' },
  TEMPORAL_TLS_CERT: { schema: text, default: 'unset', meaning: 'older name of TEMPORAL_TLS_CLIENT_CERT_PATH' },
  TEMPORAL_TLS_CLIENT_KEY_PATH: { schema: text, default: 'unset', meaning: 'mTLS client private key (file)' },
  TEMPORAL_TLS_CLIENT_KEY_DATA: { schema: text, default: 'unset', meaning: 'the same, as PEM text', secret: true },
  TEMPORAL_TLS_KEY: { schema: text, default: 'unset', meaning: 'older name of TEMPORAL_TLS_CLIENT_KEY_PATH' },
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: {
    schema: text,
    default: 'unset',
    meaning: 'refused when true (the TypeScript SDK cannot do it)',
  },
  // The Temporal CLI (dev server, `temporal workflow show`)
  TEMPORAL_CLI_PATH: {
    schema: text,
    default: 'unset',
    meaning: 'path of the `temporal` binary (takes precedence over PATH)',
  },
  PATH: { schema: text, default: 'the process PATH', meaning: 'where the `temporal` binary and pip are looked for' },
  // Data directory and the stores under it
  ML_CONNECTOR_DATA_DIR: {
    schema: text,
    default: '.data/ in the project root',
    meaning: 'dev-server database, artifacts, audit DB, credential vault, key files, tools',
  },
  ML_CONNECTOR_MASTER_KEY: {
    schema: text,
    default: 'key file',
    meaning: '32-byte vault key (base64 or hex)',
    secret: true,
  },
  ML_CONNECTOR_MASTER_KEY_FILE: {
    schema: text,
    default: '<data dir>/master.key',
    meaning: 'vault key file (mode 0600)',
  },
  ML_CONNECTOR_NEW_MASTER_KEY: {
    schema: text,
    default: 'unset',
    meaning: '`credentials rotate-master-key`: the new vault key',
    secret: true,
  },
  ML_CONNECTOR_VAULT_FILE: { schema: text, default: '<data dir>/credentials.vault', meaning: 'encrypted credentials' },
  ML_CONNECTOR_VAULT_STATE_FILE: {
    schema: text,
    default: '<vault file>.seen',
    meaning: 'highest vault write counter seen (rollback detection)',
  },
  ML_CONNECTOR_AUDIT_DB: {
    schema: text,
    default: '<data dir>/audit.db',
    meaning: 'audit trail: SQLite file or postgres:// URL',
  },
  ML_CONNECTOR_ARTIFACT_DIR: {
    schema: text,
    default: '<data dir>/artifacts',
    meaning: 'filesystem artifact store (part files in <data dir>/work)',
  },
  ML_CONNECTOR_ARTIFACTS: {
    schema: text,
    default: 'unset: local directory',
    meaning: 's3://bucket/prefix: artifacts on S3 or an S3-compatible store',
  },
  ML_CONNECTOR_ARTIFACTS_SSE: {
    schema: choice(['AES256', 'aws:kms', 'none']),
    default: "unset: the bucket's default",
    meaning: 'AES256 or aws:kms (or none)',
  },
  ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID: {
    schema: trimmed,
    default: "unset: the account's default KMS key",
    meaning: 'KMS key for aws:kms',
  },
  ML_CONNECTOR_ARTIFACTS_PATH_STYLE: {
    schema: choice(['true', 'false']),
    default: 'true with a custom endpoint, else false',
    meaning: 'path-style bucket addressing',
  },
  AWS_ENDPOINT_URL_S3: { schema: endpointUrl, default: 'unset: AWS S3', meaning: 'S3-compatible endpoint' },
  AWS_ENDPOINT_URL: {
    schema: endpointUrl,
    default: 'unset: AWS S3',
    meaning: 'S3-compatible endpoint (after AWS_ENDPOINT_URL_S3)',
  },
  AWS_REGION: { schema: text, default: 'us-east-1', meaning: 'region of the bucket' },
  AWS_DEFAULT_REGION: { schema: text, default: 'unset', meaning: 'region, when AWS_REGION is unset' },
  AWS_ACCESS_KEY_ID: {
    schema: text,
    default: "unset: the SDK's default chain",
    meaning: 'S3 credentials (with AWS_SECRET_ACCESS_KEY)',
  },
  AWS_SECRET_ACCESS_KEY: {
    schema: text,
    default: "unset: the SDK's default chain",
    meaning: 'S3 credentials',
    secret: true,
  },
  AWS_SESSION_TOKEN: { schema: text, default: 'unset', meaning: 'S3 session credentials', secret: true },
  // Payload codec
  ML_CONNECTOR_CODEC_KEYS: {
    schema: text,
    default: 'unset',
    meaning: 'payload encryption keys id:key[,id:key]',
    secret: true,
  },
  ML_CONNECTOR_CODEC_KEY_FILE: {
    schema: text,
    default: '<data dir>/codec.key',
    meaning: 'codec key file (JSON, mode 0600)',
  },
  ML_CONNECTOR_CODEC_ACTIVE_KEY: { schema: trimmed, default: 'first key', meaning: 'key ID used to encrypt' },
  // Worker
  ML_CONNECTOR_TASK_QUEUE: { schema: trimmed, default: 'ml-connector', meaning: 'task queue of the worker' },
  ML_CONNECTOR_METRICS_PORT: {
    schema: portNumber,
    default: 'unset: no metrics',
    meaning: 'serve Prometheus /metrics on this port',
  },
  ML_CONNECTOR_METRICS_HOST: { schema: trimmed, default: '127.0.0.1', meaning: 'bind address of /metrics' },
  ML_CONNECTOR_WORKFLOW_BUNDLE: {
    schema: text,
    default: 'dist/workflow-bundle.js beside the compiled worker',
    meaning: 'prebuilt workflow bundle',
  },
  ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS: {
    schema: flag,
    default: 'false',
    meaning: 'worker/main.ts: run without codec keys (plaintext histories)',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: text,
    default: 'unset: no tracing',
    meaning: 'OTLP/HTTP collector for activity spans',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    schema: text,
    default: 'unset',
    meaning: 'the same, traces only (read by the exporter)',
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    schema: text,
    default: 'unset',
    meaning: 'headers of the OTLP requests (read by the exporter itself)',
    secret: true,
  },
  OTEL_SERVICE_NAME: { schema: trimmed, default: 'ml-connector-worker', meaning: 'service.name of the spans' },
  // Secret inputs of `ml-connector credentials set` (else read from stdin)
  ANAPLAN_PASSWORD: {
    schema: text,
    default: 'unset: stdin',
    meaning: 'Anaplan basic-auth password (also of the upload benchmark)',
    secret: true,
  },
  ANAPLAN_REFRESH_TOKEN: {
    schema: text,
    default: 'unset: stdin',
    meaning: 'Anaplan OAuth refresh token',
    secret: true,
  },
  // Development only: read by scripts/ (tools, the test runner, benchmarks, chaos runs) and the test
  // harness (test/helpers), never by the connector. scripts/run-tests.ts sets the ML_CONNECTOR_TEST_ ones.
  MINIO_PATH: {
    schema: text,
    default: 'unset: <data dir>/tools, then the machine cache, then a build from source',
    meaning: 'development: MinIO binary for the S3 tests and chaos runs (scripts/ensure-minio.ts)',
  },
  XDG_CACHE_HOME: {
    schema: text,
    default: '~/.cache',
    meaning: 'development: machine-wide cache of built tools (MinIO), shared by every clone',
  },
  PG_BIN: {
    schema: text,
    default: 'the newest /usr/lib/postgresql/<n>/bin',
    meaning: 'development: directory of initdb and postgres for the tests and chaos runs',
  },
  CHROMIUM_BIN: {
    schema: text,
    default: 'chromium, chromium-browser or google-chrome on PATH',
    meaning: 'development: headless Chromium of the report test',
  },
  ML_CONNECTOR_TEST_RUN: { schema: flag, default: 'unset', meaning: 'development: set by `npm test` for its tests' },
  ML_CONNECTOR_TEST_S3_ENDPOINT: {
    schema: endpointUrl,
    default: 'set by `npm test`',
    meaning: 'development: the MinIO of the test run',
  },
  ML_CONNECTOR_TEST_S3_ACCESS_KEY: {
    schema: text,
    default: 'set by `npm test`',
    meaning: 'development: its access key',
  },
  ML_CONNECTOR_TEST_S3_SECRET_KEY: {
    schema: text,
    default: 'set by `npm test`',
    meaning: 'development: its secret key',
    secret: true,
  },
  ML_CONNECTOR_TEST_PG_URL: {
    schema: text,
    default: 'set by `npm test`',
    meaning: 'development: superuser URL of the PostgreSQL of the test run',
    secret: true,
  },
  MLC_KEEP_REPORT: {
    schema: text,
    default: 'unset',
    meaning: 'development: the report test copies its HTML report to this directory',
  },
  MLC_REPORT_SCREENSHOT: {
    schema: text,
    default: 'unset',
    meaning: 'development: the report test saves a screenshot to this file',
  },
  BENCH_UPLOAD: {
    schema: text,
    default: 'set by scripts/bench-sdk.ts',
    meaning: 'development: input of the upload benchmark child (JSON)',
  },
  ANAPLAN_USER: {
    schema: text,
    default: 'set by scripts/bench-sdk.ts',
    meaning: 'development: Anaplan sandbox user of the upload benchmark (and of anaplan-sdk)',
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;
type Value<K extends VariableName> = z.output<(typeof VARIABLES)[K]['schema']>;

export const ENV_VARIABLES: readonly EnvVariable[] = Object.entries(VARIABLES).map(
  ([name, v]: [string, VariableSpec]) => ({ name, default: v.default, meaning: v.meaning, secret: v.secret }),
);

/** One or more variables are unusable; `problems` names each variable (never a secret's value). */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1 ? problems[0]! : `settings are not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = new.target.name;
  }
}

/**
 * A variable's parsed value. A bad value is added to `problems` (named, its value quoted unless the
 * variable is secret) and read as unset; without `problems` it throws at once.
 */
function get<K extends VariableName>(env: Env, name: K, problems?: string[]): Value<K> {
  const spec: VariableSpec = VARIABLES[name];
  const value = env[name];
  const r = spec.schema.safeParse(value);
  if (r.success) return r.data as Value<K>;
  const problem = `${name} ${r.error.issues[0]?.message ?? 'is not valid'} ${spec.secret ? '(value not shown: secret)' : `(got ${JSON.stringify(value)})`}`;
  if (!problems) throw new SettingsError([problem]);
  problems.push(problem);
  return undefined as Value<K>;
}

function done<T>(problems: string[], value: T): T {
  if (problems.length > 0) throw new SettingsError(problems);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Data directory and the paths under it: worked out here only.

/**
 * The project root (where package.json lives). This file runs from common/node/ or, compiled, from
 * dist/common/node/: one level deeper.
 */
const COMMON_PARENT = path.resolve(__dirname, '..', '..');
export const PROJECT_ROOT = path.basename(COMMON_PARENT) === 'dist' ? path.dirname(COMMON_PARENT) : COMMON_PARENT;

export const CODEC_KEY_FILE_NAME = 'codec.key';

export interface DataPaths {
  /** ML_CONNECTOR_DATA_DIR, else `.data/` in the project root; absolute. */
  dataDir: string;
  vaultFile: string;
  /** ML_CONNECTOR_VAULT_STATE_FILE; undefined: the vault's default beside the vault file. */
  vaultStateFile?: string;
  masterKeyFile: string;
  /** The key file was named by ML_CONNECTOR_MASTER_KEY_FILE (never created then). */
  masterKeyFileConfigured: boolean;
  /** SQLite file or postgres:// URL. */
  auditDb: string;
  artifactDir: string;
  /** Extraction part files of the filesystem store. */
  workDir: string;
  /** Local temporary files of the S3 store. */
  tempDir: string;
  codecKeyFile: string;
  codecKeyFileConfigured: boolean;
  /** Tools obtained on first use (the Temporal CLI, MinIO). */
  toolsDir: string;
}

/** The data directory: `dataDir` when a caller gives one, else ML_CONNECTOR_DATA_DIR, else `.data/`. */
export function dataDirFrom(env: Env = process.env, dataDir?: string): string {
  return path.resolve(dataDir ?? get(env, 'ML_CONNECTOR_DATA_DIR') ?? path.join(PROJECT_ROOT, '.data'));
}

/** Every file and directory of the data directory layout, with the variables that move each one. */
export function dataPaths(env: Env = process.env, dataDir?: string): DataPaths {
  const dir = dataDirFrom(env, dataDir);
  const masterKeyFile = get(env, 'ML_CONNECTOR_MASTER_KEY_FILE');
  const codecKeyFile = get(env, 'ML_CONNECTOR_CODEC_KEY_FILE');
  return {
    dataDir: dir,
    vaultFile: get(env, 'ML_CONNECTOR_VAULT_FILE') ?? path.join(dir, 'credentials.vault'),
    vaultStateFile: get(env, 'ML_CONNECTOR_VAULT_STATE_FILE'),
    masterKeyFile: masterKeyFile ?? path.join(dir, 'master.key'),
    masterKeyFileConfigured: masterKeyFile !== undefined,
    auditDb: get(env, 'ML_CONNECTOR_AUDIT_DB') ?? path.join(dir, 'audit.db'),
    artifactDir: get(env, 'ML_CONNECTOR_ARTIFACT_DIR') ?? path.join(dir, 'artifacts'),
    workDir: path.join(dir, 'work'),
    tempDir: path.join(dir, 'tmp'),
    codecKeyFile: codecKeyFile ?? path.join(dir, CODEC_KEY_FILE_NAME),
    codecKeyFileConfigured: codecKeyFile !== undefined,
    toolsDir: path.join(dir, 'tools'),
  };
}

// ---------------------------------------------------------------------------------------------
// Key material (values are parsed by their users: vault-key.ts, codec-keys.ts)

export interface KeySettings {
  /** ML_CONNECTOR_MASTER_KEY (secret). */
  masterKey?: string;
  /** ML_CONNECTOR_NEW_MASTER_KEY (secret). */
  newMasterKey?: string;
  /** ML_CONNECTOR_CODEC_KEYS (secret). */
  codecKeys?: string;
  codecActiveKey?: string;
}

export function keySettings(env: Env = process.env): KeySettings {
  return {
    masterKey: get(env, 'ML_CONNECTOR_MASTER_KEY'),
    newMasterKey: get(env, 'ML_CONNECTOR_NEW_MASTER_KEY'),
    codecKeys: get(env, 'ML_CONNECTOR_CODEC_KEYS'),
    codecActiveKey: get(env, 'ML_CONNECTOR_CODEC_ACTIVE_KEY'),
  };
}

/** Secret inputs of `credentials set` given in the environment instead of stdin. */
export function credentialInput(
  env: Env = process.env,
  name: 'ANAPLAN_PASSWORD' | 'ANAPLAN_REFRESH_TOKEN',
): string | undefined {
  return get(env, name);
}

/**
 * A variable the operator names on the command line (`codec-server --token-env NAME`); it is not one
 * of the connector's settings, so it is not in ENV_VARIABLES.
 */
export function variableNamedByOption(env: Env = process.env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

// ---------------------------------------------------------------------------------------------
// Artifact store

// S3 bucket naming rules: 3-63 characters, lower-case letters, digits, dots and hyphens.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface S3Location {
  bucket: string;
  prefix: string;
}

/** `s3://bucket[/prefix]` → bucket and prefix without surrounding slashes; throws SettingsError. */
export function parseS3Url(url: string): S3Location {
  const problems: string[] = [];
  const loc = s3Location(url, problems);
  return done(problems, loc!);
}

function s3Location(value: string, problems: string[]): S3Location | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(value.trim());
  if (!m) {
    problems.push(
      'ML_CONNECTOR_ARTIFACTS must look like s3://bucket/prefix (for a local directory leave it unset and use ML_CONNECTOR_ARTIFACT_DIR)',
    );
    return undefined;
  }
  const bucket = m[1]!;
  if (!BUCKET.test(bucket)) problems.push(`ML_CONNECTOR_ARTIFACTS: "${bucket}" is not a valid S3 bucket name`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '..' || s === '.') || prefix.includes('//'))
    problems.push('ML_CONNECTOR_ARTIFACTS: the prefix must not contain empty, "." or ".." segments');
  return { bucket, prefix };
}

export interface FsArtifactSettings {
  kind: 'fs';
  dir: string;
  workDir: string;
}

export interface S3ArtifactSettings extends S3Location {
  kind: 's3';
  sse?: { mode: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  endpoint?: string;
  forcePathStyle: boolean;
  region: string;
  /** undefined: the AWS SDK's default chain (profiles, web identity, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  tempDir: string;
}

export type ArtifactSettings = FsArtifactSettings | S3ArtifactSettings;

/** Which artifact store to open: the directory under the data dir, or S3 when ML_CONNECTOR_ARTIFACTS is set. */
export function artifactSettings(env: Env = process.env, dataDir?: string): ArtifactSettings {
  const paths = dataPaths(env, dataDir);
  const location = get(env, 'ML_CONNECTOR_ARTIFACTS');
  if (location === undefined) return { kind: 'fs', dir: paths.artifactDir, workDir: paths.workDir };
  const problems: string[] = [];
  const loc = s3Location(location, problems);
  const sse = get(env, 'ML_CONNECTOR_ARTIFACTS_SSE', problems);
  const kmsKeyId = get(env, 'ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID');
  const sseMode = sse && sse !== 'none' ? sse : undefined;
  const sseInvalid = problems.some((p) => p.startsWith('ML_CONNECTOR_ARTIFACTS_SSE '));
  if (kmsKeyId && sseMode !== 'aws:kms' && !sseInvalid)
    problems.push('ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID needs ML_CONNECTOR_ARTIFACTS_SSE=aws:kms');
  const pathStyle = get(env, 'ML_CONNECTOR_ARTIFACTS_PATH_STYLE', problems);
  const s3Endpoint = get(env, 'AWS_ENDPOINT_URL_S3', problems);
  const genericEndpoint = get(env, 'AWS_ENDPOINT_URL', problems);
  const endpoint = s3Endpoint ?? genericEndpoint;
  const accessKeyId = get(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = get(env, 'AWS_SECRET_ACCESS_KEY');
  return done(problems, {
    kind: 's3',
    ...loc!,
    sse: sseMode ? { mode: sseMode, kmsKeyId } : undefined,
    endpoint,
    // MinIO-like endpoints serve buckets by path, not by virtual host; AWS itself prefers virtual hosts.
    forcePathStyle: pathStyle ? pathStyle === 'true' : endpoint !== undefined,
    region: get(env, 'AWS_REGION') ?? get(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: get(env, 'AWS_SESSION_TOKEN') }
        : undefined,
    tempDir: paths.tempDir,
  });
}

// ---------------------------------------------------------------------------------------------
// Worker process

export interface WorkerSettings {
  taskQueue?: string;
  metricsPort?: number;
  metricsHost?: string;
  /** ML_CONNECTOR_WORKFLOW_BUNDLE; undefined: the bundle beside the compiled worker. */
  workflowBundle?: string;
  insecurePlaintextPayloads: boolean;
  tracing: TracingSettings;
}

export interface TracingSettings {
  /** An OTLP endpoint is configured: tracing on (the exporter reads the endpoint and headers itself). */
  enabled: boolean;
  serviceName: string;
}

export function tracingSettings(env: Env = process.env): TracingSettings {
  return {
    enabled:
      get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
      get(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined,
    serviceName: get(env, 'OTEL_SERVICE_NAME') ?? 'ml-connector-worker',
  };
}

/** ML_CONNECTOR_WORKFLOW_BUNDLE, read on its own: worker/create-worker.ts needs it when loaded. */
export function workflowBundleSetting(env: Env = process.env): string | undefined {
  return get(env, 'ML_CONNECTOR_WORKFLOW_BUNDLE');
}

export function workerSettings(env: Env = process.env): WorkerSettings {
  const problems: string[] = [];
  const settings: WorkerSettings = {
    taskQueue: get(env, 'ML_CONNECTOR_TASK_QUEUE'),
    metricsPort: get(env, 'ML_CONNECTOR_METRICS_PORT', problems),
    metricsHost: get(env, 'ML_CONNECTOR_METRICS_HOST'),
    workflowBundle: workflowBundleSetting(env),
    insecurePlaintextPayloads: get(env, 'ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS', problems) ?? false,
    tracing: tracingSettings(env),
  };
  return done(problems, settings);
}

// ---------------------------------------------------------------------------------------------
// Temporal: the connection (delegated to ./temporal-settings.ts) and the CLI binary

export function temporalSettings(env: Env = process.env, overrides: TemporalSettingsOverrides = {}): TemporalSettings {
  return temporalSettingsFromEnv(env, overrides);
}

/** TEMPORAL_ADDRESS is set: the CLI uses that server instead of starting a dev server. */
export function temporalAddressConfigured(env: Env = process.env): boolean {
  return get(env, 'TEMPORAL_ADDRESS') !== undefined;
}

export interface TemporalCliSettings {
  cliPath?: string;
  /** The directories of PATH, in order. */
  searchPath: string[];
}

export function temporalCliSettings(env: Env = process.env): TemporalCliSettings {
  return {
    cliPath: get(env, 'TEMPORAL_CLI_PATH'),
    searchPath: (get(env, 'PATH') ?? '').split(path.delimiter).filter(Boolean),
  };
}

// ---------------------------------------------------------------------------------------------
// Everything at once

export interface Settings {
  paths: DataPaths;
  keys: KeySettings;
  artifacts: ArtifactSettings;
  worker: WorkerSettings;
  temporal: TemporalSettings;
  temporalCli: TemporalCliSettings;
}

/**
 * Reads and validates every setting; throws one SettingsError listing every problem of every area
 * (the Temporal ones included). A process reads this once at start (the worker does) and hands the
 * parts down; `dataDir` / `temporal` override the environment as the CLI flags do.
 */
export function readSettings(
  env: Env = process.env,
  overrides: { dataDir?: string; temporal?: TemporalSettingsOverrides } = {},
): Settings {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (e instanceof SettingsError || e instanceof TemporalSettingsError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };
  const artifacts = attempt(() => artifactSettings(env, overrides.dataDir));
  const worker = attempt(() => workerSettings(env));
  const temporal = attempt(() => temporalSettings(env, overrides.temporal));
  const settings = done(problems, {
    paths: dataPaths(env, overrides.dataDir),
    keys: keySettings(env),
    artifacts: artifacts!,
    worker: worker!,
    temporal: temporal!,
    temporalCli: temporalCliSettings(env),
  });
  return withoutSecretsInLogs(settings);
}

/** console.log / JSON.stringify of the settings never show key material or credentials. */
function withoutSecretsInLogs(s: Settings): Settings {
  const redacted = () => ({
    ...s,
    keys: Object.fromEntries(
      Object.entries(s.keys).map(([k, v]) => [k, v === undefined || k === 'codecActiveKey' ? v : '(set)']),
    ),
    artifacts:
      s.artifacts.kind === 's3' && s.artifacts.credentials
        ? {
            ...s.artifacts,
            credentials: { accessKeyId: s.artifacts.credentials.accessKeyId, secretAccessKey: '(set)' },
          }
        : s.artifacts,
  });
  Object.defineProperty(s, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(s, inspect.custom, { value: () => redacted(), enumerable: false });
  return s;
}

// ---------------------------------------------------------------------------------------------
// Development: scripts/ and the test harness (the variables above marked "development")

export interface DevToolSettings {
  /** MINIO_PATH: a MinIO binary to use as is. */
  minioPath?: string;
  /** XDG_CACHE_HOME, else ~/.cache: where built tools are kept for every clone of the machine. */
  cacheDir: string;
  /** PG_BIN: the directory of initdb and postgres. */
  pgBin?: string;
  /** CHROMIUM_BIN. */
  chromiumBin?: string;
  /** The directories of PATH, in order. */
  searchPath: string[];
}

export function devToolSettings(env: Env = process.env): DevToolSettings {
  return {
    minioPath: get(env, 'MINIO_PATH'),
    cacheDir: get(env, 'XDG_CACHE_HOME') ?? path.join(os.homedir(), '.cache'),
    pgBin: get(env, 'PG_BIN'),
    chromiumBin: get(env, 'CHROMIUM_BIN'),
    searchPath: temporalCliSettings(env).searchPath,
  };
}

export interface TestRunSettings {
  /** The MinIO of `npm test`; undefined outside it. */
  s3?: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  /** The PostgreSQL superuser URL of `npm test`; undefined outside it. */
  pgUrl?: string;
  keepReportDir?: string;
  reportScreenshot?: string;
}

/** What `npm test` (scripts/run-tests.ts) hands its tests; a bad value throws naming the variable. */
export function testRunSettings(env: Env = process.env): TestRunSettings {
  const problems: string[] = [];
  const endpoint = get(env, 'ML_CONNECTOR_TEST_S3_ENDPOINT', problems);
  const accessKeyId = get(env, 'ML_CONNECTOR_TEST_S3_ACCESS_KEY');
  const secretAccessKey = get(env, 'ML_CONNECTOR_TEST_S3_SECRET_KEY');
  return done(problems, {
    s3: endpoint && accessKeyId && secretAccessKey ? { endpoint, accessKeyId, secretAccessKey } : undefined,
    pgUrl: get(env, 'ML_CONNECTOR_TEST_PG_URL'),
    keepReportDir: get(env, 'MLC_KEEP_REPORT'),
    reportScreenshot: get(env, 'MLC_REPORT_SCREENSHOT'),
  });
}

/** The upload benchmark child's input and login (scripts/bench-sdk.ts → scripts/bench-upload-client.ts). */
export function benchUploadSettings(env: Env = process.env): { input?: string; user?: string; password?: string } {
  return { input: get(env, 'BENCH_UPLOAD'), user: get(env, 'ANAPLAN_USER'), password: get(env, 'ANAPLAN_PASSWORD') };
}

/** TEMPORAL_ADDRESS as given (undefined: a script starts a dev server of its own). */
export function configuredTemporalAddress(env: Env = process.env): string | undefined {
  return get(env, 'TEMPORAL_ADDRESS');
}

/**
 * This process's environment passed through unread, with `overrides` on top: for a child process a
 * script starts, or connector code a script or test runs with settings of its own. Scripts call this
 * instead of spreading `process.env`, so the variables anything reads are the ones listed in this file
 * (the overrides are these variables, or a tool's own such as MinIO's).
 */
export function inheritedEnv(overrides: Env = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

/** As inheritedEnv but passing only PATH through: a server (PostgreSQL, MinIO) that should see nothing else. */
export function pathOnlyEnv(overrides: Env = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...overrides };
}

/**
 * Sets variables on this process, for connector code a script runs in-process (the replay CLI reads
 * the same settings a worker child gets); returns the function that puts the previous values back.
 */
export function setProcessEnv(vars: Env): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Env) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  return () => apply(saved);
}
