/**
 * NetSuite errors: one class per category, one `fromResponse()` mapping status + body
 * (docs/style.md §10, pinned by test/unit/netsuite-errors.test.ts). Fields carry status, `o:errorCode`
 * and `o:errorPath`; messages carry method, path and NetSuite's detail text — never a token, key,
 * assertion or request body (docs/style.md §13). Branch on status + code + path, not on detail text
 * (docs/netsuite.md §6.1).
 */
import { ApiError, redactText, wireParser, type ApiErrorFields } from '../http';
import { ErrorBodySchema } from './types';

export interface NetSuiteErrorDetail {
  detail: string;
  code?: string;
  /** JSON path into the request body, e.g. `line.items[1].account`. */
  path?: string;
  queryParam?: string;
}

export interface NetSuiteErrorFields extends ApiErrorFields {
  details?: NetSuiteErrorDetail[];
  /** The field the (first) error names, from `o:errorPath`. */
  errorPath?: string;
}

/** Codes that mean "over the concurrency limit" even when the status is not 429 (§6.3). */
const RATE_LIMIT_CODES = new Set([
  'CONCURRENCY_LIMIT_EXCEEDED',
  'SSS_REQUEST_LIMIT_EXCEEDED',
  'WS_CONCUR_SESSION_DISALLWD',
  'WS_REQUEST_BLOCKED',
]);
const OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

export class NetSuiteError extends ApiError {
  readonly details: NetSuiteErrorDetail[];
  readonly errorPath?: string;

  constructor(message: string, fields: NetSuiteErrorFields, retryable: boolean) {
    super(redactText(message), fields, retryable);
    this.details = fields.details ?? [];
    this.errorPath = fields.errorPath;
  }

  /**
   * Maps an HTTP error response to its class:
   * 401 (and OAuth `{error}` bodies) → Auth; 403 → Permission; 404 → NotFound; 429 or a
   * concurrency code → RateLimit (retryable); 5xx → Server (retryable); other 4xx → Validation.
   */
  static fromResponse(
    res: { status: number; body: unknown; retryAfterMs?: number; requestId?: string },
    req: { method: string; path: string },
  ): NetSuiteError {
    const parsed = ErrorBodySchema.safeParse(res.body);
    const body = parsed.success ? parsed.data : {};
    const details: NetSuiteErrorDetail[] = (body['o:errorDetails'] ?? []).map((d) => ({
      detail: truncate(d.detail ?? ''),
      code: d['o:errorCode'],
      path: d['o:errorPath'],
      queryParam: d['o:errorQueryParam'],
    }));
    const oauth = body.error !== undefined && OAUTH_ERRORS.has(body.error) ? body.error : undefined;
    const code = details[0]?.code ?? oauth;
    const text =
      details
        .map((d) => d.detail)
        .filter(Boolean)
        .join(' | ') ||
      body.title ||
      oauth ||
      '';
    const fields: NetSuiteErrorFields = {
      method: req.method,
      path: req.path,
      status: res.status,
      code,
      requestId: res.requestId,
      retryAfterMs: res.retryAfterMs,
      details,
      errorPath: details.find((d) => d.path !== undefined)?.path,
    };
    const message = `NetSuite ${req.method} ${req.path} → ${res.status}${code ? ` ${code}` : ''}${fields.errorPath ? ` at ${fields.errorPath}` : ''}${text ? `: ${text}` : ''}`;
    const s = res.status;
    if (s === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code)))
      return new NetSuiteRateLimitError(message, fields);
    if (s === 401 || oauth !== undefined) return new NetSuiteAuthError(message, fields);
    if (s === 403) return new NetSuitePermissionError(message, fields);
    if (s === 404) return new NetSuiteNotFoundError(message, fields);
    if (s >= 500) return new NetSuiteServerError(message, fields);
    return new NetSuiteValidationError(message, fields);
  }
}

/** Token refused, token invalid after one re-mint, or credentials unusable. Not retried. */
export class NetSuiteAuthError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, false);
  }
}
/** The role lacks a permission (403). Not retried. */
export class NetSuitePermissionError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, false);
  }
}
/** Record or resource does not exist (404). Not retried. */
export class NetSuiteNotFoundError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, false);
  }
}
/** The request was refused as invalid (400/405/409/415/422…): `code` and `errorPath` say why. Not retried. */
export class NetSuiteValidationError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, false);
  }
}
/** Over the account's concurrency limit (429 or a concurrency code). Retried with backoff. */
export class NetSuiteRateLimitError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, true);
  }
}
/** NetSuite failed (5xx). Retried with backoff. */
export class NetSuiteServerError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, true);
  }
}
/** A 2xx response whose shape the client does not understand (changed API, wrong base URL). */
export class NetSuiteProtocolError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, false);
  }
}
/** A NetSuite response body parsed by its schema; a mismatch is a NetSuiteProtocolError naming the request. */
export const parseNetSuite = wireParser('NetSuite', NetSuiteProtocolError);
/** A SuiteQL query has more rows than offset paging can reach (100,000, §3.1): use keyset paging. */
export class NetSuiteResultLimitError extends NetSuiteError {
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, fields, false);
  }
}
/** One field where the journal NetSuite holds differs from the one the connector sent. */
export interface JournalDifference {
  field: 'lines' | 'debitTotal' | 'creditTotal' | 'postingPeriod' | 'subsidiary' | 'accountingBook' | 'record';
  sent: string;
  held: string;
}

export const describeDifferences = (d: JournalDifference[]) =>
  d.map((x) => `${x.field} sent ${x.sent}, NetSuite holds ${x.held}`).join('; ');

/**
 * A journal write NetSuite accepted (2xx) but stored differently from what was sent — lines appended,
 * re-dated into another period, book ignored — and one repair with the documented call did not fix.
 * Not retried: the same call would do the same. `removed` says whether the connector deleted the
 * journal it had just created (so nothing wrong stays in the ledger); an existing one is left as found.
 */
export class NetSuiteJournalMismatchError extends NetSuiteError {
  constructor(
    readonly externalId: string,
    readonly differences: JournalDifference[],
    readonly removed: boolean,
    fields: NetSuiteErrorFields,
    /** Why NetSuite refused the repair call, when it did. */
    readonly repairRefused?: string,
  ) {
    super(
      `NetSuite stored journal ${externalId} differently from what was sent (${describeDifferences(differences)}) ${repairRefused ? `and refused the repair (${repairRefused})` : 'after one repair'}; ${removed ? 'the journal this write created was deleted again' : 'the journal existed before and is left as NetSuite holds it'}`,
      { ...fields, code: fields.code ?? 'JOURNAL_MISMATCH' },
      false,
    );
  }
}

/**
 * A freshly minted token refused (401) with no other request in flight: the credentials, role or
 * integration record are unusable. Reported at once and never retried, by this client or by
 * Temporal — repeated logins would only add failed entries and can lock the integration out.
 */
export class NetSuiteCredentialsError extends NetSuiteAuthError {
  /** This 401 must not be retried (kept for callers that test for it; `loginRejected` is what the pipeline reads). */
  readonly credentialsRefused = true;
  constructor(message: string, fields: NetSuiteErrorFields) {
    super(message, { ...fields, loginRejected: true });
  }
}
/**
 * A 401 "Invalid login attempt" judged to be concurrency throttling (docs/netsuite.md §6.3, §12): the
 * token is good or fresh and other requests were in flight. Retried with backoff, like a 429.
 */
export class NetSuiteLoginThrottledError extends NetSuiteRateLimitError {}

function truncate(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
