/**
 * `ml-connector start` (what `npm start` runs) on its own dev server: the full embedded cycle runs,
 * and SIGINT stops the Temporal server it started — no `temporal` process is left behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../client/paths';

function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ml-connector start', () => {
  it('runs the embedded cycle, stays up, and leaves no temporal process after SIGINT', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, ML_CONNECTOR_DATA_DIR: data };
    delete env.TEMPORAL_ADDRESS; // start its own server, as on a fresh machine
    // The Temporal CLI lives in the project's .data/tools; point at it explicitly.
    const cli = path.join(PROJECT_ROOT, '.data', 'tools', 'bin', 'temporal');
    if (!env.TEMPORAL_CLI_PATH && fs.existsSync(cli)) env.TEMPORAL_CLI_PATH = cli;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(PROJECT_ROOT, 'client/cli.ts'),
        'start',
        '--port',
        '0',
        '--ui-port',
        '0',
        '--gl-lines',
        '800',
      ],
      { env, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (out.includes('Press Ctrl-C to stop')) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
        child.once('exit', (code) => {
          clearInterval(timer);
          reject(new Error(`start exited early (${code}):\n${out}`));
        });
      });
      assert.match(out, /Cycle cycle:[0-9a-f]{32}:[0-9A-F]{32}:2026-10:full: completed/);
      assert.match(out, /tie-out .* ✔/);
      assert.match(out, /journals posted\/updated\/unchanged\s+\d+ \/ 0 \/ 0/);
      // The reconciliation report of the demo cycle (issue 16 item 4), in the data directory.
      const report = /Reconciliation report: (\S+\.html)/.exec(out)?.[1];
      assert.ok(report && report.startsWith(data) && fs.readFileSync(report, 'utf8').includes('<svg id="chart"'), out);
      const kids = children(child.pid!);
      const temporal = kids.filter((p) => /temporal/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8')));
      assert.equal(temporal.length, 1, 'start runs one Temporal dev server as its child');
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 130);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(alive(temporal[0]!), false, 'the Temporal server was stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
