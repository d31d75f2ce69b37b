import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, UnsecuredJWT, importPKCS8 } from 'jose';
import { createCertificate, type TestCertificate } from '../../sandbox/certs';
import { NetSuiteAuthError } from '../../activities/netsuite';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, control, startSandbox } from '../fixtures/netsuite/harness';

let sb: StartedNetSuiteSandbox;
let rsa: TestCertificate;
const TOKEN = '/services/rest/auth/oauth2/v1/token';

before(async () => {
  sb = await startSandbox();
  rsa = await createCertificate({ kind: 'rsa', rsaBits: 3072 });
  await control(sb, 'POST', 'm2m-mappings', {
    clientId: 'rsa-client',
    certificateId: 'rsa-cert',
    certificatePem: rsa.certificatePem,
  });
});
after(() => sb.close());

async function assertion(o: {
  alg: string;
  kid: string;
  iss: string;
  aud?: string;
  iat?: number;
  exp?: number;
  scope?: unknown;
  pem: string;
  typ?: string;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = await importPKCS8(o.pem, o.alg);
  return new SignJWT({ scope: o.scope ?? ['restlets', 'rest_webservices'] })
    .setProtectedHeader({ alg: o.alg, typ: o.typ ?? 'JWT', kid: o.kid })
    .setIssuer(o.iss)
    .setAudience(o.aud ?? `${sb.url}${TOKEN}`)
    .setIssuedAt(o.iat ?? now)
    .setExpirationTime(o.exp ?? now + 600)
    .sign(key);
}

async function exchange(jwt: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.url}${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    }),
  });
  return { status: res.status, body: await res.json() };
}

async function lastAuditDetail(): Promise<string> {
  const audit = await control<Array<{ detail: string }>>(sb, 'GET', 'login-audit');
  return audit[audit.length - 1]!.detail;
}

test('a token is minted with PS256 and with ES256 and works on REST calls', async () => {
  const ps = clientFor(sb, {
    credentials: {
      clientId: 'rsa-client',
      certificateId: 'rsa-cert',
      privateKeyPem: rsa.privateKeyPem,
      algorithm: 'PS256',
    },
  });
  const es = clientFor(sb);
  assert.equal(sb.demoClient.algorithm, 'ES256');
  assert.equal((await ps.governanceLimits()).accountConcurrencyLimit, 5);
  assert.equal((await es.governanceLimits()).accountConcurrencyLimit, 5);
  assert.equal(ps.tokens.mints, 1);
  assert.equal(es.tokens.mints, 1);
  const direct = await exchange(
    await assertion({
      alg: 'PS256',
      kid: 'rsa-cert',
      iss: 'rsa-client',
      scope: 'restlets,rest_webservices',
      pem: rsa.privateKeyPem,
    }),
  );
  assert.equal(direct.status, 200);
  assert.equal(direct.body.token_type, 'bearer');
  assert.equal(Number(direct.body.expires_in), 3600);
  assert.equal(direct.body.refresh_token, undefined);
});

test('the token endpoint refuses RS256, none, wrong aud, wrong kid, expired and over-60-minute assertions', async () => {
  const now = Math.floor(Date.now() / 1000);
  const base = { kid: 'rsa-cert', iss: 'rsa-client', pem: rsa.privateKeyPem };
  const cases: Array<[string, Promise<string>, RegExp]> = [
    ['RS256', assertion({ ...base, alg: 'RS256' }), /UnsupportedAlgorithm/],
    [
      'none',
      Promise.resolve(
        new UnsecuredJWT({ scope: 'rest_webservices' })
          .setIssuer('rsa-client')
          .setAudience(`${sb.url}${TOKEN}`)
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .encode(),
      ),
      /UnsupportedAlgorithm/,
    ],
    [
      'wrong aud',
      assertion({
        ...base,
        alg: 'PS256',
        aud: 'https://9999999.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
      }),
      /InvalidAudience/,
    ],
    ['wrong kid', assertion({ ...base, alg: 'PS256', kid: 'no-such-cert' }), /InvalidCertificateId/],
    ['wrong iss', assertion({ ...base, alg: 'PS256', iss: 'someone-else' }), /InvalidIntegration/],
    ['expired', assertion({ ...base, alg: 'PS256', iat: now - 7200, exp: now - 3700 }), /AssertionExpired/],
    ['> 60 minutes', assertion({ ...base, alg: 'PS256', iat: now, exp: now + 3601 }), /AssertionLifetimeTooLong/],
    ['typ not JWT', assertion({ ...base, alg: 'PS256', typ: 'at+jwt' }), /InvalidTokenType/],
    ['no rest_webservices scope', assertion({ ...base, alg: 'PS256', scope: ['restlets'] }), /ScopeMismatched/],
    [
      'signed by another key',
      assertion({
        ...base,
        alg: 'ES256',
        kid: sb.demoClient.certificateId,
        iss: sb.demoClient.clientId,
        pem: (await createCertificate({ kind: 'ec' })).privateKeyPem,
      }),
      /InvalidSignature/,
    ],
  ];
  for (const [name, jwt, reason] of cases) {
    const res = await exchange(await jwt);
    assert.equal(res.status, 400, name);
    assert.equal(res.body.error, 'invalid_grant', name);
    assert.equal(res.body.access_token, undefined, name);
    assert.match(await lastAuditDetail(), reason, name);
  }
  // Exactly 60 minutes is accepted (Oracle's own sample uses exp − iat = 3600).
  assert.equal((await exchange(await assertion({ ...base, alg: 'PS256', iat: now, exp: now + 3600 }))).status, 200);
});

test('expired and revoked certificates are refused', async () => {
  const expired = await createCertificate({ kind: 'ec', notBefore: new Date(Date.now() - 10 * 86_400_000), days: 2 });
  await control(sb, 'POST', 'm2m-mappings', {
    clientId: 'old-client',
    certificateId: 'old-cert',
    certificatePem: expired.certificatePem,
  });
  const res = await exchange(
    await assertion({ alg: 'ES256', kid: 'old-cert', iss: 'old-client', pem: expired.privateKeyPem }),
  );
  assert.equal(res.status, 400);
  assert.match(await lastAuditDetail(), /CertificateExpired/);

  const revoked = await createCertificate({ kind: 'ec' });
  await control(sb, 'POST', 'm2m-mappings', {
    clientId: 'rev-client',
    certificateId: 'rev-cert',
    certificatePem: revoked.certificatePem,
  });
  const client = clientFor(sb, {
    credentials: {
      clientId: 'rev-client',
      certificateId: 'rev-cert',
      privateKeyPem: revoked.privateKeyPem,
      algorithm: 'ES256',
    },
  });
  await client.governanceLimits();
  await control(sb, 'POST', 'm2m-mappings/rev-cert/revoke');
  await assert.rejects(client.governanceLimits(), (err: unknown) => {
    assert.ok(err instanceof NetSuiteAuthError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_grant');
    assert.ok(!err.message.includes(revoked.privateKeyPem.slice(40, 80)));
    return true;
  });
});

test('RSA keys under 3072 bits cannot be registered', async () => {
  const weak = await createCertificate({ kind: 'rsa', rsaBits: 2048 });
  await assert.rejects(
    control(sb, 'POST', 'm2m-mappings', {
      clientId: 'weak',
      certificateId: 'weak',
      certificatePem: weak.certificatePem,
    }),
    /3072/,
  );
});

test('one token serves many calls; it is re-minted before expiry and once after a 401', async () => {
  const client = clientFor(sb);
  await Promise.all(Array.from({ length: 20 }, () => client.governanceLimits()));
  assert.equal(client.tokens.mints, 1, 'never a token per call');

  // Short-lived tokens: the client re-mints shortly before expiry, without ever seeing a 401.
  await control(sb, 'POST', 'config', { tokenLifetimeSec: 2 });
  await control(sb, 'POST', 'stats/reset');
  try {
    const shortLived = clientFor(sb);
    const until = Date.now() + 4_400;
    let calls = 0;
    while (Date.now() < until) {
      await shortLived.governanceLimits();
      calls++;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(shortLived.tokens.mints >= 3, `mints ${shortLived.tokens.mints}`);
    assert.ok(shortLived.tokens.mints < calls, 'tokens are reused between calls');
    const stats = await control(sb, 'GET', 'stats');
    assert.equal(stats.requests['GET /services/rest/system/v1/governanceLimits']['401'], undefined);
  } finally {
    await control(sb, 'POST', 'config', { tokenLifetimeSec: 3600 });
  }

  // A token revoked server-side mid-run: the call gets a 401, the client re-mints once and succeeds.
  await control(sb, 'POST', 'stats/reset');
  const mintsBefore = client.tokens.mints;
  await control(sb, 'POST', 'faults', { kind: 'revoke-token', count: 1, route: 'governanceLimits' });
  await client.governanceLimits();
  assert.equal(client.tokens.mints, mintsBefore + 1);
  const stats = await control(sb, 'GET', 'stats');
  assert.equal(stats.requests['GET /services/rest/system/v1/governanceLimits']['401'], 1);
  assert.equal(stats.requests['GET /services/rest/system/v1/governanceLimits']['200'], 1);

  // A client whose clock lags thinks its token is still valid: the 401 path re-mints it.
  await control(sb, 'POST', 'config', { tokenLifetimeSec: 1 });
  try {
    let skew = 0;
    const lagging = clientFor(sb, { now: () => Date.now() - skew });
    await lagging.governanceLimits();
    skew = 0;
    await new Promise((r) => setTimeout(r, 1_100));
    skew = 1_000; // its clock now reads "before expiry"
    await lagging.governanceLimits();
    assert.equal(lagging.tokens.mints, 2);
  } finally {
    await control(sb, 'POST', 'config', { tokenLifetimeSec: 3600 });
  }
});

test('REST calls without a valid token get the documented 401', async () => {
  const res = await fetch(`${sb.url}/services/rest/system/v1/governanceLimits`, {
    headers: { authorization: 'Bearer not-a-token' },
  });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /Bearer realm="1234567_SB1", error="invalid_token"/);
  const body = (await res.json()) as any;
  assert.equal(body.status, 401);
  assert.equal(body['o:errorDetails'][0]['o:errorCode'], 'INVALID_LOGIN');
});
