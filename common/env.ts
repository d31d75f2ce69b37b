/**
 * The connector's settings from the environment (issue 17 item 2): every variable any process of the
 * connector reads is listed once in ENV_VARIABLES below (name, default, meaning) and parsed here, with
 * its default and its error message. Nothing else in activities/, common/, worker/ or client/ reads
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
import * as path from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { TemporalSettingsError, temporalSettingsFromEnv, type TemporalSettings, type TemporalSettingsOverrides } from './temporal-settings';

export type Env = Record<string, string | undefined>;

export interface EnvVariable {
  name: string;
  /** The default in words, as the README's configuration table gives it. */
  default: string;
  meaning: string;
  /** Never shown in messages or logs. */
  secret?: boolean;
}

/** Every environment variable the connector reads. The README's configuration tables name each one. */
export const ENV_VARIABLES: readonly EnvVariable[] = [
  // Temporal connection (parsed by ./temporal-settings.ts; the names are Temporal's own envconfig names)
  { name: 'TEMPORAL_ADDRESS', default: 'unset: start a dev server (CLI), 127.0.0.1:7233 (worker)', meaning: 'Temporal frontend host:port' },
  { name: 'TEMPORAL_NAMESPACE', default: 'default', meaning: 'Namespace of the worker and the CLI' },
  { name: 'TEMPORAL_API_KEY', default: 'unset', meaning: 'API key (Temporal Cloud); turns TLS on', secret: true },
  { name: 'TEMPORAL_TLS', default: 'unset: on when any TLS setting or an API key is given', meaning: 'true / false' },
  { name: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', default: 'system CAs', meaning: 'CA that signed the server certificate (file)' },
  { name: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', default: 'unset', meaning: 'the same, as PEM text' },
  { name: 'TEMPORAL_TLS_CA', default: 'unset', meaning: 'older name of TEMPORAL_TLS_SERVER_CA_CERT_PATH' },
  { name: 'TEMPORAL_TLS_SERVER_NAME', default: 'the host of TEMPORAL_ADDRESS', meaning: 'name checked in the server certificate (and SNI)' },
  { name: 'TEMPORAL_TLS_CLIENT_CERT_PATH', default: 'unset', meaning: 'mTLS client certificate (file)' },
  { name: 'TEMPORAL_TLS_CLIENT_CERT_DATA', default: 'unset', meaning: 'the same, as PEM text' },
  { name: 'TEMPORAL_TLS_CERT', default: 'unset', meaning: 'older name of TEMPORAL_TLS_CLIENT_CERT_PATH' },
  { name: 'TEMPORAL_TLS_CLIENT_KEY_PATH', default: 'unset', meaning: 'mTLS client private key (file)' },
  { name: 'TEMPORAL_TLS_CLIENT_KEY_DATA', default: 'unset', meaning: 'the same, as PEM text', secret: true },
  { name: 'TEMPORAL_TLS_KEY', default: 'unset', meaning: 'older name of TEMPORAL_TLS_CLIENT_KEY_PATH' },
  { name: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION', default: 'unset', meaning: 'refused when true (the TypeScript SDK cannot do it)' },
  // The Temporal CLI (dev server, `temporal workflow show`)
  { name: 'TEMPORAL_CLI_PATH', default: 'unset', meaning: 'path of the `temporal` binary (takes precedence over PATH)' },
  { name: 'PATH', default: 'the process PATH', meaning: 'where the `temporal` binary and pip are looked for' },
  // Data directory and the stores under it
  { name: 'ML_CONNECTOR_DATA_DIR', default: '.data/ in the project root', meaning: 'dev-server database, artifacts, audit DB, credential vault, key files, tools' },
  { name: 'ML_CONNECTOR_MASTER_KEY', default: 'key file', meaning: '32-byte vault key (base64 or hex)', secret: true },
  { name: 'ML_CONNECTOR_MASTER_KEY_FILE', default: '<data dir>/master.key', meaning: 'vault key file (mode 0600)' },
  { name: 'ML_CONNECTOR_NEW_MASTER_KEY', default: 'unset', meaning: '`credentials rotate-master-key`: the new vault key', secret: true },
  { name: 'ML_CONNECTOR_VAULT_FILE', default: '<data dir>/credentials.vault', meaning: 'encrypted credentials' },
  { name: 'ML_CONNECTOR_VAULT_STATE_FILE', default: '<vault file>.seen', meaning: 'highest vault write counter seen (rollback detection)' },
  { name: 'ML_CONNECTOR_AUDIT_DB', default: '<data dir>/audit.db', meaning: 'audit trail: SQLite file or postgres:// URL' },
  { name: 'ML_CONNECTOR_ARTIFACT_DIR', default: '<data dir>/artifacts', meaning: 'filesystem artifact store (part files in <data dir>/work)' },
  { name: 'ML_CONNECTOR_ARTIFACTS', default: 'unset: local directory', meaning: 's3://bucket/prefix: artifacts on S3 or an S3-compatible store' },
  { name: 'ML_CONNECTOR_ARTIFACTS_SSE', default: "unset: the bucket's default", meaning: 'AES256 or aws:kms (or none)' },
  { name: 'ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID', default: "unset: the account's default KMS key", meaning: 'KMS key for aws:kms' },
  { name: 'ML_CONNECTOR_ARTIFACTS_PATH_STYLE', default: 'true with a custom endpoint, else false', meaning: 'path-style bucket addressing' },
  { name: 'AWS_ENDPOINT_URL_S3', default: 'unset: AWS S3', meaning: 'S3-compatible endpoint' },
  { name: 'AWS_ENDPOINT_URL', default: 'unset: AWS S3', meaning: 'S3-compatible endpoint (after AWS_ENDPOINT_URL_S3)' },
  { name: 'AWS_REGION', default: 'us-east-1', meaning: 'region of the bucket' },
  { name: 'AWS_DEFAULT_REGION', default: 'unset', meaning: 'region, when AWS_REGION is unset' },
  { name: 'AWS_ACCESS_KEY_ID', default: "unset: the SDK's default chain", meaning: 'S3 credentials (with AWS_SECRET_ACCESS_KEY)' },
  { name: 'AWS_SECRET_ACCESS_KEY', default: "unset: the SDK's default chain", meaning: 'S3 credentials', secret: true },
  { name: 'AWS_SESSION_TOKEN', default: 'unset', meaning: 'S3 session credentials', secret: true },
  // Payload codec
  { name: 'ML_CONNECTOR_CODEC_KEYS', default: 'unset', meaning: 'payload encryption keys id:key[,id:key]', secret: true },
  { name: 'ML_CONNECTOR_CODEC_KEY_FILE', default: '<data dir>/codec.key', meaning: 'codec key file (JSON, mode 0600)' },
  { name: 'ML_CONNECTOR_CODEC_ACTIVE_KEY', default: 'first key', meaning: 'key ID used to encrypt' },
  // Worker
  { name: 'ML_CONNECTOR_TASK_QUEUE', default: 'ml-connector', meaning: 'task queue of the worker' },
  { name: 'ML_CONNECTOR_METRICS_PORT', default: 'unset: no metrics', meaning: 'serve Prometheus /metrics on this port' },
  { name: 'ML_CONNECTOR_METRICS_HOST', default: '127.0.0.1', meaning: 'bind address of /metrics' },
  { name: 'ML_CONNECTOR_WORKFLOW_BUNDLE', default: 'dist/workflow-bundle.js beside the compiled worker', meaning: 'prebuilt workflow bundle' },
  { name: 'ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS', default: 'false', meaning: 'worker/main.ts: run without codec keys (plaintext histories)' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'unset: no tracing', meaning: 'OTLP/HTTP collector for activity spans' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: 'unset', meaning: 'the same, traces only (read by the exporter)' },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', default: 'unset', meaning: 'headers of the OTLP requests (read by the exporter itself)', secret: true },
  { name: 'OTEL_SERVICE_NAME', default: 'ml-connector-worker', meaning: 'service.name of the spans' },
  // Secret inputs of `ml-connector credentials set` (else read from stdin)
  { name: 'ANAPLAN_PASSWORD', default: 'unset: stdin', meaning: 'Anaplan basic-auth password', secret: true },
  { name: 'ANAPLAN_REFRESH_TOKEN', default: 'unset: stdin', meaning: 'Anaplan OAuth refresh token', secret: true },
];

const KNOWN = new Map(ENV_VARIABLES.map((v) => [v.name, v]));

/** One or more variables are unusable; `problems` names each variable (never a secret's value). */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `settings are not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = new.target.name;
  }
}

/** A variable's value; unset and blank are the same (a `KEY=` line in an env file means "not set"). */
function raw(env: Env, name: string): string | undefined {
  if (!KNOWN.has(name)) throw new Error(`common/env.ts: ${name} is not listed in ENV_VARIABLES`);
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** How a bad value is shown in a message: quoted, unless the variable is secret. */
function shown(name: string, value: string): string {
  return KNOWN.get(name)?.secret ? '(value not shown: secret)' : `(got ${JSON.stringify(value)})`;
}

function bool(env: Env, name: string, problems: string[]): boolean | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  const t = v.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  problems.push(`${name} must be true or false ${shown(name, v)}`);
  return undefined;
}

function port(env: Env, name: string, problems: string[]): number | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    problems.push(`${name} must be a port number 0-65535 ${shown(name, v)}`);
    return undefined;
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], problems: string[]): T | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  const r = z.enum(values as [T, ...T[]]).safeParse(v.trim());
  if (r.success) return r.data;
  problems.push(`${name} must be one of ${values.join(', ')} ${shown(name, v)}`);
  return undefined;
}

function url(env: Env, name: string, problems: string[]): string | undefined {
  const v = raw(env, name);
  if (v === undefined) return undefined;
  if (z.string().url().safeParse(v.trim()).success) return v.trim();
  problems.push(`${name} must be a URL such as http://minio:9000 ${shown(name, v)}`);
  return undefined;
}

function done<T>(problems: string[], value: T): T {
  if (problems.length > 0) throw new SettingsError(problems);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Data directory and the paths under it: worked out here only.

/**
 * The project root (where package.json lives). This file runs from common/ or, compiled, from
 * dist/common/: one level deeper.
 */
export const PROJECT_ROOT = path.basename(path.resolve(__dirname, '..')) === 'dist' ? path.resolve(__dirname, '..', '..') : path.resolve(__dirname, '..');

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
  return path.resolve(dataDir ?? raw(env, 'ML_CONNECTOR_DATA_DIR') ?? path.join(PROJECT_ROOT, '.data'));
}

/** Every file and directory of the data directory layout, with the variables that move each one. */
export function dataPaths(env: Env = process.env, dataDir?: string): DataPaths {
  const dir = dataDirFrom(env, dataDir);
  const masterKeyFile = raw(env, 'ML_CONNECTOR_MASTER_KEY_FILE');
  const codecKeyFile = raw(env, 'ML_CONNECTOR_CODEC_KEY_FILE');
  return {
    dataDir: dir,
    vaultFile: raw(env, 'ML_CONNECTOR_VAULT_FILE') ?? path.join(dir, 'credentials.vault'),
    vaultStateFile: raw(env, 'ML_CONNECTOR_VAULT_STATE_FILE'),
    masterKeyFile: masterKeyFile ?? path.join(dir, 'master.key'),
    masterKeyFileConfigured: masterKeyFile !== undefined,
    auditDb: raw(env, 'ML_CONNECTOR_AUDIT_DB') ?? path.join(dir, 'audit.db'),
    artifactDir: raw(env, 'ML_CONNECTOR_ARTIFACT_DIR') ?? path.join(dir, 'artifacts'),
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
    masterKey: raw(env, 'ML_CONNECTOR_MASTER_KEY'),
    newMasterKey: raw(env, 'ML_CONNECTOR_NEW_MASTER_KEY'),
    codecKeys: raw(env, 'ML_CONNECTOR_CODEC_KEYS'),
    codecActiveKey: raw(env, 'ML_CONNECTOR_CODEC_ACTIVE_KEY')?.trim(),
  };
}

/** Secret inputs of `credentials set` given in the environment instead of stdin. */
export function credentialInput(env: Env = process.env, name: 'ANAPLAN_PASSWORD' | 'ANAPLAN_REFRESH_TOKEN'): string | undefined {
  return raw(env, name);
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
    problems.push('ML_CONNECTOR_ARTIFACTS must look like s3://bucket/prefix (for a local directory leave it unset and use ML_CONNECTOR_ARTIFACT_DIR)');
    return undefined;
  }
  const bucket = m[1]!;
  if (!BUCKET.test(bucket)) problems.push(`ML_CONNECTOR_ARTIFACTS: "${bucket}" is not a valid S3 bucket name`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '..' || s === '.') || prefix.includes('//')) problems.push('ML_CONNECTOR_ARTIFACTS: the prefix must not contain empty, "." or ".." segments');
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
  const location = raw(env, 'ML_CONNECTOR_ARTIFACTS');
  if (location === undefined) return { kind: 'fs', dir: paths.artifactDir, workDir: paths.workDir };
  const problems: string[] = [];
  const loc = s3Location(location, problems);
  const sse = oneOf(env, 'ML_CONNECTOR_ARTIFACTS_SSE', ['AES256', 'aws:kms', 'none'] as const, problems);
  const kmsKeyId = raw(env, 'ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID')?.trim();
  const sseMode = sse && sse !== 'none' ? sse : undefined;
  const sseInvalid = raw(env, 'ML_CONNECTOR_ARTIFACTS_SSE') !== undefined && sse === undefined;
  if (kmsKeyId && sseMode !== 'aws:kms' && !sseInvalid) problems.push('ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID needs ML_CONNECTOR_ARTIFACTS_SSE=aws:kms');
  const pathStyle = oneOf(env, 'ML_CONNECTOR_ARTIFACTS_PATH_STYLE', ['true', 'false'] as const, problems);
  const s3Endpoint = url(env, 'AWS_ENDPOINT_URL_S3', problems);
  const genericEndpoint = url(env, 'AWS_ENDPOINT_URL', problems);
  const endpoint = s3Endpoint ?? genericEndpoint;
  const accessKeyId = raw(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = raw(env, 'AWS_SECRET_ACCESS_KEY');
  return done(problems, {
    kind: 's3',
    ...loc!,
    sse: sseMode ? { mode: sseMode, kmsKeyId } : undefined,
    endpoint,
    // MinIO-like endpoints serve buckets by path, not by virtual host; AWS itself prefers virtual hosts.
    forcePathStyle: pathStyle ? pathStyle === 'true' : endpoint !== undefined,
    region: raw(env, 'AWS_REGION') ?? raw(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: raw(env, 'AWS_SESSION_TOKEN') } : undefined,
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
    enabled: raw(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined || raw(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined,
    serviceName: raw(env, 'OTEL_SERVICE_NAME')?.trim() ?? 'ml-connector-worker',
  };
}

/** ML_CONNECTOR_WORKFLOW_BUNDLE, read on its own: worker/create-worker.ts needs it when loaded. */
export function workflowBundleSetting(env: Env = process.env): string | undefined {
  return raw(env, 'ML_CONNECTOR_WORKFLOW_BUNDLE');
}

export function workerSettings(env: Env = process.env): WorkerSettings {
  const problems: string[] = [];
  const settings: WorkerSettings = {
    taskQueue: raw(env, 'ML_CONNECTOR_TASK_QUEUE')?.trim(),
    metricsPort: port(env, 'ML_CONNECTOR_METRICS_PORT', problems),
    metricsHost: raw(env, 'ML_CONNECTOR_METRICS_HOST')?.trim(),
    workflowBundle: workflowBundleSetting(env),
    insecurePlaintextPayloads: bool(env, 'ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS', problems) ?? false,
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
  return raw(env, 'TEMPORAL_ADDRESS') !== undefined;
}

export interface TemporalCliSettings {
  cliPath?: string;
  /** The directories of PATH, in order. */
  searchPath: string[];
}

export function temporalCliSettings(env: Env = process.env): TemporalCliSettings {
  return { cliPath: raw(env, 'TEMPORAL_CLI_PATH'), searchPath: (raw(env, 'PATH') ?? '').split(path.delimiter).filter(Boolean) };
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
export function readSettings(env: Env = process.env, overrides: { dataDir?: string; temporal?: TemporalSettingsOverrides } = {}): Settings {
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
    keys: Object.fromEntries(Object.entries(s.keys).map(([k, v]) => [k, v === undefined || k === 'codecActiveKey' ? v : '(set)'])),
    artifacts: s.artifacts.kind === 's3' && s.artifacts.credentials ? { ...s.artifacts, credentials: { accessKeyId: s.artifacts.credentials.accessKeyId, secretAccessKey: '(set)' } } : s.artifacts,
  });
  Object.defineProperty(s, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(s, inspect.custom, { value: () => redacted(), enumerable: false });
  return s;
}
