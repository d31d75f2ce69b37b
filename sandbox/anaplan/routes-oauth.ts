/**
 * OAuth 2.0 device grant (docs/anaplan.md §2.7, RFC 8628): `/oauth/device/code` issues a device and user
 * code; `/oauth/token` answers authorization_pending until the control plane approves (standing in
 * for the human at the verification URI), slow_down when polled faster than `interval`, expired_token
 * after `expires_in`; refresh tokens rotate (single use) or not, per the client's setting.
 */
import { randomBytes } from 'node:crypto';
import { oauthError } from './errors';
import { sendJson, type Ctx, type Router } from '../kit/router';
import { readBody } from '../kit/body';
import type { SandboxState } from './state';

/** Rotatable refresh-token expiry default, 43,000 s (docs/anaplan.md §2.7). */
const ROTATABLE_REFRESH_TTL_SEC = 43_000;
const SCOPE_GRANTED = 'openid email offline_access';

/** Anaplan documents JSON bodies; RFC 6749 uses form encoding. Both are accepted. */
async function params(ctx: Ctx): Promise<Record<string, string>> {
  const buf = await readBody(ctx.req);
  const text = buf.toString('utf8');
  if (text.trim().startsWith('{')) {
    const obj = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, String(v)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function userCode(): string {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ';
  const b = randomBytes(8);
  const s = [...b].map((x) => letters[x % letters.length]).join('');
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

export function registerOAuthRoutes(router: Router, state: SandboxState): void {
  router.add('POST', '/oauth/device/code', async (ctx) => {
    let p: Record<string, string>;
    try {
      p = await params(ctx);
    } catch {
      return oauthError(ctx.res, 'invalid_request', 'Malformed body.');
    }
    if (!p.client_id || !state.oauthClients.has(p.client_id))
      return oauthError(ctx.res, 'invalid_client', 'Unknown client.', 401);
    const d = {
      deviceCode: randomBytes(24).toString('base64url'),
      userCode: userCode(),
      clientId: p.client_id,
      scope: p.scope ?? SCOPE_GRANTED,
      expiresAt: state.now() + state.config.deviceCodeTtlSec * 1000,
      intervalMs: state.config.deviceIntervalSec * 1000,
      denied: false,
      consumed: false,
    };
    state.devices.set(d.deviceCode, d);
    state.authLog.push({ at: state.now(), kind: 'device-code', ok: true });
    const verification = `${state.baseUrl}/activate`;
    sendJson(ctx.res, 200, {
      device_code: d.deviceCode,
      user_code: d.userCode,
      verification_uri: verification,
      verification_uri_complete: `${verification}?user_code=${d.userCode}`,
      expires_in: state.config.deviceCodeTtlSec,
      interval: state.config.deviceIntervalSec,
    });
  });

  router.add('POST', '/oauth/token', async (ctx) => {
    let p: Record<string, string>;
    try {
      p = await params(ctx);
    } catch {
      return oauthError(ctx.res, 'invalid_request', 'Malformed body.');
    }
    const client = p.client_id ? state.oauthClients.get(p.client_id) : undefined;
    if (!client) return oauthError(ctx.res, 'invalid_client', 'Unknown client.', 401);
    const now = state.now();
    if (p.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
      const d = state.devices.get(p.device_code ?? '');
      if (!d || d.clientId !== p.client_id || d.consumed)
        return oauthError(ctx.res, 'invalid_grant', 'Invalid device code.');
      if (d.expiresAt <= now) return oauthError(ctx.res, 'expired_token', 'The device code has expired.');
      if (d.denied) return oauthError(ctx.res, 'access_denied', 'The user denied the request.');
      const tooSoon = d.lastPollAt !== undefined && now - d.lastPollAt < d.intervalMs;
      d.lastPollAt = now;
      // 400 per RFC 8628; `devicePollStatus` plays another status (Anaplan's is UNCONFIRMED, docs/anaplan.md §2.7).
      if (tooSoon || !d.approvedUserId) {
        // Logged so tests can count early polls (slow_down) without timing anything.
        state.authLog.push({
          at: now,
          kind: 'oauth-token',
          method: 'device',
          ok: false,
          reason: tooSoon ? 'slow_down' : 'authorization_pending',
        });
        return tooSoon
          ? oauthError(ctx.res, 'slow_down', 'Polling too frequently.', state.config.devicePollStatus)
          : oauthError(
              ctx.res,
              'authorization_pending',
              'The user has not yet approved the request.',
              state.config.devicePollStatus,
            );
      }
      d.consumed = true;
      state.authLog.push({
        at: now,
        kind: 'oauth-token',
        method: 'device',
        email: state.users.get(d.approvedUserId)?.email,
        ok: true,
      });
      return issue(ctx, state, d.approvedUserId, d.clientId, client.rotatable, d.scope);
    }
    if (p.grant_type === 'refresh_token') {
      const rt = state.refreshTokens.get(p.refresh_token ?? '');
      // A rotated refresh token is single use: presenting it again fails (docs/anaplan.md §2.7, §14.2).
      if (!rt || rt.clientId !== p.client_id || rt.used || (rt.expiresAt !== undefined && rt.expiresAt <= now)) {
        state.authLog.push({
          at: now,
          kind: 'oauth-refresh',
          method: 'refresh_token',
          ok: false,
          reason: rt?.used ? 'reused' : 'invalid',
        });
        return oauthError(ctx.res, 'invalid_grant', 'Invalid refresh token.');
      }
      if (client.rotatable) rt.used = true;
      state.authLog.push({
        at: now,
        kind: 'oauth-refresh',
        method: 'refresh_token',
        email: state.users.get(rt.userId)?.email,
        ok: true,
      });
      return issue(
        ctx,
        state,
        rt.userId,
        rt.clientId,
        client.rotatable,
        rt.scope,
        client.rotatable ? undefined : rt.value,
      );
    }
    return oauthError(ctx.res, 'unsupported_grant_type', 'Unsupported grant type.');
  });
}

function issue(
  ctx: Ctx,
  state: SandboxState,
  userId: string,
  clientId: string,
  rotatable: boolean,
  scope: string,
  keepRefresh?: string,
): void {
  const access = state.issueToken(userId, 'oauth', state.config.oauthAccessTokenSec);
  let refresh = keepRefresh;
  if (!refresh) {
    refresh = randomBytes(32).toString('base64url');
    state.refreshTokens.set(refresh, {
      value: refresh,
      clientId,
      userId,
      scope,
      used: false,
      expiresAt: rotatable ? state.now() + ROTATABLE_REFRESH_TTL_SEC * 1000 : undefined,
    });
  }
  sendJson(ctx.res, 200, {
    access_token: access.value,
    refresh_token: refresh,
    id_token: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: userId })).toString('base64url')}.`,
    // The live service dropped `profile` from the granted scope (docs/anaplan.md §2.7).
    scope: scope
      .split(' ')
      .filter((s) => s !== 'profile')
      .join(' '),
    expires_in: state.config.oauthAccessTokenSec,
    token_type: 'Bearer',
  });
}
