/**
 * How this process reaches Temporal (issue 13 item 2): address, namespace, TLS (server CA, server
 * name), mTLS (client certificate + key) or an API key (Temporal Cloud). Read once from the
 * environment with the names of Temporal's own client environment configuration (the SDKs' envconfig
 * and the `temporal` CLI: https://docs.temporal.io/references/client-environment-configuration), so
 * one set of variables drives the CLI, the worker and `temporal workflow show` alike:
 *
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS (true|false),
 *   TEMPORAL_TLS_SERVER_CA_CERT_PATH|_DATA, TEMPORAL_TLS_CLIENT_CERT_PATH|_DATA,
 *   TEMPORAL_TLS_CLIENT_KEY_PATH|_DATA, TEMPORAL_TLS_SERVER_NAME
 *
 * The older CLI names TEMPORAL_TLS_CA / TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY (paths) are accepted too.
 * Every problem is found before any connection is opened and reported together, naming the variable;
 * key material and the API key never appear in messages.
 *
 * Part of the settings module: common/node/env.ts lists these variables with all the others and calls
 * this parser (temporalSettings / readSettings); the environment is always handed in.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import { inspect } from 'node:util';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** TLS material in the SDK's shape (`TLSConfig` of @temporalio/client and @temporalio/worker). */
export interface TemporalTls {
  serverRootCACertificate?: Buffer;
  serverNameOverride?: string;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** Undefined: plaintext gRPC. `{}`: TLS against the system trust store. */
  tls?: TemporalTls;
  apiKey?: string;
  /** Where each piece came from, for messages (variable names and file paths, never values). */
  sources: { ca?: string; clientCert?: string; clientKey?: string; serverName?: string; apiKey?: string };
}

export class TemporalSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Temporal connection settings are not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = new.target.name;
  }
}

/** Plaintext settings for a server this process started itself on loopback (dev server, tests). */
export function localTemporalSettings(address: string, namespace = 'default'): TemporalSettings {
  return { address, namespace, sources: {} };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/i;

/** True when the address names this machine (plaintext there does not cross a network). */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.test(splitHostPort(address)?.host ?? '');
}

function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:\s/]+):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1], port } : undefined;
}

type Env = Record<string, string | undefined>;

/** One PEM input given as a path or as data, under the canonical name or an older alias. */
interface PemSource {
  label: string;
  pathVar: string;
  dataVar: string;
  aliasVar?: string;
}

const CA: PemSource = {
  label: 'server CA certificate',
  pathVar: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  dataVar: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  aliasVar: 'TEMPORAL_TLS_CA',
};
const CERT: PemSource = {
  label: 'client certificate',
  pathVar: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  dataVar: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
  aliasVar: 'TEMPORAL_TLS_CERT',
};
const KEY: PemSource = {
  label: 'client private key',
  pathVar: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  dataVar: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  aliasVar: 'TEMPORAL_TLS_KEY',
};

const val = (env: Env, name: string) => {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
};

/** Reads one PEM input; pushes a problem and returns undefined when it is unusable. */
function readPem(env: Env, src: PemSource, problems: string[]): { pem: Buffer; source: string } | undefined {
  let pathValue = val(env, src.pathVar);
  let pathName = src.pathVar;
  const alias = src.aliasVar ? val(env, src.aliasVar) : undefined;
  if (alias !== undefined) {
    if (pathValue !== undefined && pathValue !== alias) {
      problems.push(`${src.pathVar} and ${src.aliasVar} name different files (${pathValue}, ${alias}); set one`);
      return undefined;
    }
    if (pathValue === undefined) {
      pathValue = alias;
      pathName = src.aliasVar!;
    }
  }
  const data = val(env, src.dataVar);
  if (pathValue !== undefined && data !== undefined) {
    problems.push(`${pathName} and ${src.dataVar} both give the ${src.label}; set one`);
    return undefined;
  }
  if (data !== undefined) return { pem: Buffer.from(data.replace(/\\n/g, '\n'), 'utf8'), source: src.dataVar };
  if (pathValue === undefined) return undefined;
  try {
    return { pem: fs.readFileSync(pathValue), source: `${pathName}=${pathValue}` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.push(
      `${pathName}: cannot read the ${src.label} file ${pathValue} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)})`,
    );
    return undefined;
  }
}

function parseCertificates(pem: Buffer, what: string, source: string, problems: string[]): X509Certificate | undefined {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem.toString('utf8'));
  if (!first) {
    problems.push(`${source}: the ${what} is not a PEM certificate (no BEGIN CERTIFICATE block)`);
    return undefined;
  }
  try {
    return new X509Certificate(first[0]);
  } catch {
    problems.push(`${source}: the ${what} is not a parsable X.509 certificate`);
    return undefined;
  }
}

function parseBool(env: Env, name: string, problems: string[]): boolean | undefined {
  const v = val(env, name)?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  problems.push(`${name} must be true or false (got "${v}")`);
  return undefined;
}

export interface TemporalSettingsOverrides {
  address?: string;
  namespace?: string;
  now?: Date;
}

/**
 * Reads and validates the settings. Throws TemporalSettingsError listing every problem: unreadable
 * files, certificate without key (or the reverse), a key that does not belong to the certificate, an
 * API key or TLS material with TLS switched off, conflicting variables.
 */
export function temporalSettingsFromEnv(env: Env, overrides: TemporalSettingsOverrides = {}): TemporalSettings {
  const problems: string[] = [];
  const address = overrides.address ?? val(env, 'TEMPORAL_ADDRESS')?.trim() ?? DEFAULT_TEMPORAL_ADDRESS;
  if (!splitHostPort(address)) problems.push(`TEMPORAL_ADDRESS must be host:port (got "${address}")`);
  const namespace = overrides.namespace ?? val(env, 'TEMPORAL_NAMESPACE')?.trim() ?? 'default';
  const sources: TemporalSettings['sources'] = {};

  const tlsFlag = parseBool(env, 'TEMPORAL_TLS', problems);
  if (parseBool(env, 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION', problems) === true) {
    // The TypeScript SDK cannot switch host verification off; say so rather than ignore it.
    problems.push(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true is not supported: set TEMPORAL_TLS_SERVER_NAME to the name in the server certificate instead',
    );
  }
  const apiKeyRaw = val(env, 'TEMPORAL_API_KEY');
  let apiKey: string | undefined;
  if (apiKeyRaw !== undefined) {
    apiKey = apiKeyRaw.trim();
    if (/\s/.test(apiKey)) problems.push('TEMPORAL_API_KEY contains whitespace (a pasted line break?)');
    sources.apiKey = 'TEMPORAL_API_KEY';
  }
  const serverName = val(env, 'TEMPORAL_TLS_SERVER_NAME')?.trim();
  if (serverName !== undefined) sources.serverName = 'TEMPORAL_TLS_SERVER_NAME';

  const ca = readPem(env, CA, problems);
  const cert = readPem(env, CERT, problems);
  const key = readPem(env, KEY, problems);
  const now = overrides.now ?? new Date();

  if (ca) {
    sources.ca = ca.source;
    const c = parseCertificates(ca.pem, CA.label, ca.source, problems);
    if (c && new Date(c.validTo) < now)
      problems.push(
        `${ca.source}: the server CA certificate expired on ${new Date(c.validTo).toISOString().slice(0, 10)}`,
      );
  }
  let certificate: X509Certificate | undefined;
  let privateKey: KeyObject | undefined;
  if (cert) {
    sources.clientCert = cert.source;
    certificate = parseCertificates(cert.pem, CERT.label, cert.source, problems);
    if (certificate && new Date(certificate.validTo) < now)
      problems.push(
        `${cert.source}: the client certificate expired on ${new Date(certificate.validTo).toISOString().slice(0, 10)}`,
      );
  }
  if (key) {
    sources.clientKey = key.source;
    try {
      privateKey = createPrivateKey(key.pem);
    } catch {
      problems.push(
        `${key.source}: the client private key is not a readable PEM private key (encrypted keys are not supported)`,
      );
    }
  }
  if (cert && !key)
    problems.push(`${cert.source} is set but no client private key: set ${KEY.pathVar} (mTLS needs both)`);
  if (key && !cert)
    problems.push(`${key.source} is set but no client certificate: set ${CERT.pathVar} (mTLS needs both)`);
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    problems.push(`${key!.source} does not belong to the client certificate in ${cert!.source}`);
  }

  const tlsMaterial = [ca?.source, cert?.source, key?.source, sources.serverName].filter(Boolean);
  if (tlsFlag === false) {
    if (apiKey !== undefined)
      problems.push(
        'TEMPORAL_API_KEY is set but TEMPORAL_TLS=false: an API key is never sent over plaintext; remove TEMPORAL_TLS=false',
      );
    if (tlsMaterial.length > 0)
      problems.push(
        `TEMPORAL_TLS=false contradicts ${tlsMaterial.map((s) => s!.split('=')[0]).join(', ')}; remove one or the other`,
      );
  }
  if (problems.length > 0) throw new TemporalSettingsError(problems);

  // TLS is on when asked for, and implied by an API key or any TLS setting (as in the SDKs' envconfig).
  const useTls = tlsFlag ?? (apiKey !== undefined || tlsMaterial.length > 0);
  const settings: TemporalSettings = { address, namespace, sources };
  if (useTls) {
    settings.tls = {};
    if (ca) settings.tls.serverRootCACertificate = ca.pem;
    if (serverName) settings.tls.serverNameOverride = serverName;
    if (cert && key) settings.tls.clientCertPair = { crt: cert.pem, key: key.pem };
  }
  if (apiKey !== undefined) settings.apiKey = apiKey;
  return withoutSecretsInLogs(settings);
}

/** console.log / JSON.stringify of the settings show the description, never the key or API key. */
function withoutSecretsInLogs(s: TemporalSettings): TemporalSettings {
  const shown = () => `TemporalSettings(${describeTemporalSettings(s)})`;
  Object.defineProperty(s, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(s, inspect.custom, { value: shown, enumerable: false });
  return s;
}

/** One line for logs: where, and how protected. Names sources, never key material or the API key. */
export function describeTemporalSettings(s: TemporalSettings): string {
  const parts = [`${s.address} namespace ${s.namespace}`];
  if (!s.tls) parts.push('plaintext');
  else {
    const tls = ['TLS'];
    tls.push(s.sources.ca ? `CA from ${s.sources.ca}` : 'system CAs');
    if (s.tls.serverNameOverride) tls.push(`server name ${s.tls.serverNameOverride}`);
    if (s.tls.clientCertPair) tls.push(`client certificate from ${s.sources.clientCert}`);
    parts.push(tls.join(', '));
  }
  if (s.apiKey !== undefined) parts.push('API key from TEMPORAL_API_KEY');
  return parts.join('; ');
}

/** A warning when settings send workflow traffic unencrypted across a network; undefined otherwise. */
export function plaintextWarning(s: TemporalSettings): string | undefined {
  if (s.tls || isLoopbackAddress(s.address)) return undefined;
  return `the connection to Temporal at ${s.address} is not encrypted; set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH, client certificate or TEMPORAL_API_KEY) unless this network is private`;
}
