/**
 * Issue 13 item 5: a rotating Anaplan refresh token (single use: the sandbox refuses a spent one with
 * invalid_grant, as Anaplan does) shared by two workers and a `ping`, each a separate OS process
 * running the real auth code against the sandbox and the same vault file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pollDeviceToken, startDeviceAuthorization } from '../../activities/anaplan/auth';
import { createPortsResolver } from '../../activities/cycle/connections';
import { CredentialVault, anaplanPins } from '../../activities/store';
import { parseConfig } from '../../common/config';
import { PROJECT_ROOT } from '../../client/paths';
import { startSandboxes, type Sandboxes } from '../../sandbox/embedded';
import { sandboxConnection } from '../../client/sandbox-connection';

const MASTER_KEY = Buffer.alloc(32, 9).toString('hex');
const CHILD = path.join(PROJECT_ROOT, 'test', 'helpers', 'oauth-refresh-child.ts');

interface AuthEvent {
  kind: string;
  ok: boolean;
  reason?: string;
}

describe('rotating OAuth refresh tokens shared by separate processes', () => {
  let sb: Sandboxes;
  let dir: string;
  let vault: CredentialVault;
  let configFile: string;
  const env = () => ({
    ...process.env,
    ML_CONNECTOR_VAULT_FILE: path.join(dir, 'credentials.vault'),
    ML_CONNECTOR_MASTER_KEY: MASTER_KEY,
    ML_CONNECTOR_DATA_DIR: dir,
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-oauth-race-'));
    sb = await startSandboxes({ netsuite: { glLines: 50 } });
    vault = new CredentialVault({ file: path.join(dir, 'credentials.vault'), key: Buffer.from(MASTER_KEY, 'hex') });
    const input = sandboxConnection(sb, vault, 'race');
    configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(input));
    assert.equal(
      sb.anaplan.state.oauthClients.get(sb.anaplan.oauthClientId)?.rotatable,
      true,
      'the sandbox client rotates refresh tokens',
    );
  });
  after(async () => {
    await sb?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh device-grant refresh token stored as the connection's credential (what `credentials set --auth oauth` stores). */
  async function storeFreshRefreshToken(): Promise<string> {
    const a = sb.anaplan;
    a.state.config.deviceIntervalSec = 0.05;
    const http = { transport: {} };
    const device = await startDeviceAuthorization({ oauthUrl: a.url, clientId: a.oauthClientId, http });
    const pending = pollDeviceToken({
      oauthUrl: a.url,
      clientId: a.oauthClientId,
      device,
      http,
      slowDownIncrementMs: 50,
    });
    const res = await fetch(`${a.url}/__sandbox/device/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userCode: device.user_code }),
    });
    assert.ok(res.status < 300);
    const got = await pending;
    // Pinned to the sandbox, as `credentials set --auth oauth --auth-url … --oauth-url … --api-url …` stores it.
    vault.set(
      'race-anaplan',
      'anaplan',
      { type: 'oauth', clientId: a.oauthClientId, refreshToken: got.refreshToken },
      anaplanPins({ authUrl: a.url, oauthUrl: a.url, apiUrl: a.url }),
    );
    return got.refreshToken;
  }

  async function authLog(): Promise<AuthEvent[]> {
    const res = await fetch(`${sb.anaplan.url}/__sandbox/auth-log`);
    return ((await res.json()) as { events: AuthEvent[] }).events;
  }

  async function race(modes: string[], rounds: number): Promise<Array<{ code: number; out: string }>> {
    const go = path.join(dir, `go-${Date.now()}`);
    const runs = modes.map(
      (mode) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, configFile, String(rounds), go], {
            cwd: PROJECT_ROOT,
            env: env(),
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          child.on('exit', (code) => resolve({ code: code ?? 1, out }));
        }),
    );
    // Children load (tsx, config, vault) at their own pace; the go file starts them together.
    await new Promise((r) => setTimeout(r, 4_000));
    fs.writeFileSync(go, '');
    return Promise.all(runs);
  }

  it('two workers and a ping refreshing at once never spend a used token (no invalid_grant), and the stored token still works', async () => {
    const first = await storeFreshRefreshToken();
    // Access tokens shorter than the 5-minute refresh margin: every API call of every process refreshes.
    sb.anaplan.state.config.oauthAccessTokenSec = 60;
    try {
      const before = (await authLog()).length;
      const results = await race(['worker', 'worker', 'ping'], 6);
      const events = (await authLog()).slice(before).filter((e) => e.kind === 'oauth-refresh');
      for (const r of results) assert.equal(r.code, 0, r.out);
      assert.deepEqual(
        events.filter((e) => !e.ok),
        [],
        'no refresh was refused (a spent token would be invalid_grant)',
      );
      assert.ok(
        events.filter((e) => e.ok).length >= 10,
        `the processes really refreshed, many times (${events.length})`,
      );
      const stored = vault.get('race-anaplan', 'anaplan');
      assert.equal(stored.type, 'oauth');
      if (stored.type !== 'oauth') return;
      assert.notEqual(stored.refreshToken, first, 'the rotated token was saved');
      const res = await fetch(`${sb.anaplan.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          client_id: sb.anaplan.oauthClientId,
          refresh_token: stored.refreshToken,
        }),
      });
      assert.equal(res.status, 200, 'the last saved refresh token is the live one');
    } finally {
      sb.anaplan.state.config.oauthAccessTokenSec = 2100;
    }
  });

  it('processes starting together use the access token the first one obtained instead of refreshing again', async () => {
    await storeFreshRefreshToken();
    const before = (await authLog()).length;
    const results = await race(['worker', 'worker', 'ping'], 2);
    for (const r of results) assert.equal(r.code, 0, r.out);
    const refreshes = (await authLog()).slice(before).filter((e) => e.kind === 'oauth-refresh');
    assert.equal(refreshes.length, 1, `one refresh for three processes (${JSON.stringify(refreshes)})`);
    const stored = vault.get('race-anaplan', 'anaplan');
    assert.ok(
      stored.type === 'oauth' && stored.accessToken && stored.accessTokenExpiresAt! > Date.now(),
      'the shared access token is stored (encrypted) with its expiry',
    );
  });

  it('a shared access token the API refused (401) is not adopted again: the next refresh replaces it', async () => {
    const stored = vault.get('race-anaplan', 'anaplan');
    assert.ok(stored.type === 'oauth' && stored.accessToken, 'the previous test left a shared access token');
    const revoked = await fetch(`${sb.anaplan.url}/__sandbox/tokens/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(revoked.status, 200);
    const before = (await authLog()).length;
    const resolve = createPortsResolver({ vault });
    try {
      const config = parseConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')));
      const ports = await resolve(config);
      assert.ok((await ports.anaplan.listItems(config.dimensions.departments.list)).length > 0);
    } finally {
      await resolve.close();
    }
    const refreshes = (await authLog()).slice(before).filter((e) => e.kind === 'oauth-refresh');
    assert.equal(refreshes.filter((e) => e.ok).length, 1, 'refreshed once after the 401');
    const now = vault.get('race-anaplan', 'anaplan');
    assert.ok(
      now.type === 'oauth' && now.accessToken !== stored.accessToken,
      'the refused token was replaced in the vault',
    );
  });
});
