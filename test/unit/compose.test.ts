/**
 * docker-compose.yml and deploy/prometheus.yml (issue 14 item 7). There is no Docker engine here, so
 * the files are parsed (js-yaml, already in node_modules through ESLint) and their invariants checked:
 * published ports on loopback only and only for the UIs (and Temporal's frontend for the host CLI),
 * every setting the worker needs present and resolving to a service of the file, secrets without
 * defaults, and Prometheus scraping the worker service on the port the workers serve /metrics on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { PROJECT_ROOT } from '../../client/paths';
import { parseS3Url } from '../../activities/store/artifacts-config';

const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  network_mode?: string;
  depends_on?: string[] | Record<string, unknown>;
  volumes?: string[];
  deploy?: { replicas?: string | number };
}
const compose = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

/** Compose's variable interpolation (`${V}`, `${V:-default}` nested, `${V:?message}`, `$$`). */
function interpolate(text: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text.startsWith('$$', i)) {
      out += '$';
      i += 2;
    } else if (text.startsWith('${', i)) {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) depth += text[j] === '{' ? 1 : text[j] === '}' ? -1 : 0;
      const inner = text.slice(i + 2, j - 1);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([\s\S]*))?$/.exec(inner);
      assert.ok(m, `bad interpolation \${${inner}}`);
      const value = env[m[1]!];
      if (value) out += value;
      else if (m[2] === ':-') out += interpolate(m[3] ?? '', env);
      else if (m[2] === ':?') throw new Error(`required: ${m[1]} (${m[3]})`);
      i = j;
    } else out += text[i++];
  }
  return out;
}

/** The secrets an operator sets; everything else has a default in the file. */
const OPERATOR_ENV = {
  ML_CONNECTOR_MASTER_KEY: 'm'.repeat(64),
  ML_CONNECTOR_CODEC_KEYS: 'codec-keys',
  MINIO_ROOT_PASSWORD: 'minio-secret',
  AUDIT_DB_PASSWORD: 'audit-secret',
};
const workerEnv = (env: Record<string, string> = OPERATOR_ENV) =>
  Object.fromEntries(
    Object.entries(services.worker!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]),
  );

describe('docker-compose.yml', () => {
  it('has every part of the deployment', () => {
    for (const s of [
      'postgresql',
      'temporal',
      'temporal-ui',
      'minio',
      'audit-postgresql',
      'codec-server',
      'prometheus',
      'worker',
    ])
      assert.ok(services[s], `service ${s} in ${Object.keys(services).join(', ')}`);
    assert.match(String(services.temporal!.environment?.DB), /^postgres/, 'Temporal persists in PostgreSQL');
    assert.equal(services.temporal!.environment?.POSTGRES_SEEDS, 'postgresql');
    assert.ok(services.worker!.build !== undefined, 'workers are built from the Dockerfile');
    assert.match(interpolate(String(services.worker!.deploy?.replicas), {}), /^\d+$/);
    assert.ok(
      Number(interpolate(String(services.worker!.deploy?.replicas), {})) >= 2,
      'more than one replica by default: the shared stores are what makes that safe',
    );
    assert.equal(interpolate(String(services.worker!.deploy?.replicas), { ML_CONNECTOR_WORKERS: '5' }), '5');
  });

  it('publishes ports on 127.0.0.1 only, and only for the UIs and the host CLI', () => {
    const publishing = Object.entries(services).filter(([, s]) => s.ports?.length);
    for (const [name, s] of publishing)
      for (const p of s.ports!)
        assert.match(interpolate(p, OPERATOR_ENV), /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${p} beyond localhost`);
    assert.deepEqual(publishing.map(([n]) => n).sort(), ['minio', 'prometheus', 'temporal', 'temporal-ui']);
    assert.deepEqual(services.minio!.ports, ['127.0.0.1:9001:9001'], 'MinIO: the console only, not the S3 API');
    // The host network namespace publishes whatever the process binds: it must bind loopback.
    for (const [name, s] of Object.entries(services).filter(([, x]) => x.network_mode === 'host')) {
      const args = Array.isArray(s.command) ? s.command : String(s.command ?? '').split(/\s+/);
      assert.equal(args[args.indexOf('--host') + 1], '127.0.0.1', `${name} in the host network binds loopback`);
    }
    assert.equal(services['codec-server']!.network_mode, 'host');
  });

  it('gives the workers every setting the code needs, resolving to services of this file', () => {
    const env = workerEnv();
    for (const k of [
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'ML_CONNECTOR_MASTER_KEY',
      'ML_CONNECTOR_CODEC_KEYS',
      'ML_CONNECTOR_DATA_DIR',
      'ML_CONNECTOR_ARTIFACTS',
      'AWS_ENDPOINT_URL_S3',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'ML_CONNECTOR_AUDIT_DB',
      'ML_CONNECTOR_METRICS_PORT',
      'ML_CONNECTOR_METRICS_HOST',
    ])
      assert.ok(env[k], `worker sets ${k}`);
    assert.ok(services[env.TEMPORAL_ADDRESS!.split(':')[0]!], `TEMPORAL_ADDRESS ${env.TEMPORAL_ADDRESS} is a service`);
    const s3 = parseS3Url(env.ML_CONNECTOR_ARTIFACTS!);
    assert.equal(s3.bucket, 'ml-connector');
    assert.equal(new URL(env.AWS_ENDPOINT_URL_S3!).hostname, 'minio');
    assert.equal(
      env.AWS_SECRET_ACCESS_KEY,
      OPERATOR_ENV.MINIO_ROOT_PASSWORD,
      'the workers use the MinIO credentials by default',
    );
    const bucketJob = services['minio-bucket']!;
    assert.match(
      interpolate((bucketJob as { entrypoint?: string[] }).entrypoint!.join(' '), OPERATOR_ENV),
      new RegExp(`mc mb --ignore-existing local/${s3.bucket}\\b`),
      'the bucket the workers use is created',
    );
    const audit = new URL(env.ML_CONNECTOR_AUDIT_DB!);
    assert.equal(audit.protocol, 'postgres:');
    assert.ok(services[audit.hostname], `audit DB host ${audit.hostname} is a service`);
    assert.equal(audit.password, OPERATOR_ENV.AUDIT_DB_PASSWORD);
    assert.equal(audit.pathname.slice(1), services[audit.hostname]!.environment?.POSTGRES_DB);
    assert.equal(audit.username, services[audit.hostname]!.environment?.POSTGRES_USER);
    assert.equal(env.ML_CONNECTOR_METRICS_HOST, '0.0.0.0', 'Prometheus reaches /metrics over the compose network');
    // Pointing at AWS S3, RDS, Temporal Cloud: the operator's values win over the defaults.
    const cloud = workerEnv({
      ...OPERATOR_ENV,
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      ML_CONNECTOR_ARTIFACTS: 's3://corp-bucket/mlc',
      AWS_ENDPOINT_URL_S3: 'https://s3.eu-west-1.amazonaws.com',
      ML_CONNECTOR_AUDIT_DB: 'postgres://u:p@db.rds.amazonaws.com:5432/audit',
    });
    assert.equal(cloud.TEMPORAL_ADDRESS, 'ns.acct.tmprl.cloud:7233');
    assert.equal(cloud.ML_CONNECTOR_ARTIFACTS, 's3://corp-bucket/mlc');
    assert.equal(cloud.ML_CONNECTOR_AUDIT_DB, 'postgres://u:p@db.rds.amazonaws.com:5432/audit');
  });

  it('has no default for a secret: compose refuses to start without them', () => {
    for (const k of ['ML_CONNECTOR_MASTER_KEY', 'ML_CONNECTOR_CODEC_KEYS']) {
      assert.throws(() => workerEnv({ ...OPERATOR_ENV, [k]: '' }), new RegExp(`required: ${k}`));
    }
    assert.throws(
      () => interpolate(String(services['audit-postgresql']!.environment?.POSTGRES_PASSWORD), {}),
      /required: AUDIT_DB_PASSWORD/,
    );
    assert.throws(
      () => interpolate(String(services.minio!.environment?.MINIO_ROOT_PASSWORD), {}),
      /required: MINIO_ROOT_PASSWORD/,
    );
    assert.throws(
      () => interpolate(String(services['codec-server']!.environment?.ML_CONNECTOR_CODEC_KEYS), {}),
      /required: ML_CONNECTOR_CODEC_KEYS/,
    );
  });

  it('names only services and volumes that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) assert.ok(services[d], `${name} depends on unknown ${d}`);
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.'))
          assert.ok(src === './config' || fs.existsSync(path.join(PROJECT_ROOT, src)), `${name} mounts missing ${src}`);
        else assert.ok(compose.volumes && src in compose.volumes, `${name} uses undeclared volume ${src}`);
      }
    }
  });
});

describe('deploy/prometheus.yml', () => {
  it('scrapes /metrics of every worker replica on the port the workers serve it on', () => {
    const mount = services.prometheus!.volumes!.find((v) => v.includes('prometheus.yml'))!;
    assert.equal(mount.split(':')[1], '/etc/prometheus/prometheus.yml');
    const cfg = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, mount.split(':')[0]!), 'utf8')) as {
      scrape_configs: Array<{
        job_name: string;
        metrics_path?: string;
        dns_sd_configs?: Array<{ names: string[]; type?: string; port: number }>;
        static_configs?: Array<{ targets: string[] }>;
      }>;
    };
    const port = Number(workerEnv().ML_CONNECTOR_METRICS_PORT);
    const jobs = cfg.scrape_configs.filter((j) =>
      (j.dns_sd_configs ?? []).some((d) => d.names.includes('worker') && d.port === port),
    );
    assert.equal(jobs.length, 1, JSON.stringify(cfg.scrape_configs));
    assert.equal(jobs[0]!.metrics_path ?? '/metrics', '/metrics');
    // DNS discovery of type A: one target per replica (a static `worker:9464` would hit one replica per scrape).
    assert.equal(jobs[0]!.dns_sd_configs![0]!.type, 'A');
  });
});
