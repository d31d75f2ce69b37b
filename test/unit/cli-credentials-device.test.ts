/**
 * `ml-connector credentials set --kind anaplan --auth oauth --device`: the OAuth device grant from the
 * terminal against the Anaplan sandbox's real endpoints. The person's approval is played through the
 * sandbox's control plane as soon as the command prints the user code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandArgs } from '../../client/command';
import { createCredentialsCommand } from '../../client/commands/credentials';
import { CredentialVault } from '../../activities/store';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

let dir: string;
let sb: AnaplanSandbox;
const env = () => ({ ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 5).toString('hex') });

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-device-'));
  sb = await sandbox({ deviceIntervalSec: 0.2 });
});
after(async () => {
  await sb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the command; `onErr` sees each stderr line as it is printed (the user code arrives mid-run). */
async function run(argv: string[], onErr: (line: string) => void = () => undefined) {
  const cmd = createCredentialsCommand({
    env: env(),
    readStdin: async () => assert.fail('the device grant reads nothing from stdin'),
  });
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd
    .run({ values, positionals, out: (l) => out.push(l), err: (l) => (err.push(l), onErr(l)) })
    .catch((e: unknown) => {
      err.push(String((e as Error).message));
      return -1;
    });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const deviceArgs = (name: string, extra: string[] = []) => [
  'set',
  '--name',
  name,
  '--kind',
  'anaplan',
  '--auth',
  'oauth',
  '--client-id',
  sb.oauthClientId,
  '--device',
  '--oauth-url',
  sb.url,
  '--auth-url',
  sb.url,
  '--api-url',
  sb.url,
  ...extra,
];

describe('credentials set --auth oauth --device', () => {
  it('prints the code to approve, waits for the approval, and stores tokens that work (never printed)', async () => {
    let approved = false;
    const r = await run(deviceArgs('ap-device'), (line) => {
      const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(line)?.[1];
      if (code && !approved) {
        approved = true;
        setTimeout(() => void control(sb, 'POST', '/device/approve', { userCode: code }), 300);
      }
    });
    assert.equal(r.code, 0, r.err);
    assert.ok(approved, `the command printed a user code to approve:\n${r.err}`);
    assert.match(r.err, new RegExp(`open ${sb.url.replace(/[.]/g, '\\.')}/activate`));
    const secret = new CredentialVault({ env: env(), file: path.join(dir, 'credentials.vault') }).get(
      'ap-device',
      'anaplan',
    );
    assert.equal(secret.type, 'oauth');
    if (secret.type !== 'oauth') return;
    assert.equal(secret.clientId, sb.oauthClientId);
    assert.ok(secret.accessToken && secret.accessTokenExpiresAt && secret.accessTokenExpiresAt > Date.now());
    for (const t of [secret.refreshToken, secret.accessToken])
      assert.ok(!r.out.includes(t) && !r.err.includes(t), 'no token on the terminal');
    // The stored refresh token logs in as the person who approved.
    const c = client(sb, {
      credentials: { kind: 'refresh-token', clientId: sb.oauthClientId, refreshToken: secret.refreshToken },
    });
    assert.equal((await c.me()).email, sb.demoUser.email);
    assert.match((await run(['list'])).out, /ap-device\s+anaplan\s+oauth/);
  });

  it('gives up with a clear message when nobody approves in time, and stores nothing', async () => {
    const r = await run(deviceArgs('ap-late', ['--device-timeout', '1']));
    assert.equal(r.code, -1);
    assert.match(r.err, /the device code [A-Z]{4}-[A-Z]{4} was not approved in time; run the command again/);
    assert.doesNotMatch((await run(['list'])).out, /ap-late/);
  });

  it('refuses --device with another auth type', async () => {
    const r = await run(['set', '--name', 'x', '--kind', 'anaplan', '--auth', 'basic', '--username', 'u', '--device']);
    assert.equal(r.code, -1);
    assert.match(r.err, /--device applies to --auth oauth only/);
  });
});
