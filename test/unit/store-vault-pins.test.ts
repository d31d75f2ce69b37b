/**
 * Host pins of vault entries (issue 13 item 1): the check that runs before any credential is sent.
 * A config whose endpoints differ from the pins is refused naming the field and both hosts; entries
 * stored before pinning are read as pinned to the production hosts; http is for loopback only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CredentialPinError,
  anaplanPins,
  checkAnaplanPins,
  checkNetsuitePin,
  describePins,
  isLoopbackHost,
  netsuitePins,
  type CredentialInfo,
} from '../../activities/store';

const info = (kind: 'netsuite' | 'anaplan', metadata: CredentialInfo['metadata']): CredentialInfo => ({
  name: 'acme',
  kind,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  authType: 'basic',
  metadata,
});
const prodAnaplan = {
  authUrl: 'https://auth.anaplan.com',
  oauthUrl: 'https://us1a.app.anaplan.com',
  apiUrl: 'https://api.anaplan.com/2/0',
};

function refused(fn: () => unknown, field: string, ...patterns: RegExp[]): CredentialPinError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CredentialPinError, `expected a refusal, got ${String(caught)}`);
  assert.equal(caught.field, field);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

describe('credential host pins', () => {
  it('NetSuite: the account host by default; a config naming another account or base URL is refused with both hosts', () => {
    const pinnedInfo = info('netsuite', netsuitePins('1234567_SB1'));
    assert.deepEqual(checkNetsuitePin('acme', pinnedInfo, { accountId: '1234567_SB1' }, { accountId: '1234567_SB1' }), {
      accountId: '1234567_SB1',
      baseUrl: 'https://1234567-sb1.suitetalk.api.netsuite.com',
    });
    refused(
      () => checkNetsuitePin('acme', pinnedInfo, { accountId: '1234567_SB1' }, { accountId: '7654321' }),
      'netsuite.accountId',
      /netsuite\.accountId points at https:\/\/7654321\.suitetalk\.api\.netsuite\.com, but credentials "acme" are pinned to https:\/\/1234567-sb1\.suitetalk/,
    );
    refused(
      () =>
        checkNetsuitePin(
          'acme',
          pinnedInfo,
          { accountId: '1234567_SB1' },
          { accountId: '1234567_SB1', baseUrl: 'http://127.0.0.1:9/' },
        ),
      'netsuite.baseUrl',
      /points at http:\/\/127\.0\.0\.1:9, but .* pinned to https:\/\/1234567-sb1/,
      /credentials pin --name acme --kind netsuite --base-url http:\/\/127\.0\.0\.1:9/,
    );
  });

  it("NetSuite: uses the credential's own account ID when the pinned base URL matches", () => {
    const sandbox = info('netsuite', netsuitePins('1234567', 'http://127.0.0.1:4000'));
    assert.deepEqual(
      checkNetsuitePin(
        'acme',
        sandbox,
        { accountId: '1234567' },
        { accountId: '999', baseUrl: 'http://127.0.0.1:4000/x' },
      ),
      { accountId: '1234567', baseUrl: 'http://127.0.0.1:4000/x' },
    );
    refused(
      () =>
        checkNetsuitePin(
          'acme',
          sandbox,
          { accountId: '1234567' },
          { accountId: '1234567', baseUrl: 'http://127.0.0.1:4001' },
        ),
      'netsuite.baseUrl',
      /4001.*pinned to http:\/\/127\.0\.0\.1:4000/,
    );
  });

  it('Anaplan: each of the auth, OAuth and API hosts must match its pin', () => {
    const sandbox = info(
      'anaplan',
      anaplanPins({
        authUrl: 'http://127.0.0.1:5000',
        oauthUrl: 'http://127.0.0.1:5000',
        apiUrl: 'http://127.0.0.1:5000',
      }),
    );
    const cfg = {
      authUrl: 'http://127.0.0.1:5000',
      oauthUrl: 'http://127.0.0.1:5000',
      apiUrl: 'http://127.0.0.1:5000/2/0',
    };
    checkAnaplanPins('acme', sandbox, cfg);
    for (const h of ['authUrl', 'oauthUrl', 'apiUrl'] as const) {
      refused(
        () => checkAnaplanPins('acme', sandbox, { ...cfg, [h]: 'http://127.0.0.1:6000' }),
        `anaplan.${h}`,
        new RegExp(
          `anaplan\\.${h} points at http://127\\.0\\.0\\.1:6000, but credentials "acme" are pinned to http://127\\.0\\.0\\.1:5000`,
        ),
      );
    }
  });

  it('entries stored before pinning are treated as pinned to the production hosts, and the refusal says how to re-pin', () => {
    const legacyAp = info('anaplan', { username: 'u' });
    checkAnaplanPins('acme', legacyAp, prodAnaplan);
    refused(
      () => checkAnaplanPins('acme', legacyAp, { ...prodAnaplan, authUrl: 'http://127.0.0.1:5000' }),
      'anaplan.authUrl',
      /pinned to https:\/\/auth\.anaplan\.com \(stored before host pinning/,
      /ml-connector credentials pin --name acme --kind anaplan --auth-url http:\/\/127\.0\.0\.1:5000/,
    );
    const legacyNs = info('netsuite', { accountId: '1234567' });
    assert.equal(
      checkNetsuitePin('acme', legacyNs, { accountId: '1234567' }, { accountId: '1234567' }).baseUrl,
      'https://1234567.suitetalk.api.netsuite.com',
    );
    refused(
      () =>
        checkNetsuitePin(
          'acme',
          legacyNs,
          { accountId: '1234567' },
          { accountId: '1234567', baseUrl: 'https://evil.example.com' },
        ),
      'netsuite.baseUrl',
      /stored before host pinning/,
    );
    assert.match(describePins(legacyAp), /not pinned: treated as the production hosts/);
    assert.match(describePins(legacyNs), /treated as https:\/\/1234567\.suitetalk/);
  });

  it('requires https except on loopback addresses, in configs and in pins', () => {
    refused(
      () =>
        checkAnaplanPins('acme', info('anaplan', anaplanPins()), { ...prodAnaplan, apiUrl: 'http://api.anaplan.com' }),
      'anaplan.apiUrl',
      /must use https/,
    );
    assert.throws(
      () => anaplanPins({ authUrl: 'http://10.0.0.5:8080' }),
      /--auth-url: http:\/\/10\.0\.0\.5:8080 must use https/,
    );
    assert.throws(() => netsuitePins('1', 'https://user:pw@ns.example.com'), /user info/);
    for (const h of ['localhost', '127.0.0.1', '127.9.8.7', '[::1]']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['127.0.0.1.evil.example', '10.0.0.1', 'localhost.example.com', '0.0.0.0'])
      assert.ok(!isLoopbackHost(h), h);
  });
});
