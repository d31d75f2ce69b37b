/**
 * Base of every error the connector raises for a remote call. Vendor modules subclass it
 * (NetSuite*Error, Anaplan*Error) and decide `retryable`; the shared retry loop reads only these
 * fields. Messages carry method, path, status and vendor code — never headers, tokens or bodies
 * with financial data (docs/style.md §13).
 */
export interface ApiErrorFields {
  method: string;
  /** Request path without query string secrets (query strings are kept: they hold no secrets here). */
  path: string;
  status?: number;
  code?: string;
  requestId?: string;
  retryAfterMs?: number;
  /** The token endpoint refused the credentials themselves (see `loginRejected` below). */
  loginRejected?: boolean;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
  /** Whether the shared HTTP policy may try again (429, 5xx, network). */
  readonly retryable: boolean;
  /**
   * The login itself was refused (bad password, refused assertion, invalid_grant, unusable key):
   * never retried, by the pipeline or by Temporal, so a shared integration user is not locked out.
   * Set by the vendor's token source when a mint fails this way.
   */
  loginRejected: boolean;

  constructor(message: string, fields: ApiErrorFields, retryable: boolean) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.method = fields.method;
    this.path = fields.path;
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.retryAfterMs = fields.retryAfterMs;
    this.retryable = retryable;
    this.loginRejected = fields.loginRejected ?? false;
  }
}

/** Connection refused/reset, socket closed mid-response, timeouts: always retryable. */
export class NetworkError extends ApiError {
  constructor(fields: ApiErrorFields & { reason: string }) {
    super(`${fields.method} ${fields.path} failed: ${fields.reason}`, fields, true);
  }
}
