import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { defaultPayloadConverter, Payload } from '@temporalio/common';
import { Agent } from 'undici';
import { CodecServer, CodecServerConfigError, fromWire, startCodecServer, toWire } from '../../client/codec-server';
import { createCertificate } from '../../sandbox/certs';
import { EncryptionCodec } from '../../common/node/codec';

const keys = { activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) };
const token = randomBytes(24).toString('base64url');
const value = { account: '4000', amount: '98765.43' };
let open: CodecServer;
let guarded: CodecServer;
const lines: string[] = [];

before(async () => {
  open = await startCodecServer({ port: 0, keys, log: (l) => lines.push(l) });
  guarded = await startCodecServer({
    port: 0,
    keys,
    bearerToken: token,
    corsOrigins: ['http://localhost:8233', 'https://ui.example'],
  });
});
after(async () => {
  await open.close();
  await guarded.close();
});

async function post(server: CodecServer, op: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${server.url}/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as any };
}

void describe('codec server', () => {
  void it('encodes and decodes payloads over HTTP, interoperating with the codec', async () => {
    const plain = toWire(defaultPayloadConverter.toPayload(value) as Payload);
    const enc = await post(guarded, 'encode', { payloads: [plain] }, { authorization: `Bearer ${token}` });
    assert.equal(enc.status, 200);
    const [wire] = enc.json.payloads;
    assert.equal(Buffer.from(wire.metadata.encoding, 'base64').toString(), 'binary/encrypted');
    assert.equal(Buffer.from(wire.metadata['encryption-key-id'], 'base64').toString(), 'k1');
    assert.ok(!Buffer.from(wire.data, 'base64').includes('98765.43'));

    const dec = await post(open, 'decode', { payloads: [wire] });
    assert.equal(dec.status, 200);
    assert.deepEqual(defaultPayloadConverter.fromPayload(fromWire(dec.json.payloads[0])), value);

    // what a worker wrote to history decodes through the server
    const [fromWorker] = await new EncryptionCodec(keys).encode([defaultPayloadConverter.toPayload(value) as Payload]);
    const viaUi = await post(open, 'decode', { payloads: [toWire(fromWorker)] });
    assert.deepEqual(defaultPayloadConverter.fromPayload(fromWire(viaUi.json.payloads[0])), value);
    assert.ok(lines.every((l) => !l.includes('98765.43')));
  });

  void it('requires the bearer token when one is configured', async () => {
    const [wire] = (
      await post(
        guarded,
        'encode',
        { payloads: [toWire(defaultPayloadConverter.toPayload(value) as Payload)] },
        { authorization: `Bearer ${token}` },
      )
    ).json.payloads;
    const missing = await post(guarded, 'decode', { payloads: [wire] });
    assert.equal(missing.status, 401);
    assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
    assert.equal(
      (await post(guarded, 'decode', { payloads: [wire] }, { authorization: `Bearer ${token}x` })).status,
      401,
    );
    assert.equal((await post(guarded, 'decode', { payloads: [wire] }, { authorization: token })).status, 401);
    const ok = await post(guarded, 'decode', { payloads: [wire] }, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    assert.deepEqual(defaultPayloadConverter.fromPayload(fromWire(ok.json.payloads[0])), value);
  });

  void it('answers the CORS preflight for the UI origin only', async () => {
    const preflight = (origin: string) =>
      request(`${guarded.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-namespace,content-type,authorization',
        },
      });
    const res = await preflight('http://localhost:8233');
    await res.body.dump();
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:8233');
    assert.match(String(res.headers['access-control-allow-methods']), /POST/);
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
    for (const h of ['x-namespace', 'content-type', 'authorization']) assert.ok(allowed.includes(h), h);

    const other = await preflight('https://evil.example');
    await other.body.dump();
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  void it('/encode needs the token: refused on a server without one, and without it on a server with one', async () => {
    const plain = toWire(defaultPayloadConverter.toPayload(value) as Payload);
    const openEncode = await post(open, 'encode', { payloads: [plain] });
    assert.equal(openEncode.status, 403);
    assert.match(openEncode.json.error, /\/encode needs a bearer token/);
    assert.equal((await post(guarded, 'encode', { payloads: [plain] })).status, 401);
  });

  void it('refuses a non-loopback bind without a token, and CORS "*" while credentials are allowed', async () => {
    await assert.rejects(
      startCodecServer({ port: 0, host: '0.0.0.0', keys }),
      (e: Error) => e instanceof CodecServerConfigError && /on 0\.0\.0\.0 without a bearer token/.test(e.message),
    );
    await assert.rejects(
      startCodecServer({ port: 0, keys, corsOrigins: ['*'] }),
      (e: Error) => e instanceof CodecServerConfigError && /"\*" with credentials/.test(e.message),
    );
    await assert.rejects(startCodecServer({ port: 0, host: '0.0.0.0', keys, bearerToken: token }), /--allowed-host/);
    const any = await startCodecServer({ port: 0, keys, corsOrigins: ['*'], corsCredentials: false });
    try {
      const res = await request(`${any.url}/health`, { headers: { origin: 'https://ui.example' } });
      await res.body.dump();
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    } finally {
      await any.close();
    }
  });

  void it('refuses requests whose Host is not the bind address or a configured name (DNS rebinding)', async () => {
    const port = new URL(open.url).port;
    const withHost = async (server: CodecServer, host: string) => {
      const res = await request(`${server.url}/decode`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json' },
        body: '{"payloads":[]}',
      });
      const body = (await res.body.json()) as { error?: string };
      return { status: res.statusCode, body };
    };
    const rebound = await withHost(open, `evil.example:${port}`);
    assert.equal(rebound.status, 421);
    assert.match(rebound.body.error!, /Host "evil\.example:\d+" is not served here/);
    assert.equal((await withHost(open, `localhost:${port}`)).status, 200);
    assert.equal((await withHost(open, `127.0.0.1:${port}`)).status, 200);
    const named = await startCodecServer({
      port: 0,
      host: '0.0.0.0',
      keys,
      bearerToken: token,
      allowedHosts: ['codec.internal.example'],
    });
    try {
      const url = `http://127.0.0.1:${named.port}/health`;
      const ok = await request(url, { headers: { host: `codec.internal.example:${named.port}` } });
      await ok.body.dump();
      assert.equal(ok.statusCode, 200);
      const other = await request(url, { headers: { host: `127.0.0.1:${named.port}` } });
      await other.body.dump();
      assert.equal(other.statusCode, 421, 'a wildcard bind serves its configured names only');
    } finally {
      await named.close();
    }
  });

  void it('serves https with a given certificate and key', async () => {
    const cert = await createCertificate({ kind: 'ec', commonName: 'localhost' });
    const tls = await startCodecServer({
      port: 0,
      keys,
      bearerToken: token,
      tls: { certPem: cert.certificatePem, keyPem: cert.privateKeyPem },
    });
    const dispatcher = new Agent({ connect: { ca: cert.certificatePem, checkServerIdentity: () => undefined } });
    try {
      assert.match(tls.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const plain = toWire(defaultPayloadConverter.toPayload(value) as Payload);
      const res = await request(`${tls.url}/encode`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ payloads: [plain] }),
      });
      assert.equal(res.statusCode, 200);
      const [wire] = ((await res.body.json()) as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
      assert.equal(Buffer.from(wire!.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
      await assert.rejects(
        request(`${tls.url.replace('https', 'http')}/health`, { headersTimeout: 2_000 }),
        'plain http is not served on the TLS port',
      );
    } finally {
      await dispatcher.close();
      await tls.close();
    }
    await assert.rejects(
      startCodecServer({ port: 0, keys, tls: { certPem: 'x', keyPem: 'y' } }),
      CodecServerConfigError,
    );
  });

  void it('reports bad requests without crashing', async () => {
    assert.equal((await post(open, 'decode', '{not json')).status, 400);
    assert.equal((await post(open, 'decode', { payloads: [{ metadata: { encoding: '***' } }] })).status, 400);
    assert.equal((await post(open, 'nothing', { payloads: [] })).status, 404);
    const foreign = {
      metadata: {
        encoding: Buffer.from('binary/encrypted').toString('base64'),
        'encryption-key-id': Buffer.from('k0').toString('base64'),
      },
      data: randomBytes(40).toString('base64'),
    };
    const unknown = await post(open, 'decode', { payloads: [foreign] });
    assert.equal(unknown.status, 422);
    assert.match(unknown.json.error, /"k0"/);
    assert.deepEqual((await post(open, 'decode', { payloads: [] })).json, { payloads: [] });
  });
});
