import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NetSuiteAuthError,
  NetSuiteError,
  NetSuiteNotFoundError,
  NetSuitePermissionError,
  NetSuiteRateLimitError,
  NetSuiteServerError,
  NetSuiteValidationError,
  accountIdToBaseUrl,
} from '../../activities/netsuite';
import { ApiError } from '../../activities/http';

const problem = (status: number, code: string, path?: string, detail = 'Something happened.') => ({
  type: 'https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html',
  title: 'x',
  status,
  'o:errorDetails': [{ detail, 'o:errorCode': code, ...(path ? { 'o:errorPath': path } : {}) }],
});

test('fromResponse maps status and body to the documented error classes', () => {
  const table: Array<[number, unknown, new (...a: any[]) => NetSuiteError, boolean]> = [
    [400, problem(400, 'USER_ERROR', 'line.items[1].account'), NetSuiteValidationError, false],
    [400, { error: 'invalid_grant' }, NetSuiteAuthError, false],
    [400, problem(400, 'SSS_REQUEST_LIMIT_EXCEEDED'), NetSuiteRateLimitError, true],
    [401, problem(401, 'INVALID_LOGIN'), NetSuiteAuthError, false],
    [403, problem(403, 'INSUFFICIENT_PERMISSION'), NetSuitePermissionError, false],
    [404, problem(404, 'NONEXISTENT_ID'), NetSuiteNotFoundError, false],
    [405, problem(405, 'METHOD_NOT_ALLOWED'), NetSuiteValidationError, false],
    [409, undefined, NetSuiteValidationError, false],
    [429, problem(429, 'CONCURRENCY_LIMIT_EXCEEDED'), NetSuiteRateLimitError, true],
    [429, 'not json', NetSuiteRateLimitError, true],
    [500, problem(500, 'UNEXPECTED_ERROR'), NetSuiteServerError, true],
    [503, undefined, NetSuiteServerError, true],
  ];
  for (const [status, body, cls, retryable] of table) {
    const err = NetSuiteError.fromResponse({ status, body }, { method: 'POST', path: '/services/rest/x' });
    assert.ok(err instanceof cls, `${status} ${JSON.stringify(body)} → ${err.name}, expected ${cls.name}`);
    assert.ok(err instanceof ApiError);
    assert.equal(err.retryable, retryable, `${status} retryable`);
    assert.equal(err.status, status);
  }
});

test('errors carry status, code and the path of the offending field', () => {
  const err = NetSuiteError.fromResponse(
    {
      status: 400,
      body: problem(400, 'USER_ERROR', 'line.items[1].account', 'Invalid account reference key 999.'),
      retryAfterMs: 2000,
    },
    { method: 'PUT', path: '/services/rest/record/v1/journalentry/eid:x' },
  );
  assert.equal(err.code, 'USER_ERROR');
  assert.equal(err.errorPath, 'line.items[1].account');
  assert.equal(err.details[0]!.detail, 'Invalid account reference key 999.');
  assert.equal(err.retryAfterMs, 2000);
  assert.match(
    err.message,
    /PUT \/services\/rest\/record\/v1\/journalentry\/eid:x → 400 USER_ERROR at line\.items\[1\]\.account/,
  );
});

test('error messages never contain a bearer token, key or assertion echoed by a server', () => {
  const token = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
  const key = '-----BEGIN ' + 'PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
  const body = problem(
    401,
    'INVALID_LOGIN',
    undefined,
    `Bearer ${token} rejected; client_assertion=${token}; key ${key}`,
  );
  const err = NetSuiteError.fromResponse(
    { status: 401, body },
    { method: 'GET', path: '/services/rest/record/v1/journalentry/1' },
  );
  assert.ok(!err.message.includes(token), err.message);
  assert.ok(!err.message.includes('MIIEvQIBADAN'), err.message);
});

test('account IDs map to their REST host', () => {
  assert.equal(accountIdToBaseUrl('1234567_SB1'), 'https://1234567-sb1.suitetalk.api.netsuite.com');
  assert.equal(accountIdToBaseUrl('1234567'), 'https://1234567.suitetalk.api.netsuite.com');
  assert.equal(accountIdToBaseUrl('TSTDRV123'), 'https://tstdrv123.suitetalk.api.netsuite.com');
  assert.throws(() => accountIdToBaseUrl('evil.com/x'), RangeError);
});
