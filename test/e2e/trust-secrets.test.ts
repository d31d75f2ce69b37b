/**
 * Secrets never leave the activity (issue 6 item 2): two real cycles (Anaplan basic auth, then
 * Anaplan OAuth with rotating refresh tokens) with the real activities and both sandboxes, then
 * every workflow history of the run, every log line (activity log and console), every file under
 * the data dir and the audit DB are searched for every secret value in play: key material,
 * passwords, issued access tokens, refresh tokens, the vault key. Zero hits. Payloads are left
 * unencrypted here on purpose, so the scan sees what the workflows really carry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker, NativeConnection } from '@temporalio/worker';
import { parseConfig, type ConnectionConfig } from '../../common/config';
import type { CycleSummary } from '../../common/dto';
import { cycleWorkflowId } from '../../common/ids';
import { startSandboxes, type Sandboxes } from '../../sandbox/embedded';
import { sandboxAnaplanPins, sandboxConnection } from '../../client/sandbox-connection';
import { createConnectorWorker } from '../../worker/create-worker';
import { buildActivities } from '../../worker/deps';
import { planningCycle } from '../../workflows';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { historyText } from '../helpers/history-text';

const PERIOD = '2026-10';
const MASTER_KEY = Buffer.alloc(32, 11).toString('hex');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(full));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** Device grant against the Anaplan sandbox: the refresh token a user would obtain once at set-up. */
async function deviceGrantRefreshToken(sb: Sandboxes): Promise<string> {
  const base = sb.anaplan.url;
  const form = (p: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(p).toString(),
  });
  const code = (await (
    await fetch(`${base}/oauth/device/code`, form({ client_id: sb.anaplan.oauthClientId }))
  ).json()) as { device_code: string; user_code: string };
  const approved = await fetch(`${base}/__sandbox/device/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userCode: code.user_code }),
  });
  assert.equal(approved.status, 200);
  const tok = (await (
    await fetch(
      `${base}/oauth/token`,
      form({
        client_id: sb.anaplan.oauthClientId,
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: code.device_code,
      }),
    )
  ).json()) as { refresh_token: string };
  assert.ok(tok.refresh_token);
  return tok.refresh_token;
}

describe('no secret in histories, logs, artifacts or the audit trail after full cycles', () => {
  let t: TestTemporal;
  let sb: Sandboxes;
  let dataDir: string;
  let built: ReturnType<typeof buildActivities>;
  let w: { worker: Worker; connection: NativeConnection; running: Promise<void> } | undefined;
  let taskQueue: string;
  const logs: string[] = [];
  const consoleLines: string[] = [];
  const restore: Array<() => void> = [];
  const cycleIds: string[] = [];
  let initialRefreshToken: string;
  let basic: CycleSummary;
  let oauth: CycleSummary;

  before(async () => {
    // Console output of this process (worker, SDK runtime, activities) while the cycles run.
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        consoleLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = original as typeof stream.write));
    }
    t = await testTemporal();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-trust-secrets-'));
    sb = await startSandboxes({ netsuite: { glLines: 3_000 } });
    taskQueue = uniqueTaskQueue('trust-secrets');
    const env = { ...process.env, ML_CONNECTOR_MASTER_KEY: MASTER_KEY };
    built = buildActivities({
      dataDir,
      temporal: t.client,
      taskQueue,
      env,
      log: (m, f) => logs.push(`${m} ${JSON.stringify(f ?? {})}`),
    });
    const config = parseConfig(sandboxConnection(sb, built.stores.vault, 'demo'));
    initialRefreshToken = await deviceGrantRefreshToken(sb);
    built.stores.vault.set(
      'demo-oauth-anaplan',
      'anaplan',
      { type: 'oauth', clientId: sb.anaplan.oauthClientId, refreshToken: initialRefreshToken },
      sandboxAnaplanPins(sb),
    );
    const oauthConfig: ConnectionConfig = {
      ...config,
      name: 'demo-oauth',
      anaplan: { ...config.anaplan, credentials: 'demo-oauth-anaplan' },
    };
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      activities: built.activities,
      overrides: { shutdownGraceTime: '1s' },
    });
    w = { worker, connection, running: worker.run() };
    const run = async (cfg: ConnectionConfig, kind: 'full' | 'plan') => {
      const workflowId = `${cycleWorkflowId(cfg.anaplan.workspaceId, cfg.anaplan.modelId, PERIOD, kind)}:${cfg.name}`;
      cycleIds.push(workflowId);
      return (
        await t.client.workflow.start(planningCycle, {
          taskQueue,
          workflowId,
          args: [{ config: cfg, period: PERIOD, kind }],
        })
      ).result();
    };
    basic = await run(config, 'full');
    oauth = await run(oauthConfig, 'plan');
  });
  after(async () => {
    while (restore.length) restore.pop()!();
    if (w) {
      w.worker.shutdown();
      await w.running.catch(() => undefined);
      await w.connection.close().catch(() => undefined);
    }
    await built?.close();
    await sb?.close();
    await t?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every secret value that was in play, labelled; each list is checked to be non-empty. */
  function secrets(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const pemLines = (label: string, pem: string) => {
      for (const line of pem.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) out.push([label, line]);
    };
    pemLines('NetSuite private key', sb.netsuite.demoClient.privateKeyPem);
    const user = sb.anaplan.demoUser;
    out.push(
      ['Anaplan password', user.password],
      ['Anaplan Basic header', Buffer.from(`${user.email}:${user.password}`).toString('base64')],
    );
    const nsTokens = [...(sb.netsuite.sandbox.auth as unknown as { tokens: Map<string, unknown> }).tokens.keys()];
    assert.ok(nsTokens.length >= 1, 'NetSuite issued tokens');
    for (const v of nsTokens) out.push(['NetSuite access token', v]);
    const apTokens = [...sb.anaplan.state.tokens.values()];
    assert.ok(
      apTokens.some((x) => x.source === 'auth') && apTokens.some((x) => x.source === 'oauth'),
      'Anaplan tokens from both auth paths',
    );
    for (const v of apTokens)
      out.push(['Anaplan access token', v.value], ['Anaplan token refresh id', v.refreshTokenId]);
    const refresh = [...sb.anaplan.state.refreshTokens.keys()];
    assert.ok(refresh.length >= 2, `the refresh token rotated during the cycle (${refresh.length})`);
    for (const v of new Set([initialRefreshToken, ...refresh])) out.push(['Anaplan refresh token', v]);
    out.push(
      ['vault master key (hex)', MASTER_KEY],
      ['vault master key (base64)', Buffer.from(MASTER_KEY, 'hex').toString('base64')],
    );
    return out;
  }

  function scan(sources: Array<[string, string | Buffer]>): string[] {
    const hits: string[] = [];
    for (const [label, secret] of secrets()) {
      for (const [where, content] of sources) if (content.includes(secret)) hits.push(`${label} found in ${where}`);
    }
    return hits;
  }

  it('ran both cycles to completion with the secrets in use', async () => {
    assert.equal(basic.status, 'completed');
    assert.equal(oauth.status, 'completed');
    const current = built.stores.vault.get('demo-oauth-anaplan', 'anaplan') as { refreshToken: string };
    assert.notEqual(
      current.refreshToken,
      initialRefreshToken,
      'the rotated refresh token was written back to the vault',
    );
    // The scanner itself finds a secret where there is one.
    assert.ok(scan([['probe', `x${sb.anaplan.demoUser.password}x`]]).length > 0);
  });

  it('no secret in any workflow history of the run', async () => {
    const seen = new Map<string, string | undefined>();
    for (let i = 0; i < 50; i++) {
      for await (const e of t.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` }))
        seen.set(`${e.workflowId}/${e.runId}`, e.runId);
      if (cycleIds.every((id) => [...seen.keys()].some((k) => k.startsWith(`${id}/`)))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const id of cycleIds)
      assert.ok(
        [...seen.keys()].some((k) => k.startsWith(`${id}/`)),
        `visibility lists ${id}`,
      );
    const sources: Array<[string, string]> = [];
    for (const key of seen.keys()) {
      const [id, runId] = key.split('/');
      const history = await t.client.workflow.getHandle(id!, runId).fetchHistory();
      sources.push([`history ${key}`, historyText(history)]);
    }
    assert.ok(sources.length >= 3, `cycles and the model lock (${sources.length} histories)`);
    assert.ok(
      sources.some(([, h]) => h.includes('demo-anaplan')),
      'histories carry connection names',
    );
    assert.deepEqual(scan(sources), []);
  });

  it('no secret in any log line, activity log or console', async () => {
    assert.ok(logs.length >= 3, `activity log lines were captured (${logs.length})`);
    assert.deepEqual(
      scan([
        ['activity log', logs.join('\n')],
        ['console', consoleLines.join('')],
      ]),
      [],
    );
  });

  it('no secret in any file under the data dir (artifacts, work files, audit DB) nor in the vault file', async () => {
    const files = filesUnder(dataDir);
    assert.ok(files.some((f) => f.endsWith('credentials.vault')));
    assert.ok(files.filter((f) => f.includes(`${path.sep}artifacts${path.sep}`)).length > 3, 'artifacts were written');
    assert.deepEqual(scan(files.map((f) => [path.relative(dataDir, f), fs.readFileSync(f)])), []);
  });

  it('no secret in the audit trail rows', async () => {
    const records = (
      await Promise.all(cycleIds.map((id) => built.stores.audit.queryRecords({ cycleId: id, limit: 1_000_000 })))
    ).flat();
    const calls = await built.stores.audit.queryCalls({ limit: 1_000_000 });
    assert.ok(
      records.length > 100 && calls.length > 10,
      `audit rows written (${records.length} records, ${calls.length} calls)`,
    );
    assert.deepEqual(
      scan([
        ['audit records', JSON.stringify(records)],
        ['audit calls', JSON.stringify(calls)],
      ]),
      [],
    );
  });
});
