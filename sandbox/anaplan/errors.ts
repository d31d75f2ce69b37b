/**
 * Vendor-shaped error bodies, one helper per service, so every route fails the way the real one does
 * (docs/anaplan.md §2.4, §2.7, §3.2).
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from '../kit/router';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function reason(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** Integration API v2 envelope: `{status:{code,message}, path, timestamp}` (§3.2); status.code equals the HTTP status in every published example. */
export function apiError(
  res: ServerResponse,
  status: number,
  path: string,
  message = reason(status),
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { status: { code: status, message }, path, timestamp: new Date().toISOString() }, headers);
}

/** Auth service: `{status:"FAILURE_BAD_CREDENTIAL"|"FAILURE_BAD_HEADER", statusMessage}` (§2.4). */
export function authError(
  res: ServerResponse,
  status: 400 | 401,
  kind: 'FAILURE_BAD_CREDENTIAL' | 'FAILURE_BAD_HEADER',
  statusMessage: string,
): void {
  sendJson(res, status, { status: kind, statusMessage });
}

/** OAuth service: RFC 6749 §5.2 / RFC 8628 §3.5 body; 400 for every polling error (the status is UNCONFIRMED for Anaplan, 400 is the RFC's). */
export type OAuthErrorCode =
  | 'invalid_grant'
  | 'access_denied'
  | 'invalid_request'
  | 'unauthorized_client'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_client'
  | 'unsupported_grant_type';
export function oauthError(res: ServerResponse, error: OAuthErrorCode, description: string, status = 400): void {
  sendJson(res, status, { error, error_description: description });
}

/** Thrown inside handlers; the server turns it into the Integration envelope. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? reason(status));
  }
}
