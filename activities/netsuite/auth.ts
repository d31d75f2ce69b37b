/**
 * OAuth 2.0 client credentials with a JWT client assertion (docs/netsuite.md §2):
 * the assertion is signed with the customer's private key (PS256/ES256…, `kid` = certificate ID,
 * `iss` = client ID, `aud` = token URL), exchanged for a bearer token that is cached and re-minted
 * shortly before it expires, or once when a call comes back 401 — never one token per call.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8, type CryptoKey, type KeyObject } from 'jose';
import { TokenCache, parseRetryAfter, readText, send, type CachedToken, type TransportOptions } from '../http';
import { NetSuiteAuthError, NetSuiteError, parseNetSuite } from './errors';
import { TokenResponseSchema } from './types';

export const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';
/** §2.3: the algorithms NetSuite accepts; RS256 (PKCS#1 v1.5) is refused since March 2025. */
export type SigningAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface NetSuiteCredentials {
  /** Consumer key of the integration record (JWT `iss`). */
  clientId: string;
  /** Certificate ID from the M2M mapping (JWT `kid`). */
  certificateId: string;
  /** PKCS#8 PEM of the key whose certificate was uploaded. */
  privateKeyPem: string;
  algorithm: SigningAlgorithm;
  /** Default ['rest_webservices']. */
  scope?: string[];
}

export interface TokenProviderOptions {
  baseUrl: string;
  credentials: NetSuiteCredentials;
  transport: TransportOptions;
  now?: () => number;
}

const ACCEPTED_ALGORITHMS = new Set<string>(['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);

/** Assertion lifetime: the token endpoint requires exp − iat under 60 minutes (§2.3). */
const ASSERTION_LIFETIME_SEC = 300;
/** §2.5: tokens live 60 minutes; used when the response omits expires_in. */
const DEFAULT_TOKEN_LIFETIME_SEC = 3600;

/** What the client knows about the token a 401 came back on (see `judgeUnauthorized`). */
export interface UnauthorizedContext {
  /** The provider has minted another token since (someone else already answered a 401). */
  replaced: boolean;
  /** This request already re-minted once. */
  reminted: boolean;
  /** The token had served a successful call before this request was sent. */
  provenBefore: boolean;
  /** A call with this token succeeded after this request was sent: the token itself is fine. */
  succeededSince: boolean;
  /** Other requests were in flight (or admitted) while this one waited for its answer. */
  overlapped: boolean;
  /** An earlier 401 on this token was already judged a credential failure. */
  refused: boolean;
}

export type UnauthorizedVerdict = 'retry-current' | 'remint' | 'throttled' | 'credentials';

/**
 * What a 401 means. NetSuite answers an expired or revoked token with 401 INVALID_LOGIN (§2.6),
 * but over-limit calls have been seen to come back the same way, after a delay (§6.3, §12) — and
 * re-minting on every such 401 would flood the token endpoint and can lock the integration out.
 * So: a token that has worked is re-minted once (expiry, revocation); a 401 on a token that is
 * demonstrably good (another call with it succeeded meanwhile), or on a fresh token while other
 * requests are in flight, is throttling (back off, fewer in flight, same token); a fresh token
 * refused with nothing else in flight is a credential failure, reported at once.
 */
export function judgeUnauthorized(c: UnauthorizedContext): UnauthorizedVerdict {
  if (c.refused) return 'credentials';
  if (c.replaced && !c.reminted) return 'retry-current';
  if (c.succeededSince) return 'throttled';
  if (c.provenBefore && !c.reminted) return 'remint';
  return c.overlapped ? 'throttled' : 'credentials';
}

/** A NetSuite token in the shared cache, with what the 401 judgement needs to know about it. */
interface NetSuiteToken extends CachedToken {
  successes: number;
  lastSuccessAt: number;
  refused: boolean;
}

/** NetSuite's token source: the shared TokenCache, filled by signing an assertion and exchanging it. */
export class TokenProvider {
  private readonly cache: TokenCache<NetSuiteToken>;
  private key?: Promise<CryptoKey | KeyObject>;
  /** Tokens minted so far (for statistics and tests). */
  mints = 0;
  private readonly now: () => number;
  readonly tokenUrl: string;

  constructor(private readonly options: TokenProviderOptions) {
    this.now = options.now ?? Date.now;
    this.tokenUrl = `${options.baseUrl}${TOKEN_PATH}`;
    // NetSuite has no refresh grant for client credentials (§2.5): an expiring token is re-minted.
    this.cache = new TokenCache<NetSuiteToken>({ obtain: (_current, signal) => this.mint(signal), now: this.now });
  }

  /** A valid token, minting one only when there is none or it is about to expire. */
  token(signal?: AbortSignal): Promise<string> {
    return this.cache.token(signal);
  }

  /** Same as token() (the name callers such as `ping` use). */
  get(signal?: AbortSignal): Promise<string> {
    return this.cache.token(signal);
  }

  /** After a 401: drop the token if it is still the current one, so the next get() mints. */
  invalidate(token: string): void {
    this.cache.invalidate(token);
  }

  /** A call with `token` succeeded (the token is proven good). */
  noteSuccess(token: string): void {
    const c = this.cache.current;
    if (c?.value !== token) return;
    c.successes++;
    c.lastSuccessAt = this.now();
  }

  /** What the provider knows about `token` for judging a 401 on a request sent at `sentAt`. */
  describe(
    token: string,
    sentAt: number,
  ): { replaced: boolean; succeededSince: boolean; refused: boolean; successes: number } {
    const c = this.cache.current;
    if (c?.value !== token)
      return { replaced: c !== undefined || this.cache.obtaining, succeededSince: false, refused: false, successes: 0 };
    return {
      replaced: false,
      succeededSince: c.successes > 0 && c.lastSuccessAt >= sentAt,
      refused: c.refused,
      successes: c.successes,
    };
  }

  /** A fresh token was refused with nothing else in flight: later 401s on it fail at once too. */
  refuse(token: string): void {
    const c = this.cache.current;
    if (c?.value === token) c.refused = true;
  }

  private async mint(signal?: AbortSignal): Promise<NetSuiteToken> {
    const assertion = await this.assertion();
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
    const url = new URL(this.tokenUrl);
    // Lifetime counts from before the request, so the cached expiry is never later than the server's.
    const requestedAt = this.now();
    // One POST per mint, no retry loop of its own: a failed mint (503, 429, network) surfaces to the
    // API call's pipeline, whose one retry loop decides whether and when to try again — so a call
    // makes at most one token request per attempt, not attempts² (issue 13 item 6).
    const res = await send(
      'netsuite',
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal,
      },
      this.options.transport,
    );
    const json = parseJson(await readText(res));
    if (res.status >= 400) {
      const err = explainGrantRefusal(
        NetSuiteError.fromResponse(
          { status: res.status, body: json, retryAfterMs: parseRetryAfter(res.headers['retry-after']) },
          { method: 'POST', path: TOKEN_PATH },
        ),
        this.options.credentials,
      );
      // A refusal that is not about load (400 invalid_grant/invalid_client, 401) is the credentials themselves.
      if (!err.retryable) err.loginRejected = true;
      throw err;
    }
    const parsed = parseNetSuite(TokenResponseSchema, json, {
      method: 'POST',
      path: TOKEN_PATH,
      status: 200,
      what: 'token response',
    });
    const lifetimeMs = (parsed.expires_in ?? DEFAULT_TOKEN_LIFETIME_SEC) * 1000;
    const issuedAt = requestedAt;
    // Re-mint a little before expiry: 60 s, or 10% of short test lifetimes.
    const margin = Math.min(60_000, lifetimeMs * 0.1);
    this.mints++;
    return {
      value: parsed.access_token,
      expiresAt: issuedAt + lifetimeMs,
      refreshAt: issuedAt + lifetimeMs - margin,
      successes: 0,
      lastSuccessAt: 0,
      refused: false,
    };
  }

  private async assertion(): Promise<string> {
    const { credentials } = this.options;
    // Stored credentials may still say RS256 (the vault keeps what was entered): say so here rather
    // than sending an assertion NetSuite answers with a bare invalid_grant.
    if (!ACCEPTED_ALGORITHMS.has(credentials.algorithm)) {
      throw new NetSuiteAuthError(
        `NetSuite credentials for certificate ${credentials.certificateId}: algorithm ${String(credentials.algorithm)} is refused by NetSuite (RS256 since March 2025); sign with PS256 (same RSA key) or ES256`,
        { method: 'POST', path: TOKEN_PATH, loginRejected: true },
      );
    }
    this.key ??= importPKCS8(credentials.privateKeyPem, credentials.algorithm).catch(() => {
      this.key = undefined;
      throw new NetSuiteAuthError(
        `NetSuite credentials: the private key could not be read as PKCS#8 for ${credentials.algorithm}`,
        { method: 'POST', path: TOKEN_PATH, loginRejected: true },
      );
    });
    const key = await this.key;
    const iat = Math.floor(this.now() / 1000);
    // Scope as a JSON array, like Oracle's own sample assertion (§2.3, §10.8).
    return new SignJWT({ scope: credentials.scope ?? ['rest_webservices'] })
      .setProtectedHeader({ alg: credentials.algorithm, typ: 'JWT', kid: credentials.certificateId })
      .setIssuer(credentials.clientId)
      .setAudience(this.tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_SEC)
      .setJti(randomUUID())
      .sign(key);
  }
}

/**
 * Codes a refused assertion may come back with. The body is UNCONFIRMED (§2.6, FIDELITY N3): RFC 6749
 * `invalid_grant` (400) is expected, but `invalid_client` (401), the REST document's `INVALID_LOGIN`
 * (401) or a 401 without a code are as plausible. `invalid_request`/`unsupported_grant_type` are
 * about the request, not the credentials, and are left as they are.
 */
const ASSERTION_REFUSED = new Set(['invalid_grant', 'invalid_client', 'INVALID_LOGIN', undefined]);

/**
 * NetSuite answers a refused assertion without the reason and keeps it in its Login Audit Trail
 * (§2.6): name the certificate and the usual causes so the error is actionable, whatever the body.
 */
function explainGrantRefusal(err: NetSuiteError, credentials: NetSuiteCredentials): NetSuiteError {
  if (!(err instanceof NetSuiteAuthError) || !ASSERTION_REFUSED.has(err.code)) return err;
  return new NetSuiteAuthError(
    `${err.message} — NetSuite refused the client assertion for certificate ${credentials.certificateId}: the private key does not match the uploaded certificate, the certificate is expired or revoked, or the certificate ID is wrong (the exact reason is in NetSuite's Login Audit Trail)`,
    {
      method: 'POST',
      path: TOKEN_PATH,
      status: err.status,
      code: err.code,
      requestId: err.requestId,
      loginRejected: true,
    },
  );
}

export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
