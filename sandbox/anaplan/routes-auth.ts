/**
 * Authentication service (`/token/*`, docs/netsuite.md §2): Basic and CA-certificate login (v1 and v2 with its
 * 8-byte timestamp prefix and replay refusal), refresh, validate, logout. Success is 201 on
 * authenticate (live behaviour; the docs say 200) and the body shape of §2.2.
 */
import { X509Certificate, verify } from 'node:crypto';
import { authError } from './errors';
import { header, sendEmpty, sendJson, type Ctx, type Router } from '../kit/router';
import { readJsonBody } from '../kit/body';
import type { IssuedToken, SandboxState, SandboxUser } from './state';

/** Anaplan's samples use at least 100 random bytes (docs/anaplan.md §2.6). */
const MIN_RANDOM_BYTES = 100;

function tokenBody(state: SandboxState, token: IssuedToken, statusMessage: string) {
  return {
    meta: { validationUrl: `${state.baseUrl}/token/validate` },
    status: 'SUCCESS',
    statusMessage,
    tokenInfo: {
      tokenId: token.tokenId,
      tokenValue: token.value,
      expiresAt: token.expiresAt,
      refreshTokenId: token.refreshTokenId,
    },
  };
}

/** Token from `Authorization: AnaplanAuthToken <t>`; the token endpoints refuse `Bearer` (docs/anaplan.md §2.1). */
function presentedToken(ctx: Ctx): { value?: string; badHeader: boolean } {
  const h = header(ctx.req, 'authorization') ?? '';
  const m = /^AnaplanAuthToken\s+(\S+)$/.exec(h);
  return m ? { value: m[1], badHeader: false } : { badHeader: true };
}

export function registerAuthRoutes(router: Router, state: SandboxState): void {
  router.add('POST', '/token/authenticate', async (ctx) => {
    const h = header(ctx.req, 'authorization') ?? '';
    const [scheme, credential] = [h.slice(0, h.indexOf(' ')), h.slice(h.indexOf(' ') + 1).trim()];
    let user: SandboxUser | undefined;
    let method: 'basic' | 'certificate-v1' | 'certificate-v2';
    if (/^basic$/i.test(scheme) && credential) {
      method = 'basic';
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      const email = decoded.slice(0, sep);
      const candidate = sep > 0 ? state.userByEmail(email) : undefined;
      if (candidate?.password !== undefined && candidate.password === decoded.slice(sep + 1)) user = candidate;
      if (!user) {
        state.authLog.push({
          at: state.now(),
          kind: 'authenticate',
          method,
          email,
          ok: false,
          reason: 'bad credentials',
        });
        return authError(
          ctx.res,
          401,
          'FAILURE_BAD_CREDENTIAL',
          'Invalid credentials. Verify your username and password.',
        );
      }
    } else if (scheme === 'CACertificate' && credential) {
      const result = await certificateLogin(ctx, state, credential);
      if ('fail' in result) {
        state.authLog.push({
          at: state.now(),
          kind: 'authenticate',
          method: result.method,
          ok: false,
          reason: result.fail.message,
        });
        return authError(ctx.res, result.fail.status, result.fail.kind, result.fail.message);
      }
      user = result.user;
      method = result.method;
    } else {
      return authError(ctx.res, 401, 'FAILURE_BAD_HEADER', 'Invalid header. Verify the header.');
    }
    const token = state.issueToken(user.id, 'auth', state.config.tokenLifetimeSec);
    state.authLog.push({ at: state.now(), kind: 'authenticate', method, email: user.email, ok: true });
    sendJson(ctx.res, 201, tokenBody(state, token, 'Login successful'));
  });

  router.add('POST', '/token/refresh', (ctx) => {
    const { value, badHeader } = presentedToken(ctx);
    if (badHeader) return authError(ctx.res, 400, 'FAILURE_BAD_HEADER', 'Invalid header. Verify the header.');
    const token = state.liveToken(value!);
    if (!token || token.source !== 'auth') {
      state.authLog.push({ at: state.now(), kind: 'refresh', ok: false, reason: 'expired or revoked' });
      return authError(ctx.res, 401, 'FAILURE_BAD_CREDENTIAL', 'Invalid or expired token.');
    }
    // Live tests saw the same tokenValue come back with a later expiry; Anaplan Connect's fixtures
    // show a new value (docs/anaplan.md §2.3). Both are reproducible; clients must adopt what comes back.
    let out = token;
    if (state.config.refreshNewTokenValue) {
      out = state.issueToken(token.userId, 'auth', state.config.tokenLifetimeSec);
      out.tokenId = token.tokenId;
      token.revoked = true;
    } else token.expiresAt = state.now() + state.config.tokenLifetimeSec * 1000;
    state.authLog.push({ at: state.now(), kind: 'refresh', email: state.users.get(token.userId)?.email, ok: true });
    sendJson(ctx.res, 200, tokenBody(state, out, 'Token refreshed'));
  });

  router.add('GET', '/token/validate', (ctx) => {
    const { value, badHeader } = presentedToken(ctx);
    if (badHeader) return authError(ctx.res, 400, 'FAILURE_BAD_HEADER', 'Invalid header. Verify the header.');
    const token = state.liveToken(value!);
    if (!token) return authError(ctx.res, 401, 'FAILURE_BAD_CREDENTIAL', 'Invalid or expired token.');
    const user = state.users.get(token.userId)!;
    sendJson(ctx.res, 200, {
      meta: { validationUrl: `${state.baseUrl}/token/validate` },
      status: 'SUCCESS',
      statusMessage: 'Token validated',
      tokenInfo: { expiresAt: token.expiresAt, tokenId: token.tokenId },
      userInfo: { userGuid: user.id, userId: user.email, customerGuid: state.model.workspaceId },
    });
  });

  router.add('POST', '/token/logout', (ctx) => {
    const { value, badHeader } = presentedToken(ctx);
    if (badHeader) return authError(ctx.res, 401, 'FAILURE_BAD_HEADER', 'Invalid header. Verify the header.');
    const token = state.liveToken(value!);
    if (!token) return authError(ctx.res, 401, 'FAILURE_BAD_CREDENTIAL', 'Invalid or expired token.');
    token.revoked = true;
    state.authLog.push({ at: state.now(), kind: 'logout', email: state.users.get(token.userId)?.email, ok: true });
    sendEmpty(ctx.res, 204);
  });
}

type CertFailure = { status: 400 | 401; kind: 'FAILURE_BAD_CREDENTIAL' | 'FAILURE_BAD_HEADER'; message: string };

async function certificateLogin(
  ctx: Ctx,
  state: SandboxState,
  credential: string,
): Promise<
  | { user: SandboxUser; method: 'certificate-v1' | 'certificate-v2' }
  | { fail: CertFailure; method: 'certificate-v1' | 'certificate-v2' }
> {
  let method: 'certificate-v1' | 'certificate-v2' = 'certificate-v1';
  const bad = (status: 400 | 401, kind: CertFailure['kind'], message: string) => ({
    fail: { status, kind, message },
    method,
  });
  let cert: X509Certificate;
  try {
    // The header carries base64 of the whole PEM text (docs/anaplan.md §2.6 step 1).
    cert = new X509Certificate(Buffer.from(credential, 'base64').toString('utf8'));
  } catch {
    return bad(401, 'FAILURE_BAD_HEADER', 'Invalid header. Verify the header.');
  }
  let body: { encodedData?: unknown; encodedSignedData?: unknown; encodedDataFormat?: unknown };
  try {
    body = ((await readJsonBody(ctx.req)) ?? {}) as typeof body;
  } catch {
    return bad(400, 'FAILURE_BAD_HEADER', 'Invalid request body.');
  }
  if (typeof body.encodedData !== 'string' || typeof body.encodedSignedData !== 'string')
    return bad(400, 'FAILURE_BAD_HEADER', 'encodedData and encodedSignedData are required.');
  if (body.encodedDataFormat === 'v2') method = 'certificate-v2';
  const user = state.userByCertificate(cert.fingerprint256);
  if (!user) return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Certificate is not registered.');
  const now = state.now();
  if (Date.parse(cert.validTo) < now || Date.parse(cert.validFrom) > now)
    return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Certificate is expired or not yet valid.');
  const data = Buffer.from(body.encodedData, 'base64');
  const signature = Buffer.from(body.encodedSignedData, 'base64');
  if (method === 'certificate-v2') {
    if (data.length < 8 + MIN_RANDOM_BYTES) return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Invalid encoded data.');
    // 8-byte big-endian timestamp prefix. Anaplan's sample decodes to Unix seconds; one client sends
    // milliseconds (docs/anaplan.md §2.6, UNCONFIRMED) — both are accepted, told apart by magnitude.
    const raw = Number(data.readBigUInt64BE(0));
    const tsMs = raw > 1e11 ? raw : raw * 1000;
    if (Math.abs(now - tsMs) > state.config.certSkewSec * 1000)
      return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Encoded data timestamp is outside the accepted window.');
  } else {
    if (state.config.requireCertV2) return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Encoded data format v2 is required.');
    if (data.length < MIN_RANDOM_BYTES) return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Invalid encoded data.');
  }
  // SHA512withRSA over the raw bytes, not their base64 (docs/anaplan.md §2.6 step 3).
  if (!verify('sha512', data, cert.publicKey, signature))
    return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Signature verification failed.');
  // v2 payloads cannot be reused (docs/anaplan.md §2.6 step 5).
  if (
    method === 'certificate-v2' &&
    !state.rememberCertPayload(body.encodedData, now + 2 * state.config.certSkewSec * 1000)
  )
    return bad(401, 'FAILURE_BAD_CREDENTIAL', 'Encoded data has already been used.');
  return { user, method };
}
