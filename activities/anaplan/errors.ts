/**
 * Anaplan errors: one class per category with typed fields, and one `fromResponse()` mapping HTTP
 * status + body to a class (docs/style.md §10). Status meanings per Anaplan's troubleshooting page
 * (docs/anaplan.md §3.2): 400 bad request, 401 token, 403 permission, 404 wrong/invisible object,
 * 409 model or object busy, 423 model locked, 429 rate limit, 5xx transient. Messages carry method,
 * path, status and Anaplan's own message/code — never a token or an Authorization header.
 */
import { ApiError, parseRetryAfter, redactText, wireParser, type ApiErrorFields } from '../http';
import type { TaskResult } from './types';

export interface AnaplanErrorFields extends ApiErrorFields {
  taskId?: string;
}

export class AnaplanError extends ApiError {
  readonly taskId?: string;
  constructor(message: string, fields: AnaplanErrorFields, retryable: boolean) {
    super(redactText(message), fields, retryable);
    this.taskId = fields.taskId;
  }
}

/** 401 and every auth/OAuth refusal (bad credentials, invalid_grant, expired device code…). */
export class AnaplanAuthError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, false);
  }
}
export class AnaplanForbiddenError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, false);
  }
}
/** 404 — also what a NO ACCESS model role looks like (docs/anaplan.md §14.10): not proof of deletion. */
export class AnaplanNotFoundError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, false);
  }
}
/** 400/405/413/422: the request itself is wrong; retrying cannot help. */
export class AnaplanValidationError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, false);
  }
}
/** 409/423: model busy or locked; Anaplan advises backing off and retrying (docs/anaplan.md §8, §14.7). */
export class AnaplanModelBusyError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, true);
  }
}
export class AnaplanRateLimitError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, true);
  }
}
export class AnaplanServerError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, true);
  }
}
/**
 * An open-ended upload could not be closed: `/complete` failed (5xx) and re-posting the exact chunk
 * count restarted the upload instead of closing it. The chunks are gone; upload again from a source
 * that can be re-read (a file on disk goes up with its exact count and needs no `/complete`).
 */
export class AnaplanUploadIncompleteError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, false);
  }
}
/** A 2xx response whose shape the client does not understand (changed API, wrong base URL): not retried. */
export class AnaplanProtocolError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields) {
    super(message, fields, false);
  }
}

/** An Anaplan response body parsed by its schema; a mismatch is an AnaplanProtocolError naming the request. */
export const parseAnaplan = wireParser('Anaplan', AnaplanProtocolError);
/** A task reached COMPLETE with `successful:false` (or its result is missing). */
export class AnaplanTaskFailedError extends AnaplanError {
  constructor(
    message: string,
    fields: AnaplanErrorFields & { taskId: string },
    readonly result?: TaskResult,
  ) {
    super(message, fields, false);
  }
}
/** A task ended CANCELLED (by us via AbortSignal, or by someone else). */
export class AnaplanTaskCancelledError extends AnaplanError {
  constructor(message: string, fields: AnaplanErrorFields & { taskId: string }) {
    super(message, fields, false);
  }
}

export interface ResponseInfo {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Pulls Anaplan's own message/code out of the three body shapes (Integration, auth, OAuth). */
function describe(body: unknown): { message?: string; code?: string } {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, any>;
  if (typeof b.error === 'string')
    return { code: b.error, message: typeof b.error_description === 'string' ? b.error_description : undefined };
  if (typeof b.status === 'string')
    return { code: b.status, message: typeof b.statusMessage === 'string' ? b.statusMessage : undefined };
  if (b.status && typeof b.status === 'object')
    return {
      message: typeof b.status.message === 'string' ? b.status.message : undefined,
      code: b.status.code !== undefined ? String(b.status.code) : undefined,
    };
  return {};
}

export function fromResponse(
  res: ResponseInfo,
  body: unknown,
  req: { method: string; path: string; taskId?: string },
): AnaplanError {
  const { message: vendorMessage, code } = describe(body);
  const requestId = [res.headers['x-request-id'], res.headers['x-anaplan-request-id']]
    .flat()
    .find((v): v is string => typeof v === 'string');
  const fields: AnaplanErrorFields = {
    method: req.method,
    path: req.path,
    status: res.status,
    code,
    requestId,
    taskId: req.taskId,
    retryAfterMs: parseRetryAfter(res.headers['retry-after']),
  };
  const message = `${req.method} ${req.path} failed with ${res.status}${code && code !== String(res.status) ? ` ${code}` : ''}${vendorMessage ? `: ${vendorMessage}` : ''}`;
  const s = res.status;
  if (s === 401) return new AnaplanAuthError(message, fields);
  if (s === 403) return new AnaplanForbiddenError(message, fields);
  if (s === 404) return new AnaplanNotFoundError(message, fields);
  if (s === 409 || s === 423) return new AnaplanModelBusyError(message, fields);
  if (s === 429) return new AnaplanRateLimitError(message, fields);
  if (s >= 500) return new AnaplanServerError(message, fields);
  // OAuth endpoints answer 400 for grant problems (invalid_grant, expired_token, access_denied): those are auth failures.
  if (
    s === 400 &&
    code !== undefined &&
    [
      'invalid_grant',
      'expired_token',
      'access_denied',
      'invalid_client',
      'unauthorized_client',
      'FAILURE_BAD_CREDENTIAL',
      'FAILURE_BAD_HEADER',
    ].includes(code)
  )
    return new AnaplanAuthError(message, fields);
  if (s >= 400) return new AnaplanValidationError(message, fields);
  return new AnaplanError(message, fields, false);
}
