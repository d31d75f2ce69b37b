import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import {
  describeTemporalSettings,
  plaintextWarning,
  temporalSettingsFromEnv,
  TemporalSettingsError,
} from '../../common/node/temporal-settings';
import { createTestCa } from '../helpers/tls-terminator';

describe('Temporal connection settings from the environment (issue 13 item 2)', () => {
  let dir: string;
  const f: Record<string, string> = {};
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-tset-'));
    const ca = await createTestCa('settings CA');
    const a = await ca.issue({ commonName: 'a', usage: 'client' });
    const b = await ca.issue({ commonName: 'b', usage: 'client' });
    for (const [k, v] of Object.entries({
      ca: ca.certificatePem,
      cert: a.certificatePem,
      key: a.privateKeyPem,
      otherKey: b.privateKeyPem,
      junk: 'not a pem\n',
    })) {
      f[k] = path.join(dir, `${k}.pem`);
      fs.writeFileSync(f[k], v);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const problems = (env: Record<string, string>) => {
    try {
      temporalSettingsFromEnv(env);
    } catch (e) {
      assert.ok(e instanceof TemporalSettingsError, String(e));
      return e.problems;
    }
    assert.fail('settings were accepted');
  };

  it('defaults to plaintext on loopback; an API key alone turns TLS on (system CAs), as in Temporal envconfig', () => {
    const plain = temporalSettingsFromEnv({});
    assert.equal(plain.address, '127.0.0.1:7233');
    assert.equal(plain.tls, undefined);
    assert.equal(plaintextWarning(plain), undefined);
    const cloud = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_API_KEY: 'k-123',
    });
    assert.deepEqual(cloud.tls, {});
    assert.equal(cloud.apiKey, 'k-123');
    assert.equal(cloud.namespace, 'acme.a1b2c');
    assert.ok(!describeTemporalSettings(cloud).includes('k-123'), 'the key is never described');
    assert.ok(
      !JSON.stringify({ cloud }).includes('k-123') && !inspect(cloud).includes('k-123'),
      'logging the settings object shows no key',
    );
    assert.match(plaintextWarning(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: 'temporal:7233' }))!, /not encrypted/);
  });

  it('mTLS from paths, from PEM data, and from the older CLI names', () => {
    const s = temporalSettingsFromEnv({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: f.key,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.equal(s.tls?.serverNameOverride, 'temporal.internal');
    assert.equal(s.tls?.clientCertPair?.crt.toString(), fs.readFileSync(f.cert, 'utf8'));
    const data = temporalSettingsFromEnv({
      TEMPORAL_TLS_CLIENT_CERT_DATA: fs.readFileSync(f.cert, 'utf8'),
      TEMPORAL_TLS_CLIENT_KEY_DATA: fs.readFileSync(f.key, 'utf8'),
    });
    assert.ok(data.tls?.clientCertPair);
    const old = temporalSettingsFromEnv({ TEMPORAL_TLS_CA: f.ca, TEMPORAL_TLS_CERT: f.cert, TEMPORAL_TLS_KEY: f.key });
    assert.ok(old.tls?.serverRootCACertificate && old.tls.clientCertPair);
    assert.match(describeTemporalSettings(old), /CA from TEMPORAL_TLS_CA=.*client certificate from TEMPORAL_TLS_CERT=/);
  });

  it('refuses, naming each variable: missing file, junk PEM, certificate without key, key without certificate, key of another certificate', () => {
    const p = problems({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'nope.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert,
    });
    assert.equal(p.length, 2, p.join('\n'));
    assert.match(p[0], /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read .*nope\.pem \(no such file\)/);
    assert.match(p[1], /no client private key: set TEMPORAL_TLS_CLIENT_KEY_PATH/);
    assert.match(problems({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.junk })[0], /not a PEM certificate/);
    assert.match(
      problems({ TEMPORAL_TLS_CLIENT_KEY_PATH: f.key })[0],
      /no client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
    assert.match(
      problems({ TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: f.otherKey })[0],
      /does not belong to the client certificate/,
    );
    assert.match(
      problems({ TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: f.junk })[0],
      /not a readable PEM private key/,
    );
  });

  it('refuses contradictions: API key or TLS material with TEMPORAL_TLS=false, path and data together, two names for one file, bad values', () => {
    const k = problems({ TEMPORAL_API_KEY: 'very-secret-key', TEMPORAL_TLS: 'false' });
    assert.match(k[0], /API key is never sent over plaintext/);
    assert.ok(!k.join(' ').includes('very-secret-key'));
    assert.match(
      problems({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.ca })[0],
      /TEMPORAL_TLS=false contradicts TEMPORAL_TLS_SERVER_CA_CERT_PATH/,
    );
    assert.match(
      problems({
        TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert,
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'x',
        TEMPORAL_TLS_CLIENT_KEY_PATH: f.key,
      })[0],
      /both give the client certificate/,
    );
    assert.match(
      problems({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.ca, TEMPORAL_TLS_CA: f.cert })[0],
      /name different files/,
    );
    assert.match(problems({ TEMPORAL_TLS: 'yes' })[0], /TEMPORAL_TLS must be true or false/);
    assert.match(
      problems({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })[0],
      /not supported: set TEMPORAL_TLS_SERVER_NAME/,
    );
    assert.match(
      problems({ TEMPORAL_ADDRESS: 'https://temporal.example.com' })[0],
      /TEMPORAL_ADDRESS must be host:port/,
    );
  });
});

describe('connection errors', () => {
  it('a TLS setting against a port where nothing listens is reported as unreachable, not as a TLS failure', async () => {
    const { openClientConnection, TemporalConnectError } = await import('../../common/node/temporal-connection');
    const { freePort } = await import('../../client/dev-server');
    const s = temporalSettingsFromEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, TEMPORAL_TLS: 'true' });
    await assert.rejects(openClientConnection(s, { connectTimeoutMs: 1_000 }), (e: unknown) => {
      assert.ok(e instanceof TemporalConnectError, String(e));
      assert.doesNotMatch(e.message, /TLS handshake failed/);
      assert.match(e.message, /hint: check TEMPORAL_ADDRESS and that the server is running/);
      return true;
    });
  });
});
