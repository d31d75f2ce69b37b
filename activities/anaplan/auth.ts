/**
 * Anaplan authentication (docs/anaplan.md §2): Basic, CA certificate (v2 payload) and OAuth device grant
 * with a stored refresh token. One token per session: cached, refreshed shortly before it expires,
 * replaced once after a 401 — never minted per call, which Anaplan warns makes requests fail (§2.3).
 */
import { createSign, randomBytes } from 'node:crypto';
import type { z, ZodTypeAny } from 'zod';
import {
  ApiError,
  DEFAULT_RETRY_POLICY,
  TokenCache,
  readJson,
  send,
  sleep,
  withRetry,
  type CachedToken,
  type HttpResponse,
  type RetryPolicy,
  type TransportOptions,
} from '../http';
import type { TenantRequestBudget } from './budget';
import { AnaplanAuthError, fromResponse, parseAnaplan } from './errors';
import { AuthTokenResponse, DeviceCodeResponse, OAuthTokenResponse } from './types';

export type AnaplanCredentials =
  | { kind: 'basic'; email: string; password: string }
  | {
      kind: 'certificate';
      certificatePem: string;
      privateKeyPem: string;
      /** v2 (default) prefixes an 8-byte timestamp; Anaplan requires it from June 2026 (docs/anaplan.md §2.6). */
      format?: 'v1' | 'v2';
      /** Timestamp unit: Anaplan's own sample decodes to seconds (default); one client sends ms. UNCONFIRMED. */
      timestampUnit?: 's' | 'ms';
    }
  | {
      kind: 'refresh-token';
      clientId: string;
      refreshToken: string;
      /** Client secret: only authorization-code clients have one (docs/anaplan.md §2.7). */
      clientSecret?: string;
      /**
       * Called with a rotated refresh token before it is used further. Rotated tokens are single use,
       * so the caller must persist it durably (docs/anaplan.md §14.2); a failure here aborts the call.
       */
      onRefreshToken?: (refreshToken: string) => Promise<void> | void;
      /**
       * Where the credential lives when other processes (workers, `ping`) use it too. With a store,
       * every refresh happens under its lock: the stored tokens are re-read first, a newer refresh
       * token is adopted, an access token another process just obtained is used instead of
       * refreshing, and a rotated token is saved before the new access token is used (issue 13
       * item 5). `onRefreshToken` is not called then.
       */
      store?: OAuthTokenStore;
      /** An access token already in hand (e.g. from the device flow), used until it nears expiry. */
      accessToken?: string;
      accessTokenExpiresAt?: number;
    };

/** The OAuth tokens of one credential as stored (vault) and shared between processes. */
export interface StoredOAuthTokens {
  refreshToken: string;
  accessToken?: string;
  /** Epoch ms. */
  accessTokenExpiresAt?: number;
}

export interface OAuthTokenStore {
  /**
   * Runs `decide` holding the credential's cross-process lock, with the tokens stored now; `save` is
   * written before the lock is released and before `result` is returned.
   */
  exclusive<T>(decide: (stored: StoredOAuthTokens) => Promise<{ save?: StoredOAuthTokens; result: T }>): Promise<T>;
}

/** Shared plumbing for every Anaplan call: transport, budget limiter, retry policy. */
export interface AnaplanHttp {
  transport: TransportOptions;
  limiter?: TenantRequestBudget;
  retryPolicy?: RetryPolicy;
}

/**
 * Token requests are sent once: a failed login, refresh or logout surfaces to the API call's
 * pipeline, whose one retry loop decides whether to try again (issue 13 item 6 — a loop here inside
 * that one made up to attempts² token POSTs per call while the auth service answered 503).
 */
const ONE_ATTEMPT: RetryPolicy = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 };
const once = (http: AnaplanHttp): AnaplanHttp => ({ ...http, retryPolicy: ONE_ATTEMPT });

/** callJson, its answer parsed by `schema` (a mismatch is an AnaplanProtocolError naming the request). */
export async function callParsed<S extends ZodTypeAny>(
  schema: S,
  ...call: Parameters<typeof callJson>
): Promise<z.output<S>> {
  const [, method, url] = call;
  return parseAnaplan(schema, await callJson(...call), { method, path: url.pathname });
}

/** One JSON call with the shared HTTP policy (429/5xx/network retried); any other failure is mapped and thrown. */
export async function callJson(
  http: AnaplanHttp,
  method: 'GET' | 'POST',
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  signal?: AbortSignal,
): Promise<unknown> {
  return withRetry(
    async (attempt) => {
      const release = await http.limiter?.acquire(signal);
      let res: HttpResponse;
      try {
        res = await send(
          'anaplan',
          { method, url, headers: { accept: 'application/json', ...headers }, body, signal, attempt },
          http.transport,
        );
      } finally {
        release?.();
      }
      const parsed = await readJson(res);
      if (res.status >= 200 && res.status < 300) return parsed;
      throw fromResponse(res, parsed, { method, path: url.pathname });
    },
    { policy: http.retryPolicy, signal },
  );
}

/**
 * The CA-certificate body (docs/anaplan.md §2.6): random bytes (≥100), for v2 prefixed with an 8-byte
 * big-endian timestamp, signed SHA512withRSA over the raw bytes; the header carries base64 of the PEM.
 */
export function certificateAuthRequest(
  cred: Extract<AnaplanCredentials, { kind: 'certificate' }>,
  now = Date.now(),
): { authorization: string; body: string } {
  const random = randomBytes(100);
  let data = random;
  if ((cred.format ?? 'v2') === 'v2') {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(cred.timestampUnit === 'ms' ? now : Math.floor(now / 1000)));
    data = Buffer.concat([ts, random]);
  }
  const signature = createSign('SHA512').update(data).sign(cred.privateKeyPem, 'base64');
  const body: Record<string, string> = { encodedData: data.toString('base64'), encodedSignedData: signature };
  if ((cred.format ?? 'v2') === 'v2') body.encodedDataFormat = 'v2';
  return {
    authorization: `CACertificate ${Buffer.from(cred.certificatePem, 'utf8').toString('base64')}`,
    body: JSON.stringify(body),
  };
}

interface Session {
  value: string;
  expiresAt: number;
  /** Auth-service tokens refresh at `/token/refresh`; OAuth access tokens via the refresh token. */
  source: 'auth' | 'oauth';
}

export interface TokenManagerOptions {
  authUrl: string;
  oauthUrl: string;
  credentials: AnaplanCredentials;
  http: AnaplanHttp;
  /** Refresh this long before expiry (default 5 minutes of the 35-minute lifetime). */
  refreshMarginMs?: number;
  now?: () => number;
}

export class AnaplanTokenManager {
  /** The shared token cache (activities/http/token-cache.ts); a session is refreshed `margin` before it expires. */
  private readonly cache: TokenCache<Session & CachedToken>;
  private refreshToken?: string;
  readonly stats = { authenticated: 0, refreshed: 0, reauthenticatedAfter401: 0, adoptedFromStore: 0 };
  /** Access tokens the API refused (401): never adopted again from the store. */
  private readonly rejected = new Set<string>();
  private readonly now: () => number;
  private readonly margin: number;

  constructor(private readonly opts: TokenManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.margin = opts.refreshMarginMs ?? 5 * 60_000;
    this.cache = new TokenCache<Session & CachedToken>({
      // A session past its refresh point but not expired is refreshed; otherwise a new login (one request either way).
      obtain: (current, signal) =>
        (current ? this.refresh(current, signal) : this.mint(signal)).then(
          (session) => this.cached(session),
          (err: unknown) => {
            // The auth or OAuth service refused the credentials (bad password, unregistered certificate,
            // invalid_grant): never retried, so a shared integration user is not locked out.
            if (err instanceof AnaplanAuthError) err.loginRejected = true;
            throw err;
          },
        ),
      now: this.now,
    });
    const c = opts.credentials;
    if (c.kind === 'refresh-token') {
      this.refreshToken = c.refreshToken;
      if (c.accessToken && c.accessTokenExpiresAt)
        this.cache.seed(this.cached({ value: c.accessToken, expiresAt: c.accessTokenExpiresAt, source: 'oauth' }));
    }
  }

  private cached(session: Session): Session & CachedToken {
    return { ...session, refreshAt: session.expiresAt - this.margin };
  }

  /** A live token, refreshed or re-minted only when needed; concurrent callers share one in-flight request. */
  token(signal?: AbortSignal): Promise<string> {
    return this.cache.token(signal);
  }

  /** After a 401: drop the token (if still current) so the next call re-authenticates. */
  invalidate(value: string): void {
    this.rejected.add(value);
    if (this.cache.invalidate(value)) this.stats.reauthenticatedAfter401++;
  }

  /** Ends the session (`POST /token/logout`); OAuth access tokens simply lapse. */
  async logout(signal?: AbortSignal): Promise<void> {
    const s = this.cache.clear();
    if (!s || s.source !== 'auth') return;
    await callJson(
      once(this.opts.http),
      'POST',
      new URL('/token/logout', this.opts.authUrl),
      { authorization: `AnaplanAuthToken ${s.value}` },
      undefined,
      signal,
    ).catch(() => undefined);
  }

  private async mint(signal?: AbortSignal): Promise<Session> {
    const c = this.opts.credentials;
    this.stats.authenticated++;
    if (c.kind === 'refresh-token') return this.oauthRefresh(signal);
    const url = new URL('/token/authenticate', this.opts.authUrl);
    let headers: Record<string, string>;
    let body: string | undefined;
    if (c.kind === 'basic')
      headers = { authorization: `Basic ${Buffer.from(`${c.email}:${c.password}`, 'utf8').toString('base64')}` };
    else {
      const r = certificateAuthRequest(c, this.now());
      headers = { authorization: r.authorization, 'content-type': 'application/json' };
      body = r.body;
    }
    // A v2 certificate payload is single use (docs/anaplan.md §2.6): built afresh for every mint, and a
    // mint is one request, so a retry (by the API call's pipeline) always carries a new payload.
    const parsed = await callParsed(AuthTokenResponse, once(this.opts.http), 'POST', url, headers, body, signal);
    return { value: parsed.tokenInfo.tokenValue, expiresAt: parsed.tokenInfo.expiresAt, source: 'auth' };
  }

  private async refresh(s: Session, signal?: AbortSignal): Promise<Session> {
    if (s.source === 'oauth') return this.oauthRefresh(signal);
    try {
      const parsed = await callParsed(
        AuthTokenResponse,
        once(this.opts.http),
        'POST',
        new URL('/token/refresh', this.opts.authUrl),
        { authorization: `AnaplanAuthToken ${s.value}` },
        undefined,
        signal,
      );
      this.stats.refreshed++;
      // Adopt whatever comes back: live refresh kept the value, other sources show a new one (§2.3).
      return { value: parsed.tokenInfo.tokenValue, expiresAt: parsed.tokenInfo.expiresAt, source: 'auth' };
    } catch (err) {
      if (err instanceof AnaplanAuthError) return this.mint(signal);
      throw err;
    }
  }

  private async oauthRefresh(signal?: AbortSignal): Promise<Session> {
    const c = this.opts.credentials as Extract<AnaplanCredentials, { kind: 'refresh-token' }>;
    if (!c.store) return this.oauthRefreshAlone(signal);
    // Rotated refresh tokens are single use (docs/anaplan.md §2.7): two processes refreshing with the copy
    // each read at start would make the second fail with invalid_grant. Under the store's lock, take
    // what is stored now, which includes any rotation another process made meanwhile.
    return c.store.exclusive(async (stored) => {
      if (stored.refreshToken !== this.refreshToken) {
        this.refreshToken = stored.refreshToken;
        this.stats.adoptedFromStore++;
      }
      const a = stored.accessToken;
      if (
        a &&
        stored.accessTokenExpiresAt &&
        !this.rejected.has(a) &&
        a !== this.cache.current?.value &&
        this.now() < stored.accessTokenExpiresAt - this.margin
      ) {
        // Another process refreshed moments ago: its access token serves us too, no refresh needed.
        this.stats.adoptedFromStore++;
        return { result: { value: a, expiresAt: stored.accessTokenExpiresAt, source: 'oauth' as const } };
      }
      const { session, refreshToken } = await this.postRefresh(c, stored.refreshToken, signal);
      this.refreshToken = refreshToken;
      // Saved before the new access token is used: if the save fails, the call fails too.
      return {
        save: { refreshToken, accessToken: session.value, accessTokenExpiresAt: session.expiresAt },
        result: session,
      };
    });
  }

  /** One refresh-token grant; the rotated refresh token (or the same one, when not rotatable) comes back with the session. */
  private async postRefresh(
    c: Extract<AnaplanCredentials, { kind: 'refresh-token' }>,
    refreshToken: string,
    signal?: AbortSignal,
  ): Promise<{ session: Session; refreshToken: string }> {
    const body: Record<string, string> = {
      grant_type: 'refresh_token',
      client_id: c.clientId,
      refresh_token: refreshToken,
    };
    if (c.clientSecret) body.client_secret = c.clientSecret;
    const started = this.now();
    // Not retried on a lost response: a rotated refresh token would already be spent (docs/anaplan.md §14.2).
    const parsed = await callParsed(
      OAuthTokenResponse,
      once(this.opts.http),
      'POST',
      new URL('/oauth/token', this.opts.oauthUrl),
      { 'content-type': 'application/json' },
      JSON.stringify(body),
      signal,
    );
    this.stats.refreshed++;
    return {
      session: { value: parsed.access_token, expiresAt: started + parsed.expires_in * 1000, source: 'oauth' },
      refreshToken: parsed.refresh_token ?? refreshToken,
    };
  }

  /** Without a store (a single process holding the only copy): refresh and hand a rotated token to onRefreshToken. */
  private async oauthRefreshAlone(signal?: AbortSignal): Promise<Session> {
    const c = this.opts.credentials as Extract<AnaplanCredentials, { kind: 'refresh-token' }>;
    const { session, refreshToken } = await this.postRefresh(c, this.refreshToken!, signal);
    if (refreshToken !== this.refreshToken) {
      this.refreshToken = refreshToken;
      await c.onRefreshToken?.(refreshToken);
    }
    return session;
  }
}

export interface DeviceAuthorization extends DeviceCodeResponse {
  /** Epoch ms after which the device code is useless. */
  expiresAtMs: number;
}

/** Step 1 of the device grant: show `user_code` and `verification_uri` to a human (docs/anaplan.md §2.7). */
export async function startDeviceAuthorization(opts: {
  oauthUrl: string;
  clientId: string;
  scope?: string;
  http: AnaplanHttp;
  signal?: AbortSignal;
}): Promise<DeviceAuthorization> {
  const body = JSON.stringify({ client_id: opts.clientId, scope: opts.scope ?? 'openid profile email offline_access' });
  const parsed = await callParsed(
    DeviceCodeResponse,
    opts.http,
    'POST',
    new URL('/oauth/device/code', opts.oauthUrl),
    { 'content-type': 'application/json' },
    body,
    opts.signal,
  );
  return { ...parsed, expiresAtMs: Date.now() + parsed.expires_in * 1000 };
}

export interface DeviceTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

/**
 * Step 2: poll `/oauth/token` at the server's interval until the human approves. RFC 8628 §3.5:
 * `authorization_pending` → keep polling; `slow_down` → add 5 s to the interval; `expired_token`,
 * `access_denied` → fail.
 */
export async function pollDeviceToken(opts: {
  oauthUrl: string;
  clientId: string;
  device: DeviceAuthorization;
  http: AnaplanHttp;
  signal?: AbortSignal;
  slowDownIncrementMs?: number;
}): Promise<DeviceTokens> {
  let intervalMs = (opts.device.interval ?? 5) * 1000;
  const url = new URL('/oauth/token', opts.oauthUrl);
  const body = JSON.stringify({
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: opts.device.device_code,
    client_id: opts.clientId,
  });
  // Each poll is sent once and this loop alone paces the next one. Anaplan's status for
  // authorization_pending/slow_down is UNCONFIRMED (docs/anaplan.md §2.7): under a retryable status (429, as
  // some OAuth servers send slow_down) the request pipeline would re-poll within milliseconds — more
  // slow_downs, a burst the server may punish. Transient failures (5xx, dropped connections) get as
  // many tries as the request policy allows, each after the interval.
  const maxTransient = opts.http.retryPolicy?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts;
  let transient = 0;
  for (;;) {
    await sleep(intervalMs, opts.signal);
    try {
      const parsed = await callParsed(
        OAuthTokenResponse,
        once(opts.http),
        'POST',
        url,
        { 'content-type': 'application/json' },
        body,
        opts.signal,
      );
      if (!parsed.refresh_token)
        throw new AnaplanAuthError('device grant returned no refresh token (is offline_access in scope?)', {
          method: 'POST',
          path: url.pathname,
        });
      return {
        accessToken: parsed.access_token,
        refreshToken: parsed.refresh_token,
        expiresAt: Date.now() + parsed.expires_in * 1000,
      };
    } catch (err) {
      // The OAuth `error` field decides, whatever the HTTP status (400 per RFC 8628, or 401/403/429).
      const code = (err as { code?: string }).code;
      if (code === 'authorization_pending') continue;
      if (code === 'slow_down') {
        intervalMs += opts.slowDownIncrementMs ?? 5000;
        continue;
      }
      if (err instanceof ApiError && err.retryable && ++transient < maxTransient) continue;
      throw err;
    }
  }
}
