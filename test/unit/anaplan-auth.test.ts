import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificate } from '../../sandbox/certs';
import { certificateAuthRequest, pollDeviceToken, startDeviceAuthorization } from '../../activities/anaplan/auth';
import { AnaplanAuthError } from '../../activities/anaplan/errors';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
let dir: string;
before(async () => {
  sb = await sandbox({ deviceIntervalSec: 0.2 });
  dir = await mkdtemp(join(tmpdir(), 'anaplan-auth-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const authEvents = async (kind: string) =>
  ((await control(sb, 'GET', '/auth-log')).events as Array<{ kind: string; method?: string; ok: boolean }>).filter(
    (e) => e.kind === kind,
  );

test('basic auth: 201 token with a 35-minute expiry, one token reused across calls', async () => {
  await control(sb, 'POST', '/reset');
  const res = await fetch(`${sb.url}/token/authenticate`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${sb.demoUser.email}:${sb.demoUser.password}`).toString('base64')}`,
    },
  });
  assert.equal(res.status, 201);
  const body = (await res.json()) as any;
  assert.equal(body.status, 'SUCCESS');
  const lifetime = body.tokenInfo.expiresAt - Date.now();
  assert.ok(lifetime > 34 * 60_000 && lifetime <= 35 * 60_000, `lifetime ${lifetime}`);

  const c = client(sb);
  const me = await c.me();
  assert.equal(me.email, sb.demoUser.email);
  await c.lists();
  await c.imports();
  assert.equal(c.tokens.stats.authenticated, 1, 'one token per session, not per call');
  const bad = await fetch(`${sb.url}/token/authenticate`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sb.demoUser.email}:wrong`).toString('base64')}` },
  });
  assert.equal(bad.status, 401);
  assert.equal(((await bad.json()) as any).status, 'FAILURE_BAD_CREDENTIAL');
  const wrong = client(sb, { credentials: { kind: 'basic', email: sb.demoUser.email, password: 'nope' } });
  await assert.rejects(
    wrong.me(),
    (e: unknown) => e instanceof AnaplanAuthError && e.status === 401 && !e.message.includes('nope'),
  );
});

test('certificate v2: registered certificate logs in; replayed, stale, v1-when-required and wrongly signed payloads are refused', async () => {
  const cert = await createCertificate({ kind: 'rsa', rsaBits: 2048, days: 30 });
  await control(sb, 'POST', '/users', { email: 'cert.user@meridian.example', certificatePem: cert.certificatePem });
  const cred = { kind: 'certificate' as const, certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem };
  const c = client(sb, { credentials: cred });
  assert.equal((await c.me()).email, 'cert.user@meridian.example');
  assert.ok((await authEvents('authenticate')).some((e) => e.method === 'certificate-v2' && e.ok));

  const post = (r: { authorization: string; body: string }) =>
    fetch(`${sb.url}/token/authenticate`, {
      method: 'POST',
      headers: { authorization: r.authorization, 'content-type': 'application/json' },
      body: r.body,
    });
  const once = certificateAuthRequest(cred);
  assert.equal((await post(once)).status, 201);
  const replay = await post(once);
  assert.equal(replay.status, 401, 'a v2 payload cannot be reused');
  assert.match(((await replay.json()) as any).statusMessage, /already been used/);
  assert.equal((await post(certificateAuthRequest(cred, Date.now() - 20 * 60_000))).status, 401, 'stale timestamp');
  assert.equal(
    (await post(certificateAuthRequest({ ...cred, timestampUnit: 'ms' }))).status,
    201,
    'millisecond timestamps are tolerated',
  );
  const other = await createCertificate({ kind: 'rsa', rsaBits: 2048 });
  assert.equal(
    (await post(certificateAuthRequest({ ...cred, privateKeyPem: other.privateKeyPem }))).status,
    401,
    'signature by another key',
  );
  assert.equal(
    (
      await post(
        certificateAuthRequest({ ...cred, certificatePem: other.certificatePem, privateKeyPem: other.privateKeyPem }),
      )
    ).status,
    401,
    'unregistered certificate',
  );
  sb.state.config.requireCertV2 = true;
  try {
    assert.equal(
      (await post(certificateAuthRequest({ ...cred, format: 'v1' }))).status,
      401,
      'v1 refused when v2 is required',
    );
  } finally {
    sb.state.config.requireCertV2 = false;
  }
  assert.equal((await post(certificateAuthRequest({ ...cred, format: 'v1' }))).status, 201, 'v1 accepted otherwise');
});

test('device grant: pending until approved, slow_down when polled too fast, rotated refresh token persisted and the old one refused', async () => {
  const http = { transport: {} };
  const device = await startDeviceAuthorization({ oauthUrl: sb.url, clientId: sb.oauthClientId, http });
  assert.match(device.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
  assert.ok(device.verification_uri.endsWith('/activate'));

  // Raw protocol: pending, then slow_down for an immediate second poll.
  const poll = () =>
    fetch(`${sb.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.device_code,
        client_id: sb.oauthClientId,
      }),
    });
  const p1 = await poll();
  assert.equal(p1.status, 400);
  assert.equal(((await p1.json()) as any).error, 'authorization_pending');
  assert.equal(((await (await poll()).json()) as any).error, 'slow_down');

  const tokens = pollDeviceToken({
    oauthUrl: sb.url,
    clientId: sb.oauthClientId,
    device,
    http,
    slowDownIncrementMs: 200,
  });
  await new Promise((r) => setTimeout(r, 500));
  await control(sb, 'POST', '/device/approve', { userCode: device.user_code });
  const got = await tokens;
  assert.ok(got.accessToken && got.refreshToken);

  const persisted: string[] = [];
  const c = client(sb, {
    credentials: {
      kind: 'refresh-token',
      clientId: sb.oauthClientId,
      refreshToken: got.refreshToken,
      onRefreshToken: (t) => void persisted.push(t),
    },
  });
  assert.equal((await c.me()).email, sb.demoUser.email);
  assert.equal(persisted.length, 1, 'rotated refresh token handed to the callback');
  assert.notEqual(persisted[0], got.refreshToken);
  const reuse = await fetch(`${sb.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', client_id: sb.oauthClientId, refresh_token: got.refreshToken }),
  });
  assert.equal(((await reuse.json()) as any).error, 'invalid_grant', 'a rotated refresh token is single use');

  // Non-rotatable client: the same refresh token keeps working and nothing needs persisting.
  await control(sb, 'POST', '/oauth/clients', { clientId: sb.oauthClientId, rotatable: false });
  try {
    const dev2 = await startDeviceAuthorization({ oauthUrl: sb.url, clientId: sb.oauthClientId, http });
    const pending = pollDeviceToken({ oauthUrl: sb.url, clientId: sb.oauthClientId, device: dev2, http });
    await control(sb, 'POST', '/device/approve', { userCode: dev2.user_code });
    const t2 = await pending;
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ci = client(sb, {
        credentials: {
          kind: 'refresh-token',
          clientId: sb.oauthClientId,
          refreshToken: t2.refreshToken,
          onRefreshToken: (t) => void seen.push(t),
        },
      });
      assert.equal((await ci.me()).email, sb.demoUser.email);
    }
    assert.deepEqual(seen, [], 'a non-rotatable refresh token is reused, not replaced');
  } finally {
    await control(sb, 'POST', '/oauth/clients', { clientId: sb.oauthClientId, rotatable: true });
  }

  // Denied by the human.
  const denied = await startDeviceAuthorization({ oauthUrl: sb.url, clientId: sb.oauthClientId, http });
  await control(sb, 'POST', '/device/approve', { userCode: denied.user_code, deny: true });
  await assert.rejects(
    pollDeviceToken({ oauthUrl: sb.url, clientId: sb.oauthClientId, device: denied, http }),
    (e: unknown) => e instanceof AnaplanAuthError && e.code === 'access_denied',
  );

  // Expired device code.
  const late = await startDeviceAuthorization({ oauthUrl: sb.url, clientId: sb.oauthClientId, http });
  await control(sb, 'POST', '/clock', { advanceMs: 16 * 60_000 });
  try {
    await assert.rejects(
      pollDeviceToken({ oauthUrl: sb.url, clientId: sb.oauthClientId, device: late, http }),
      (e: unknown) => e instanceof AnaplanAuthError && e.code === 'expired_token',
    );
  } finally {
    await control(sb, 'POST', '/clock', { advanceMs: -16 * 60_000 });
  }
});

test('a token is refreshed across a simulated 35-minute boundary mid-upload, and a revoked one is replaced once after 401', async () => {
  await control(sb, 'POST', '/reset');
  const file = join(dir, 'gl.csv');
  const line = '6100,SUB-2,DEP-104,CLS-201,LOC-301,Oct 26,1.00\n';
  await writeFile(
    file,
    'Account,Subsidiary,Department,Class,Location,Period,Amount\n' +
      line.repeat(Math.ceil((6 * 1024 * 1024) / line.length)),
  );
  let offsetMs = 0;
  const c = client(sb, { now: () => Date.now() + offsetMs });
  const fileId = (await c.findFile('GL Actuals.csv')).id;
  const result = await c.uploadFile(fileId, file, {
    chunkSizeBytes: 1024 * 1024,
    onChunk: ({ index }) => {
      // 34 minutes pass on both clocks after chunk 1: the token is inside the refresh margin but still valid.
      if (index === 1) {
        offsetMs += 34 * 60_000;
        sb.state.clockOffsetMs += 34 * 60_000;
      }
    },
  });
  assert.equal(result.chunkCount, 7);
  assert.equal(c.tokens.stats.authenticated, 1);
  assert.equal(c.tokens.stats.refreshed, 1, 'refreshed before expiry, not re-minted');
  assert.equal((await authEvents('refresh')).filter((e) => e.ok).length, 1);
  const stored = (await control(sb, 'GET', '/files')).files.find((f: any) => f.id === fileId);
  assert.equal(stored.bytes, result.bytes);
  assert.equal(stored.completed, true);

  // Revocation mid-session: the next call gets 401, the client re-authenticates once and replays.
  await control(sb, 'POST', '/tokens/revoke', {});
  assert.equal((await c.me()).email, sb.demoUser.email);
  assert.equal(c.tokens.stats.reauthenticatedAfter401, 1);
  assert.equal(c.tokens.stats.authenticated, 2);

  // Past the server-side expiry without the client knowing (clock jump on the server only): 401 → one re-auth.
  sb.state.clockOffsetMs += 36 * 60_000;
  assert.ok((await c.imports()).length > 0);
  assert.equal(c.tokens.stats.reauthenticatedAfter401, 2);
  sb.state.clockOffsetMs = 0;
  await c.close();
  assert.ok((await authEvents('logout')).length >= 1);
});
