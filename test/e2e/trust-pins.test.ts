/**
 * Credentials pinned to their hosts (issue 13 item 1): a connection config pointing at a stranger's
 * port (a listener that records everything it receives) is refused by the worker's cycle (in-process
 * and as an `ml-connector worker` process) and by `ml-connector ping` (a real CLI process), naming the config field and both hosts, and the stranger
 * receives nothing: no Authorization header, no NetSuite assertion, no Anaplan password.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { parseConfig, type ConnectionConfig } from '../../common/config';
import { cycleWorkflowId } from '../../common/ids';
import { planningCycle } from '../../workflows';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

interface Received {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Someone else's server on this machine: answers every request and keeps a copy of it. */
async function strangerListener(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"access_token":"x","expires_in":3600,"tokenInfo":{"tokenValue":"x"}}');
    });
  });
  // A connection that opens and sends nothing is recorded too: nothing may even connect.
  server.on('connection', () => received.push({ headers: {}, body: '(connection opened)' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('credentials pinned to their hosts', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let stranger: Awaited<ReturnType<typeof strangerListener>>;
  const masterKey = Buffer.alloc(32, 7).toString('hex');

  before(async () => {
    t = await testTemporal();
    stranger = await strangerListener();
    env = await cycleEnv(t, { netsuite: { glLines: 200 }, env: { ML_CONNECTOR_MASTER_KEY: masterKey } });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await stranger?.close();
    await t?.close();
  });

  function assertStrangerGotNothing(): void {
    const secrets = [
      env.sandboxes.anaplan.demoUser.password,
      'client_assertion',
      'authorization',
      'AnaplanCertificate',
      'Basic ',
    ];
    for (const r of stranger.received) {
      assert.equal(
        r.headers.authorization,
        undefined,
        `the stranger received an Authorization header on ${r.method} ${r.url}`,
      );
      for (const s of secrets) assert.ok(!r.body.includes(s), `the stranger received ${s} in a body`);
    }
    assert.deepEqual(
      stranger.received.map((r) => `${r.method} ${r.url}`),
      [],
      'the stranger received no request at all',
    );
  }

  async function refusedCycle(
    config: ConnectionConfig,
    suffix: string,
    taskQueue = env.taskQueue,
  ): Promise<ApplicationFailure> {
    const workflowId = `${cycleWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, '2026-10', 'full')}:${suffix}`;
    const handle = await t.client.workflow.start(planningCycle, {
      taskQueue,
      workflowId,
      args: [{ config, period: '2026-10', kind: 'full' }],
    });
    const err = await handle.result().then(
      () => assert.fail('the cycle must be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ActivityFailure, `failed in an activity: ${String(err.cause)}`);
    const app = err.cause.cause;
    assert.ok(app instanceof ApplicationFailure);
    assert.equal(app.nonRetryable, true, 'a refused host is not retried');
    return app;
  }

  it("the worker's cycle refuses an Anaplan auth URL that is not the credential's, and sends the stranger nothing", async () => {
    const config = parseConfig({
      ...env.config,
      name: 'stolen-ap',
      anaplan: { ...env.config.anaplan, authUrl: stranger.url },
    });
    const app = await refusedCycle(config, 'pin-ap');
    assert.match(
      app.message,
      new RegExp(
        `anaplan\\.authUrl points at ${stranger.url}, but credentials "demo-anaplan" are pinned to ${env.sandboxes.anaplan.url}`,
      ),
    );
    assert.ok(!app.message.includes(env.sandboxes.anaplan.demoUser.password));
    assertStrangerGotNothing();
  });

  it("the worker's cycle refuses a NetSuite base URL that is not the credential's, and sends the stranger nothing", async () => {
    const config = parseConfig({
      ...env.config,
      name: 'stolen-ns',
      netsuite: { ...env.config.netsuite, baseUrl: stranger.url },
    });
    const app = await refusedCycle(config, 'pin-ns');
    assert.match(
      app.message,
      new RegExp(
        `netsuite\\.baseUrl points at ${stranger.url}, but credentials "demo-netsuite" are pinned to ${env.sandboxes.netsuite.url}`,
      ),
    );
    assertStrangerGotNothing();
  });

  it("an `ml-connector worker` process refuses Anaplan OAuth and API hosts that are not the credential's", async () => {
    const taskQueue = uniqueTaskQueue('pins');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.resolve(__dirname, '../../client/cli.ts'),
        'worker',
        '--task-queue',
        taskQueue,
        '--insecure-plaintext-payloads',
      ],
      {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: t.server.address,
          ML_CONNECTOR_DATA_DIR: env.dataDir,
          ML_CONNECTOR_MASTER_KEY: masterKey,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          if (output.includes('polling task queue')) resolve();
        });
        child.on('exit', () => reject(new Error(`worker exited: ${output}`)));
      });
      const config = parseConfig({
        ...env.config,
        name: 'stolen-oauth',
        anaplan: { ...env.config.anaplan, oauthUrl: stranger.url, apiUrl: `${stranger.url}/2/0` },
      });
      const app = await refusedCycle(config, 'pin-proc', taskQueue);
      assert.match(
        app.message,
        new RegExp(
          `anaplan\\.oauthUrl points at ${stranger.url}, but credentials "demo-anaplan" are pinned to ${env.sandboxes.anaplan.url}`,
        ),
      );
      assertStrangerGotNothing();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('`ml-connector ping` (a real process) refuses both, names the fields and hosts, and sends the stranger nothing', async () => {
    const file = path.join(env.dataDir, 'stolen.config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...env.config,
        netsuite: { ...env.config.netsuite, baseUrl: stranger.url },
        anaplan: { ...env.config.anaplan, authUrl: stranger.url, oauthUrl: stranger.url, apiUrl: stranger.url },
      }),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve(__dirname, '../../client/cli.ts'), 'ping', '--config', file],
      {
        env: { ...process.env, ML_CONNECTOR_DATA_DIR: env.dataDir, ML_CONNECTOR_MASTER_KEY: masterKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, output);
    assert.match(
      output,
      new RegExp(
        `✖ refused: netsuite\\.baseUrl points at ${stranger.url}, but credentials "demo-netsuite" are pinned to ${env.sandboxes.netsuite.url}`,
      ),
    );
    assert.match(
      output,
      new RegExp(
        `✖ refused: anaplan\\.authUrl points at ${stranger.url}, but credentials "demo-anaplan" are pinned to ${env.sandboxes.anaplan.url}`,
      ),
    );
    assert.match(output, /credentials pin --name demo-anaplan --kind anaplan/);
    assert.match(output, /– token request: not checked/);
    assert.ok(!output.includes(env.sandboxes.anaplan.demoUser.password));
    assertStrangerGotNothing();
  });
});
