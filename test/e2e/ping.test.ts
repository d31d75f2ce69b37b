/**
 * `ml-connector ping` against both sandboxes: the demo connection passes every check; a config
 * naming an export the model lacks, a sandbox that lost its export, a wrong password and a model ID
 * in the wrong case each fail with the thing to fix named.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pingConnection } from '../../client/ping';
import { openStores, type Stores } from '../../activities/store';
import { parseCommandArgs } from '../../client/command';
import { createPingCommand } from '../../client/commands/ping';
import { parseConfig, type ConnectionConfig, type ConnectionConfigInput } from '../../common/config';
import { startSandboxes, type Sandboxes } from '../../sandbox/embedded';
import { sandboxAnaplanPins, sandboxConnection } from '../../client/sandbox-connection';

describe('ml-connector ping', () => {
  let sb: Sandboxes;
  let dir: string;
  let stores: Stores;
  let input: ConnectionConfigInput;
  let config: ConnectionConfig;
  const env = () => ({ ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 5).toString('hex') });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-ping-'));
    sb = await startSandboxes({ netsuite: { glLines: 200 } });
    stores = openStores({ dataDir: dir, env: env() });
    input = sandboxConnection(sb, stores.vault, 'demo');
    config = parseConfig(input);
  });
  after(async () => {
    await stores?.close();
    await sb?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function ping(cfg: unknown, json = false) {
    const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(cfg));
    const cmd = createPingCommand({ env: env() });
    const out: string[] = [];
    const err: string[] = [];
    const { values, positionals } = parseCommandArgs(cmd, ['--config', file, ...(json ? ['--json'] : [])]);
    const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('passes every check against the sandboxes', async () => {
    const r = await ping(input);
    assert.equal(r.code, 0, r.out);
    for (const line of [
      /✔ credentials "demo-netsuite" found/,
      /✔ NetSuite certificate valid until/,
      /✔ token minted for account/,
      /✔ SuiteQL reachable/,
      /✔ journal entries readable/,
      /✔ token obtained \(basic/,
      /✔ workspace [0-9a-f]{32} found/,
      /✔ model [0-9A-F]{32}.* found/,
      /✔ import action "Import GL Actuals" exists with columns Account,Subsidiary,Department,Class,Location,Period,Amount/,
      /✔ export action "Export Approved Plan" exists with columns Account,Subsidiary,Department,Period,Version,Amount/,
      /✔ import action "Import Accounts" exists with columns Code,Name,Parent/,
      /✔ list "Departments" \(dimensions.departments\) exists/,
      // The shape of each configured list (issue 12 item 7).
      /✔ import action "Import Account Groups" exists with columns Code,Name,Parent/,
      /✔ list "Accounts" \(dimensions.accounts\) exists: composite hierarchy, parents in list "Account Groups"/,
      /✔ list "Subsidiaries" \(dimensions.subsidiaries\) exists: parents in the same list/,
    ])
      assert.match(r.out, line);
    assert.match(r.out, /✔ ready: \d+ passed, 0 warnings, 0 failed/);
    const json = JSON.parse((await ping(input, true)).out) as { ok: boolean; checks: Array<{ status: string }> };
    assert.equal(json.ok, true);
    assert.ok(json.checks.length >= 15 && json.checks.every((c) => c.status === 'pass'));
  });

  it('says which hierarchy shape each list has, and fails when the config does not load a composite list through its parent list', async () => {
    const ok = await ping(input);
    const shapes = ok.out.split('\n').filter((l) => /✔ list "/.test(l));
    assert.equal(shapes.length, 5, ok.out);
    assert.ok(
      shapes.every((l) =>
        /exists: (composite hierarchy, parents in list "[^"]+"|parents in the same list|flat list)$/.test(l),
      ),
      shapes.join('\n'),
    );
    const {
      parentList: _p,
      parentImportAction: _a,
      ...accounts
    } = input.dimensions.accounts as Record<string, unknown>;
    const r = await ping({ ...input, dimensions: { ...input.dimensions, accounts } });
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /✖ list "Accounts" \(dimensions.accounts\) exists: composite hierarchy, parents in list "Account Groups", but dimensions.accounts.parentList is not set/,
    );
    assert.match(r.out, /set dimensions.accounts.parentList to "Account Groups"/);
    const wrong = await ping({
      ...input,
      dimensions: {
        ...input.dimensions,
        subsidiaries: { ...input.dimensions.subsidiaries, parentList: 'Account Groups' },
      },
    });
    assert.match(
      wrong.out,
      /✖ list "Subsidiaries" \(dimensions.subsidiaries\) exists: parents in the same list, but dimensions.subsidiaries.parentList names "Account Groups"/,
    );
  });

  it('fails naming the export when the config names one the model does not have', async () => {
    const r = await ping({ ...input, actions: { ...input.actions, exportPlan: 'Export Forecast v2' } });
    assert.equal(r.code, 1);
    assert.match(r.out, /✖ export action "Export Forecast v2" \(actions.exportPlan\) not found in model/);
    assert.match(
      r.out,
      /fix: create the export in the model, or set actions.exportPlan to one of: "Export Approved Plan"/,
    );
    assert.match(r.out, /✖ not ready: .* 1 failed/);
  });

  it('fails naming the export when the sandbox model lacks it', async () => {
    const exportsMap = sb.anaplan.state.model.exports;
    const [id, def] = [...exportsMap.entries()].find(([, e]) => e.name === 'Export Approved Plan')!;
    exportsMap.delete(id);
    try {
      const r = await ping(input);
      assert.equal(r.code, 1);
      assert.match(r.out, /✖ export action "Export Approved Plan" \(actions.exportPlan\) not found/);
      assert.match(r.out, /none \(the model has no exports\)/);
    } finally {
      exportsMap.set(id, def);
    }
  });

  it('flags an action name in the wrong case and missing columns', async () => {
    const r = await ping({ ...input, actions: { ...input.actions, importActuals: 'import gl actuals' } });
    assert.equal(r.code, 1);
    assert.match(r.out, /fix: names are matched exactly: set actions.importActuals to "Import GL Actuals"/);
    const imp = [...sb.anaplan.state.model.imports.values()].find((i) => i.name === 'Import GL Actuals')! as {
      valueColumn: string;
    };
    const before = imp.valueColumn;
    imp.valueColumn = 'Value';
    try {
      const cols = await ping(input);
      assert.equal(cols.code, 1);
      assert.match(
        cols.out,
        /✖ import action "Import GL Actuals" \(actions.importActuals\) lacks column Amount \(it has .*Value\)/,
      );
    } finally {
      imp.valueColumn = before;
    }
  });

  it('tells the user when the model exists under a different case', async () => {
    const lower = { ...config, anaplan: { ...config.anaplan, modelId: config.anaplan.modelId.toLowerCase() } };
    const report = await pingConnection(lower, { vault: stores.vault });
    const model = report.checks.find((c) => c.id === 'anaplan.model')!;
    assert.equal(model.status, 'fail');
    assert.match(model.message, new RegExp(`it exists as ${config.anaplan.modelId}`));
    assert.match(model.hint!, /case-sensitive/);
    assert.ok(
      report.checks.filter((c) => c.id.startsWith('anaplan.')).some((c) => c.status === 'skip'),
      'checks that need the model are not run',
    );
  });

  it('fails at the token with a hint, and never prints the password, when the stored password is wrong', async () => {
    const wrong = `wrong-${Math.random().toString(36).slice(2)}-pw`;
    stores.vault.set(
      'bad-anaplan',
      'anaplan',
      { type: 'basic', username: sb.anaplan.demoUser.email, password: wrong },
      sandboxAnaplanPins(sb),
    );
    const r = await ping({ ...input, anaplan: { ...input.anaplan, credentials: 'bad-anaplan' } });
    assert.equal(r.code, 1);
    assert.match(r.out, /✖ no token: /);
    assert.match(r.out, /fix: check the user name and password stored under "bad-anaplan"/);
    assert.match(r.out, /– model: not checked \(no token\)/);
    assert.ok(!r.out.includes(wrong) && !r.out.includes(sb.anaplan.demoUser.password));
  });

  it('with rotating OAuth refresh tokens, writes the rotated token back so the next ping (and cycle) still works', async () => {
    const base = sb.anaplan.url;
    const form = (p: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(p).toString(),
    });
    const code = (await (
      await fetch(`${base}/oauth/device/code`, form({ client_id: sb.anaplan.oauthClientId }))
    ).json()) as { device_code: string; user_code: string };
    await fetch(`${base}/__sandbox/device/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userCode: code.user_code }),
    });
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
    stores.vault.set(
      'oauth-anaplan',
      'anaplan',
      { type: 'oauth', clientId: sb.anaplan.oauthClientId, refreshToken: tok.refresh_token },
      sandboxAnaplanPins(sb),
    );
    const cfg = { ...input, anaplan: { ...input.anaplan, credentials: 'oauth-anaplan' } };
    const first = await ping(cfg);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /✔ token obtained \(oauth authentication\)/);
    const stored = (stores.vault.get('oauth-anaplan', 'anaplan') as { refreshToken: string }).refreshToken;
    assert.notEqual(stored, tok.refresh_token, 'the rotated refresh token is in the vault');
    assert.ok(!first.out.includes(stored) && !first.out.includes(tok.refresh_token));
    assert.equal((await ping(cfg)).code, 0, 'a second ping uses the rotated token');
  });

  it('fails every credential check with the command to run when the vault has no such credentials', async () => {
    const r = await ping({ ...input, netsuite: { ...input.netsuite, credentials: 'nobody' } });
    assert.equal(r.code, 1);
    assert.match(r.out, /✖ credentials "nobody": no netsuite credentials named "nobody"/);
    assert.match(r.out, /fix: store it: ml-connector credentials set --name nobody --kind netsuite/);
  });
});
