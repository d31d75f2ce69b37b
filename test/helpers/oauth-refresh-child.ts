/**
 * A separate process using one stored Anaplan OAuth credential the way production does (issue 13
 * item 5): `worker` resolves the connection through the worker's own ports resolver and makes API
 * calls; `ping` runs the `ml-connector ping` checks. Waits for `<go-file>` so siblings start together.
 * Prints one JSON line and exits 1 on any failure (e.g. invalid_grant).
 *   node --import tsx oauth-refresh-child.ts <worker|ping> <config.json> <rounds> <go-file>
 */
import * as fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { createPortsResolver } from '../../activities/cycle/connections';
import { pingConnection } from '../../client/ping';
import { CredentialVault } from '../../activities/store';
import { parseConfig } from '../../common/config';
import { inheritedEnv } from '../../common/node/env';

async function main(): Promise<void> {
  const [mode, configFile, roundsText, goFile] = process.argv.slice(2);
  const config = parseConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')));
  const vault = new CredentialVault({ env: inheritedEnv() });
  while (!fs.existsSync(goFile)) await delay(10);
  const rounds = Number(roundsText);
  if (mode === 'worker') {
    const resolve = createPortsResolver({ vault });
    try {
      const ports = await resolve(config);
      for (let i = 0; i < rounds; i++) await ports.anaplan.listItems(config.dimensions.departments.list);
    } finally {
      await resolve.close();
    }
  } else {
    for (let i = 0; i < rounds; i++) {
      const report = await pingConnection(config, { vault });
      const token = report.checks.find((c) => c.id === 'anaplan.token');
      if (token?.status !== 'pass') throw new Error(`ping: ${token?.message ?? 'no token check'}`);
    }
  }
  console.log(JSON.stringify({ mode, ok: true }));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.log(JSON.stringify({ ok: false, error: (err as Error).message }));
    process.exit(1);
  },
);
