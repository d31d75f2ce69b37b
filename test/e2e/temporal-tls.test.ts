/**
 * Issue 13 item 2: the worker, the CLI and schedules reach Temporal over TLS and mTLS. A real TLS
 * endpoint (Node `tls`, ALPN h2) sits in front of the run's dev server with certificates from CAs
 * made at run time; the settings come from the same environment variables a deployment sets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createActivities } from '../../activities';
import { connectClient } from '../../client/temporal';
import { PROJECT_ROOT } from '../../client/paths';
import { resolveDataConverter } from '../../common/node/codec-config';
import { TemporalConnectError } from '../../common/node/temporal-connection';
import { temporalSettingsFromEnv } from '../../common/node/temporal-settings';
import { createConnectorWorker } from '../../worker/create-worker';
import { connectorDemo, demoWorkerOptions } from '../helpers/demo-worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { createTestCa, startTlsTerminator, type TlsTerminator } from '../helpers/tls-terminator';

const SERVER_NAME = 'temporal.test';

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'ml-connector.js'), ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('Temporal over TLS and mTLS (real TLS endpoint in front of the dev server)', () => {
  let t: TestTemporal;
  let dir: string;
  let tlsEnd: TlsTerminator;
  let mtlsEnd: TlsTerminator;
  const files: Record<'ca' | 'strangerCa' | 'clientCert' | 'clientKey' | 'otherCert' | 'otherKey', string> =
    {} as never;
  // Every process (in-test worker, CLI children) shares one codec key, as a deployment would.
  const codecEnv = { ML_CONNECTOR_CODEC_KEYS: `tls:${randomBytes(32).toString('hex')}` };
  let baseEnv: NodeJS.ProcessEnv;

  before(async () => {
    t = await testTemporal();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-tls-'));
    const serverCa = await createTestCa('ml-connector test server CA');
    const stranger = await createTestCa('stranger CA');
    const clientCa = await createTestCa('ml-connector test client CA');
    const serverCert = await serverCa.issue({ commonName: SERVER_NAME, dnsNames: [SERVER_NAME], usage: 'server' });
    const client = await clientCa.issue({ commonName: 'ml-connector worker', usage: 'client' });
    // A client certificate from a CA the terminator does not trust.
    const other = await stranger.issue({ commonName: 'intruder', usage: 'client' });
    const write = (name: keyof typeof files, text: string) => {
      files[name] = path.join(dir, `${name}.pem`);
      fs.writeFileSync(files[name], text, { mode: 0o600 });
    };
    write('ca', serverCa.certificatePem);
    write('strangerCa', stranger.certificatePem);
    write('clientCert', client.certificatePem);
    write('clientKey', client.privateKeyPem);
    write('otherCert', other.certificatePem);
    write('otherKey', other.privateKeyPem);
    tlsEnd = await startTlsTerminator({ backend: t.server.address, server: serverCert });
    mtlsEnd = await startTlsTerminator({
      backend: t.server.address,
      server: serverCert,
      clientCa: clientCa.certificatePem,
    });
    baseEnv = { ...process.env, ...codecEnv, ML_CONNECTOR_DATA_DIR: dir };
    for (const k of Object.keys(baseEnv)) if (k.startsWith('TEMPORAL_') && k !== 'TEMPORAL_CLI_PATH') delete baseEnv[k];
  });
  after(async () => {
    await tlsEnd?.close();
    await mtlsEnd?.close();
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const mtlsVars = () => ({
    TEMPORAL_ADDRESS: mtlsEnd.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    TEMPORAL_TLS_CLIENT_CERT_PATH: files.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: files.clientKey,
  });

  it('a worker on mTLS and a client on TLS run a workflow to completion; the CLI reads it and lists schedules through mTLS', async () => {
    const taskQueue = uniqueTaskQueue('tls');
    const dataConverter = resolveDataConverter({ dataDir: dir, env: codecEnv });
    const workerSettings = temporalSettingsFromEnv(mtlsVars());
    const clientSettings = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: tlsEnd.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    assert.ok(workerSettings.tls?.clientCertPair && clientSettings.tls?.serverRootCACertificate);
    const mtlsBefore = mtlsEnd.accepted;
    const tlsBefore = tlsEnd.accepted;
    const { worker, connection } = await createConnectorWorker({
      temporal: workerSettings,
      taskQueue,
      ...demoWorkerOptions(),
      dataConverter,
    });
    const { client, close } = await connectClient(undefined, dataConverter, undefined, clientSettings);
    const workflowId = `tls-demo-${taskQueue}`;
    try {
      await worker.runUntil(async () => {
        const result = await client.workflow.execute(connectorDemo, {
          taskQueue,
          workflowId,
          args: [{ steps: ['align', 'import'] }],
        });
        assert.deepEqual(result.completed, ['align', 'import']);
      });
    } finally {
      await close();
      await connection.close();
    }
    assert.ok(mtlsEnd.accepted > mtlsBefore, 'the worker connected through the mTLS endpoint');
    assert.ok(tlsEnd.accepted > tlsBefore, 'the client connected through the TLS endpoint');

    const mtlsBeforeCli = mtlsEnd.accepted;
    const status = await runCli(['cycle', 'status', workflowId, '--json'], { ...baseEnv, ...mtlsVars() });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout.trim().split('\n').pop()!).execution, 'COMPLETED');
    const schedules = await runCli(['schedule', 'list', '--json'], { ...baseEnv, ...mtlsVars() });
    assert.equal(schedules.code, 0, schedules.stderr);
    assert.ok(Array.isArray(JSON.parse(schedules.stdout.trim().split('\n').pop()!)));
    assert.ok(mtlsEnd.accepted >= mtlsBeforeCli + 2, 'both CLI commands went through the mTLS endpoint');
  });

  it('a server certificate from a CA the settings do not trust is refused with an error naming the CA setting', async () => {
    const s = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: tlsEnd.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.strangerCa,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    await assert.rejects(connectClient(undefined, undefined, undefined, s), (e: unknown) => {
      assert.ok(e instanceof TemporalConnectError, String(e));
      assert.match(e.message, /TLS handshake failed/);
      assert.match(e.message, /unable to verify|UNABLE_TO_VERIFY|unknown ca|certificate/i);
      assert.ok(e.message.includes(`TEMPORAL_TLS_SERVER_CA_CERT_PATH=${files.strangerCa}`), e.message);
      return true;
    });
    const { installRuntime } = await import('../../worker/create-worker');
    installRuntime();
    await assert.rejects(createConnectorWorker({ temporal: s, activities: createActivities() }), (e: unknown) => {
      assert.ok(e instanceof TemporalConnectError, String(e));
      assert.match(e.message, /UnknownIssuer|certificate/i);
      assert.match(e.message, /hint: the TLS handshake failed/);
      return true;
    });
  });

  it('a server name that is not in the certificate is refused', async () => {
    const s = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: tlsEnd.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
      TEMPORAL_TLS_SERVER_NAME: 'elsewhere.test',
    });
    await assert.rejects(
      connectClient(undefined, undefined, undefined, s),
      (e: unknown) => e instanceof TemporalConnectError && /altnames|elsewhere\.test/.test(e.message),
    );
  });

  it('the mTLS endpoint refuses a client without a certificate and one whose certificate it does not trust, naming the client-certificate settings', async () => {
    const noCert = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: mtlsEnd.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    const refusedBefore = mtlsEnd.refused.length;
    await assert.rejects(connectClient(undefined, undefined, undefined, noCert), (e: unknown) => {
      assert.ok(e instanceof TemporalConnectError, String(e));
      assert.match(e.message, /certificate required|CERTIFICATE_REQUIRED|requires a client certificate/i);
      assert.match(e.message, /TEMPORAL_TLS_CLIENT_CERT_PATH/);
      return true;
    });
    await assert.rejects(
      createConnectorWorker({ temporal: noCert, activities: createActivities() }),
      (e: unknown) => e instanceof TemporalConnectError && /TEMPORAL_TLS_CLIENT_CERT_PATH/.test(e.message),
    );
    const intruder = temporalSettingsFromEnv({
      ...mtlsVars(),
      TEMPORAL_TLS_CLIENT_CERT_PATH: files.otherCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: files.otherKey,
    });
    await assert.rejects(
      connectClient(undefined, undefined, undefined, intruder),
      (e: unknown) => e instanceof TemporalConnectError && /TLS handshake failed/.test(e.message),
    );
    assert.ok(mtlsEnd.refused.length > refusedBefore, 'the endpoint itself refused the handshakes');
  });

  it('plaintext against the TLS endpoint fails and the hint says to turn TLS on', async () => {
    const s = temporalSettingsFromEnv({ TEMPORAL_ADDRESS: tlsEnd.address });
    assert.equal(s.tls, undefined);
    await assert.rejects(
      createConnectorWorker({ temporal: s, activities: createActivities() }),
      (e: unknown) => e instanceof TemporalConnectError && /TEMPORAL_TLS=true/.test(e.message),
    );
  });

  it('`ml-connector worker` refuses unusable settings at start, naming each variable, before connecting', async () => {
    const before = mtlsEnd.accepted;
    const r = await runCli(['worker'], {
      ...baseEnv,
      TEMPORAL_ADDRESS: mtlsEnd.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'missing-ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: files.clientCert,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read the server CA certificate file .*missing-ca\.pem \(no such file\)/,
    );
    assert.match(r.stderr, /no client private key: set TEMPORAL_TLS_CLIENT_KEY_PATH/);
    const k = await runCli(['worker'], {
      ...baseEnv,
      TEMPORAL_ADDRESS: mtlsEnd.address,
      TEMPORAL_API_KEY: 'secret-api-key-value',
      TEMPORAL_TLS: 'false',
    });
    assert.equal(k.code, 1);
    assert.match(k.stderr, /TEMPORAL_API_KEY is set but TEMPORAL_TLS=false/);
    assert.ok(!k.stderr.includes('secret-api-key-value'), 'the API key is never printed');
    assert.equal(mtlsEnd.accepted, before, 'nothing connected');
  });
});
