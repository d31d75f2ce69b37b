/**
 * Vendor-shaped error responses. NetSuite REST errors are RFC-2616-flavoured problem documents:
 * `type` (section URI), `title`, `status`, `o:errorDetails[]` with `detail`, `o:errorCode` and
 * optional `o:errorPath` / `o:errorQueryParam` (docs/netsuite.md §6.1, Oracle
 * section_156570709583). The 401 carries `WWW-Authenticate` with the account as realm (§2.6).
 */

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is already a string or Buffer. */
  body?: unknown;
}

export interface ErrorDetailInput {
  detail: string;
  code: string;
  /** JSON path into the request body, e.g. `line.items[2].account`. */
  path?: string;
  queryParam?: string;
}

const RFC2616 = 'https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html';
// §6.1: 400 and 401 anchors are observed; 403/404/405/429/5xx anchors follow the same numbering (UNCONFIRMED).
const TYPES: Record<number, [string, string]> = {
  400: [`${RFC2616}#sec10.4.1`, 'Bad Request'],
  401: [`${RFC2616}#sec10.4.2`, 'Unauthorized'],
  403: [`${RFC2616}#sec10.4.4`, 'Forbidden'],
  404: [`${RFC2616}#sec10.4.5`, 'Not Found'],
  405: [`${RFC2616}#sec10.4.6`, 'Method Not Allowed'],
  415: [`${RFC2616}#sec10.4.16`, 'Unsupported Media Type'],
  429: [RFC2616, 'Too Many Requests'],
  500: [`${RFC2616}#sec10.5.1`, 'Internal Server Error'],
  502: [`${RFC2616}#sec10.5.3`, 'Bad Gateway'],
  503: [`${RFC2616}#sec10.5.4`, 'Service Unavailable'],
};

export function nsError(
  status: number,
  details: ErrorDetailInput | ErrorDetailInput[],
  title?: string,
  headers?: Record<string, string>,
): SandboxResponse {
  const list = Array.isArray(details) ? details : [details];
  const [type, defaultTitle] = TYPES[status] ?? [RFC2616, 'Error'];
  return {
    status,
    headers,
    body: {
      type,
      title: title ?? defaultTitle,
      status,
      'o:errorDetails': list.map((d) => ({
        detail: d.detail,
        'o:errorCode': d.code,
        ...(d.path !== undefined ? { 'o:errorPath': d.path } : {}),
        ...(d.queryParam !== undefined ? { 'o:errorQueryParam': d.queryParam } : {}),
      })),
    },
  };
}

/** 401 for a missing, expired, revoked or unknown bearer token (§2.6). */
export function invalidLogin(accountId: string): SandboxResponse {
  return nsError(
    401,
    {
      detail:
        'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.',
      code: 'INVALID_LOGIN',
    },
    'Unauthorized',
    {
      'www-authenticate': `Bearer realm="${accountId}", error="invalid_token", error_description="Invalid login attempt."`,
    },
  );
}

/** Over the account concurrency limit: REST answers 429 (§6.3; code and title are the constructed shape). */
export function concurrencyExceeded(): SandboxResponse {
  return nsError(
    429,
    { detail: 'Concurrent request limit exceeded. Request blocked.', code: 'CONCURRENCY_LIMIT_EXCEEDED' },
    'Too Many Requests',
  );
}

/** Validation failure on a record body: 400 USER_ERROR naming the offending field (§6.1). */
export function userError(detail: string, path?: string): SandboxResponse {
  return nsError(400, { detail: `Error while accessing a resource. ${detail}`, code: 'USER_ERROR', path });
}

/** SuiteQL failures: 400 "Invalid search query." with "Search error occurred: ..." (§6.1). */
export function searchError(detail: string): SandboxResponse {
  return nsError(
    400,
    {
      detail: `Invalid search query. Detailed unprocessed description follows. Search error occurred: ${detail}`,
      code: 'USER_ERROR',
    },
    'Bad Request',
  );
}

export function invalidParameter(name: string, detail: string): SandboxResponse {
  return nsError(400, { detail, code: 'INVALID_PARAMETER', queryParam: name });
}

/** Record not found (code as seen from live accounts; not in the Oracle pages consulted). */
export function notFound(
  detail = 'The record instance does not exist. Provide a valid record instance ID.',
): SandboxResponse {
  return nsError(404, { detail, code: 'NONEXISTENT_ID' });
}

/** Token endpoint errors follow RFC 6749 §5.2, not the REST problem shape (§2.6). */
export function oauthError(
  status: 400 | 401,
  error: 'invalid_request' | 'invalid_grant' | 'invalid_client' | 'unsupported_grant_type',
): SandboxResponse {
  return { status, body: { error } };
}
