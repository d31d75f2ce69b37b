/**
 * OAuth 2.0 client credentials (M2M) as NetSuite runs it (docs/netsuite.md §2):
 * a mapping registers (client ID, certificate ID, certificate); the client posts a JWT assertion
 * signed with the certificate's key; the token endpoint checks it strictly and returns an opaque
 * bearer token with no refresh token. Failure reasons are not in the response (NetSuite only shows
 * them in the Login Audit Trail), so the sandbox keeps a login audit trail on its control plane.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { inspectCertificate } from '../certs';
import { invalidLogin, oauthError, type SandboxResponse } from './errors';

export const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';
/** §2.3: PS256/384/512 and ES256/384/512 only; RS256 is no longer accepted (§2.3, §10.8). */
export const ACCEPTED_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** "exp must be less than 60 minutes greater than iat"; Oracle's sample uses exactly 3600 (§2.3). */
const MAX_ASSERTION_LIFETIME_SEC = 3600;
const CLOCK_SKEW_SEC = 30;

export interface M2MMapping {
  clientId: string;
  certificateId: string;
  certificatePem: string;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  revoked: boolean;
}

interface IssuedToken {
  clientId: string;
  certificateId: string;
  expiresAt: number;
}

export interface LoginAuditEntry {
  time: string;
  clientId?: string;
  certificateId?: string;
  status: 'Success' | 'Failure';
  detail: string;
}

export class MappingError extends Error {}

/**
 * The body of a refused client assertion. Oracle publishes no example (§2.6, UNCONFIRMED): RFC 6749
 * §5.2 `{"error":"invalid_grant"}` with 400 is the default; the alternatives add an
 * `error_description`, answer 401 `invalid_client` (also RFC 6749), or use the REST error document
 * (401 `INVALID_LOGIN`, like the record and query services).
 */
export const TOKEN_ERROR_SHAPES = ['oauth', 'oauth-described', 'oauth-401', 'rest'] as const;
export type TokenErrorShape = (typeof TOKEN_ERROR_SHAPES)[number];

export class AuthRegistry {
  readonly mappings = new Map<string, M2MMapping>();
  private readonly tokens = new Map<string, IssuedToken>();
  readonly audit: LoginAuditEntry[] = [];
  tokensIssued = 0;
  /** `expires_in` as the string `"3600"` (default) or the number 3600 (§2.5, UNCONFIRMED). */
  expiresIn: 'string' | 'number' = 'string';
  tokenErrorShape: TokenErrorShape = 'oauth';

  constructor(
    readonly accountId: string,
    public tokenLifetimeSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Setup > Integration > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup. */
  register(clientId: string, certificateId: string, certificatePem: string): M2MMapping {
    if (!clientId || !certificateId || !certificatePem)
      throw new MappingError('clientId, certificateId and certificatePem are required');
    let info: ReturnType<typeof inspectCertificate>;
    try {
      info = inspectCertificate(certificatePem);
    } catch {
      throw new MappingError('certificatePem is not a valid X.509 certificate');
    }
    const { publicKey } = info;
    // §2.2: RSA 3072 or 4096 bits; EC P-256, P-384 or P-521.
    if (publicKey.asymmetricKeyType === 'rsa' || publicKey.asymmetricKeyType === 'rsa-pss') {
      const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 3072) throw new MappingError(`RSA keys must be 3072 or 4096 bits, got ${bits}`);
    } else if (publicKey.asymmetricKeyType === 'ec') {
      const curve = publicKey.asymmetricKeyDetails?.namedCurve;
      if (!['prime256v1', 'secp384r1', 'secp521r1'].includes(curve ?? ''))
        throw new MappingError(`EC curve ${curve} is not accepted`);
    } else throw new MappingError(`key type ${publicKey.asymmetricKeyType} is not accepted`);
    const mapping: M2MMapping = {
      clientId,
      certificateId,
      certificatePem,
      publicKey,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      revoked: false,
    };
    this.mappings.set(certificateId, mapping);
    return mapping;
  }

  revokeMapping(certificateId: string): boolean {
    const m = this.mappings.get(certificateId);
    if (!m) return false;
    m.revoked = true;
    for (const [token, t] of this.tokens) if (t.certificateId === certificateId) this.tokens.delete(token);
    return true;
  }

  revokeToken(token: string): boolean {
    return this.tokens.delete(token);
  }

  revokeAllTokens(): number {
    const n = this.tokens.size;
    this.tokens.clear();
    return n;
  }

  /** POST /services/rest/auth/oauth2/v1/token (form-encoded, §2.4). */
  async issueToken(form: URLSearchParams, acceptedAudiences: string[]): Promise<SandboxResponse> {
    if (form.get('grant_type') !== 'client_credentials')
      return this.refuse(
        oauthError(400, form.get('grant_type') ? 'unsupported_grant_type' : 'invalid_request'),
        'grant_type must be client_credentials',
      );
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return this.refuse(oauthError(400, 'invalid_request'), 'client_assertion_type must be jwt-bearer');
    const assertion = form.get('client_assertion');
    if (!assertion) return this.refuse(oauthError(400, 'invalid_request'), 'client_assertion missing');

    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return this.refuse(oauthError(400, 'invalid_request'), 'malformed client_assertion');
    }
    const grant = (detail: string, m?: M2MMapping) => this.refuse(this.grantRefusal(), detail, m);
    if (!header.alg || !ACCEPTED_ALGORITHMS.includes(header.alg))
      return grant(`UnsupportedAlgorithm: ${String(header.alg)}`);
    if (String(header.typ ?? '').toUpperCase() !== 'JWT') return grant('InvalidTokenType: typ must be JWT');
    const mapping = header.kid ? this.mappings.get(header.kid) : undefined;
    if (!mapping) return grant(`InvalidCertificateId: ${String(header.kid)}`);
    const nowMs = this.now();
    if (mapping.revoked) return grant('CertificateRevoked', mapping);
    if (mapping.notAfter.getTime() <= nowMs || mapping.notBefore.getTime() > nowMs)
      return grant('CertificateExpired', mapping);

    let claims: Record<string, unknown>;
    try {
      const { payload } = await compactVerify(assertion, mapping.publicKey, { algorithms: [header.alg] });
      claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
    } catch {
      return grant('InvalidSignature', mapping);
    }
    if (claims.iss !== mapping.clientId)
      return grant('InvalidIntegration: iss is not the client ID of the mapping', mapping);
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && acceptedAudiences.includes(a)))
      return grant('InvalidAudience', mapping);
    const iat = claims.iat;
    const exp = claims.exp;
    const now = nowMs / 1000;
    if (typeof iat !== 'number' || typeof exp !== 'number') return grant('MissingIatOrExp', mapping);
    if (iat > now + CLOCK_SKEW_SEC) return grant('IssuedInTheFuture', mapping);
    if (exp <= now - CLOCK_SKEW_SEC) return grant('AssertionExpired', mapping);
    if (exp - iat > MAX_ASSERTION_LIFETIME_SEC || exp <= iat) return grant('AssertionLifetimeTooLong', mapping);
    // §2.3/§10.8: scope is documented comma-separated but Oracle's own sample is an array; accept both.
    const scopes = Array.isArray(claims.scope)
      ? claims.scope.map(String)
      : typeof claims.scope === 'string'
        ? claims.scope.split(/[\s,]+/)
        : [];
    if (!scopes.includes('rest_webservices')) return grant('ScopeMismatched', mapping);

    if (this.tokens.size > 1000) for (const [t, v] of this.tokens) if (v.expiresAt <= nowMs) this.tokens.delete(t);
    const token = randomBytes(48).toString('base64url');
    this.tokens.set(token, {
      clientId: mapping.clientId,
      certificateId: mapping.certificateId,
      expiresAt: nowMs + this.tokenLifetimeSec * 1000,
    });
    this.tokensIssued++;
    this.log('Success', 'TokenIssued', mapping);
    // §2.5: access_token, expires_in, token_type; no refresh token in client credentials.
    return {
      status: 200,
      body: {
        access_token: token,
        expires_in: this.expiresIn === 'number' ? this.tokenLifetimeSec : String(this.tokenLifetimeSec),
        token_type: 'bearer',
      },
    };
  }

  private grantRefusal(): SandboxResponse {
    switch (this.tokenErrorShape) {
      case 'oauth-described':
        return {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'The provided authorization grant is invalid.' },
        };
      case 'oauth-401':
        return oauthError(401, 'invalid_client');
      case 'rest':
        return invalidLogin(this.accountId);
      default:
        return oauthError(400, 'invalid_grant');
    }
  }

  /** Checks `Authorization: Bearer …`; returns the token or the documented 401 (§2.6). */
  authenticate(authorization: string | undefined): { token: string } | SandboxResponse {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const issued = m ? this.tokens.get(m[1]!) : undefined;
    if (!m || !issued) return this.refuse(invalidLogin(this.accountId), m ? 'TokenRejected' : 'MissingAuthorization');
    if (issued.expiresAt <= this.now()) {
      this.tokens.delete(m[1]!);
      return this.refuse(invalidLogin(this.accountId), 'AccessTokenExpired');
    }
    return { token: m[1]! };
  }

  private refuse(res: SandboxResponse, detail: string, mapping?: M2MMapping): SandboxResponse {
    this.log('Failure', detail, mapping);
    return res;
  }

  private log(status: LoginAuditEntry['status'], detail: string, mapping?: M2MMapping): void {
    this.audit.push({
      time: new Date(this.now()).toISOString(),
      clientId: mapping?.clientId,
      certificateId: mapping?.certificateId,
      status,
      detail,
    });
    if (this.audit.length > 1000) this.audit.splice(0, this.audit.length - 1000);
  }
}
