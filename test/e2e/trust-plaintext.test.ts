/**
 * Encrypted payloads by default (issue 13 item 3): `ml-connector worker` and the commands that
 * start or read workflows refuse to run without payload codec keys unless
 * `--insecure-plaintext-payloads` is given; with the flag, or with keys, the worker polls. Real CLI
 * processes against the run's Temporal server; the embedded default's key file creation is covered
 * by test/unit/codec-config.test.ts and test/e2e/trust-history.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../client/paths';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

describe('payload encryption is required outside the embedded default', () => {
  let t: TestTemporal;
  let dir: string;
  before(async () => {
    t = await testTemporal();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-plain-'));
  });
  after(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI; resolves when it exits, or (with `until`) once its output matches and it was stopped by SIGTERM. */
  function cli(
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
    until?: RegExp,
  ): Promise<{ code: number | null; output: string; matched: boolean }> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: t.server.address,
      ML_CONNECTOR_DATA_DIR: dir,
      ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 9).toString('hex'),
      ML_CONNECTOR_TASK_QUEUE: uniqueTaskQueue('plain'),
      ...extraEnv,
    };
    delete env.ML_CONNECTOR_CODEC_KEYS;
    delete env.ML_CONNECTOR_CODEC_KEY_FILE;
    Object.assign(env, extraEnv);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'client/cli.ts'), ...args], {
      env,
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let matched = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (until && !matched && until.test(output)) {
        matched = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output, matched })));
  }

  it('`worker` without codec keys refuses, says why and names the flag, before connecting', async () => {
    const r = await cli(['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(r.code, 1, r.output);
    assert.match(
      r.output,
      /ml-connector worker: no payload codec keys: ml-connector worker would write \(or read\) Temporal histories in plaintext/,
    );
    assert.match(
      r.output,
      /Set ML_CONNECTOR_CODEC_KEYS \(or ML_CONNECTOR_CODEC_KEY_FILE\), or pass --insecure-plaintext-payloads/,
    );
    assert.doesNotMatch(r.output, /polling task queue|ECONNREFUSED|TransportError|Failed to connect/i);
    assert.ok(!fs.existsSync(path.join(dir, 'codec.key')), 'a production worker never creates a key file of its own');
  });

  it('`cycle` and `replay` refuse the same way', async () => {
    for (const args of [
      ['cycle', 'status', '--config', 'x.json', '--period', '2026-10'],
      ['replay', '--cycle', 'cycle:x'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 1, r.output);
      assert.match(
        r.output,
        new RegExp(`ml-connector ${args[0]}: no payload codec keys.*--insecure-plaintext-payloads`),
      );
    }
  });

  it('`worker --insecure-plaintext-payloads` runs, and so does a worker with codec keys', async () => {
    const plain = await cli(['worker', '--insecure-plaintext-payloads'], {}, /polling task queue/);
    assert.ok(plain.matched, plain.output);
    const keyed = await cli(
      ['worker'],
      { ML_CONNECTOR_CODEC_KEYS: `k1:${randomBytes(32).toString('hex')}` },
      /polling task queue/,
    );
    assert.ok(keyed.matched, keyed.output);
  });

  it('the flag is listed in the help of workflow commands', async () => {
    const r = await cli(['worker', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.output, /--insecure-plaintext-payloads\s+Run without payload codec keys/);
  });
});
