import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnaplanAuthError,
  AnaplanError,
  AnaplanForbiddenError,
  AnaplanModelBusyError,
  AnaplanNotFoundError,
  AnaplanRateLimitError,
  AnaplanServerError,
  AnaplanValidationError,
  fromResponse,
} from '../../activities/anaplan/errors';
import { ApiError } from '../../activities/http';

const req = { method: 'GET', path: '/2/0/workspaces/w/models/M/imports', taskId: 'ABC' };
const envelope = (code: number, message: string) => ({
  status: { code, message },
  path: req.path,
  timestamp: '2026-01-01T00:00:00Z',
});

test('status → error class table is pinned (409/423 busy, 429 rate limit, 5xx server, 4xx by meaning)', () => {
  const table: Array<[number, unknown, new (...a: any[]) => AnaplanError, boolean]> = [
    [400, envelope(400, 'Bad Request'), AnaplanValidationError, false],
    [401, envelope(401, 'Unauthorized'), AnaplanAuthError, false],
    [403, envelope(403, 'Forbidden'), AnaplanForbiddenError, false],
    [404, envelope(404, 'Not Found'), AnaplanNotFoundError, false],
    [405, envelope(405, 'Method Not Allowed'), AnaplanValidationError, false],
    [409, envelope(409, 'Conflict'), AnaplanModelBusyError, true],
    [413, envelope(413, 'Payload Too Large'), AnaplanValidationError, false],
    [422, envelope(422, 'Model archived'), AnaplanValidationError, false],
    [423, envelope(423, 'Locked'), AnaplanModelBusyError, true],
    [429, envelope(429, 'Too Many Requests'), AnaplanRateLimitError, true],
    [500, envelope(500, 'Internal Server Error'), AnaplanServerError, true],
    [502, undefined, AnaplanServerError, true],
    [503, envelope(503, 'Service Unavailable'), AnaplanServerError, true],
    [400, { error: 'invalid_grant', error_description: 'Invalid refresh token.' }, AnaplanAuthError, false],
    [400, { error: 'expired_token', error_description: 'expired' }, AnaplanAuthError, false],
    [400, { error: 'authorization_pending' }, AnaplanValidationError, false],
    [401, { status: 'FAILURE_BAD_CREDENTIAL', statusMessage: 'Invalid credentials.' }, AnaplanAuthError, false],
  ];
  for (const [status, body, cls, retryable] of table) {
    const err = fromResponse({ status, headers: {} }, body, req);
    assert.ok(err instanceof cls, `${status} ${JSON.stringify(body)} → ${err.name}, expected ${cls.name}`);
    assert.ok(err instanceof ApiError);
    assert.equal(err.retryable, retryable, `${status} retryable`);
    assert.equal(err.status, status);
    assert.equal(err.path, req.path);
    assert.equal(err.taskId, 'ABC');
  }
});

test('errors carry Anaplan codes, messages and Retry-After', () => {
  const e = fromResponse({ status: 429, headers: { 'retry-after': '7' } }, envelope(429, 'Too Many Requests'), req);
  assert.equal(e.retryAfterMs, 7000);
  assert.equal(e.code, '429');
  assert.match(e.message, /GET \/2\/0\/workspaces\/w\/models\/M\/imports failed with 429: Too Many Requests/);
  const o = fromResponse(
    { status: 400, headers: {} },
    { error: 'invalid_grant', error_description: 'Invalid refresh token.' },
    req,
  );
  assert.equal(o.code, 'invalid_grant');
  const a = fromResponse(
    { status: 401, headers: {} },
    { status: 'FAILURE_BAD_CREDENTIAL', statusMessage: 'Invalid credentials.' },
    req,
  );
  assert.equal(a.code, 'FAILURE_BAD_CREDENTIAL');
});

test('a token echoed in a body never reaches the error message', () => {
  const secret = 'AAAAbbbbCCCC1234==.ddddEEEEffff5678.gggg==';
  const e = fromResponse({ status: 400, headers: {} }, envelope(400, `bad header AnaplanAuthToken ${secret}`), req);
  assert.ok(!e.message.includes(secret), e.message);
  const o = fromResponse(
    { status: 400, headers: {} },
    { error: 'invalid_request', error_description: `refresh_token=${secret}` },
    req,
  );
  assert.ok(!o.message.includes(secret), o.message);
});
