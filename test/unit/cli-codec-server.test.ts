import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parseCommandArgs } from '../../client/command';
import { createCodecServerCommand } from '../../client/commands/codec-server';
import { toWire, type CodecServer } from '../../client/codec-server';
import { resolveDataConverter } from '../../common/node/codec-config';
import { createCertificate } from '../../sandbox/certs';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-codec-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(
  argv: string[],
  env: NodeJS.ProcessEnv,
  whileUp: (s: CodecServer) => Promise<void> = async () => undefined,
) {
  const cmd = createCodecServerCommand({ env, until: whileUp });
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ml-connector codec-server', () => {
  it('refuses to start without keys, and creates none', async () => {
    const r = await run(['--port', '0'], { ML_CONNECTOR_DATA_DIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.err, /no payload codec keys/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('refuses (not warns) a non-loopback bind without a token and CORS "*" with credentials, without opening a port', async () => {
    const env = {
      ML_CONNECTOR_DATA_DIR: dir,
      ML_CONNECTOR_CODEC_KEYS: `k1:${randomBytes(32).toString('hex')}`,
      CODEC_TOKEN: randomBytes(24).toString('base64url'),
    };
    let started = false;
    const up = async () => {
      started = true;
    };
    const wide = await run(['--port', '0', '--host', '0.0.0.0'], env, up);
    assert.equal(wide.code, 1);
    assert.match(wide.err, /✖ codec server on 0\.0\.0\.0 without a bearer token/);
    const star = await run(['--port', '0', '--cors-origin', '*'], env, up);
    assert.equal(star.code, 1);
    assert.match(star.err, /"\*" with credentials/);
    const unnamed = await run(['--port', '0', '--host', '0.0.0.0', '--token-env', 'CODEC_TOKEN'], env, up);
    assert.equal(unnamed.code, 1);
    assert.match(unnamed.err, /--allowed-host/);
    assert.equal(started, false, 'no server was started');
    const named = await run(
      [
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--token-env',
        'CODEC_TOKEN',
        '--allowed-host',
        'codec.example',
        '--cors-origin',
        '*',
        '--cors-no-credentials',
      ],
      env,
      async (s) => {
        const res = await fetch(`http://127.0.0.1:${s.port}/health`);
        assert.equal(res.status, 421, 'a Host that is not configured is refused');
        started = true;
      },
    );
    assert.equal(named.code, 0, named.err);
    assert.ok(started);
  });

  it('serves https from --tls-cert/--tls-key', async () => {
    const cert = await createCertificate({ kind: 'ec', commonName: 'localhost' });
    fs.writeFileSync(path.join(dir, 'tls.cert.pem'), cert.certificatePem);
    fs.writeFileSync(path.join(dir, 'tls.key.pem'), cert.privateKeyPem, { mode: 0o600 });
    const env = { ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_CODEC_KEYS: `k1:${randomBytes(32).toString('hex')}` };
    let url = '';
    const r = await run(
      ['--port', '0', '--tls-cert', path.join(dir, 'tls.cert.pem'), '--tls-key', path.join(dir, 'tls.key.pem')],
      env,
      async (s) => {
        url = s.url;
      },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(url, /^https:/);
    assert.match(r.out, /codec server on https:\/\/127\.0\.0\.1:\d+/);
    await assert.rejects(
      run(['--port', '0', '--tls-cert', path.join(dir, 'tls.cert.pem')], env),
      /--tls-cert and --tls-key go together/,
    );
  });

  it("decodes the worker's payloads with the data dir's key, behind a bearer token from --token-env, with CORS for the UI", async () => {
    const env = { ML_CONNECTOR_DATA_DIR: dir, CODEC_TOKEN: randomBytes(24).toString('base64url') };
    const dc = resolveDataConverter({ dataDir: dir, env, createIfMissing: true, onWarning: () => undefined })!;
    const [enc] = await dc.payloadCodecs![0]!.encode([
      defaultPayloadConverter.toPayload({ amount: '4321.09' }) as Payload,
    ]);
    const body = JSON.stringify({ payloads: [toWire(enc!)] });
    let checked = false;
    const r = await run(
      ['--port', '0', '--token-env', 'CODEC_TOKEN', '--cors-origin', 'https://ui.example'],
      env,
      async (s) => {
        const denied = await fetch(`${s.url}/decode`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(denied.status, 401);
        const res = await fetch(`${s.url}/decode`, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${env.CODEC_TOKEN}`,
            origin: 'https://ui.example',
          },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('access-control-allow-origin'), 'https://ui.example');
        const [p] = ((await res.json()) as { payloads: Array<{ data: string }> }).payloads;
        assert.deepEqual(JSON.parse(Buffer.from(p!.data, 'base64').toString()), { amount: '4321.09' });
        checked = true;
      },
    );
    assert.equal(r.code, 0, r.err);
    assert.ok(checked);
    assert.ok(!r.out.includes(env.CODEC_TOKEN), 'the token is never printed');
  });
});
