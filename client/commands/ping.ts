/**
 * `ml-connector ping --config F` (issue 6 item 7): checks both systems and the model's fit with the
 * stored credentials and prints a checklist; exits 1 when any check fails.
 */
import * as fs from 'node:fs';
import { pingConnection, type PingCheck, type PingReport } from '../ping';
import type { Env } from '../../common/node/env';
import { parseConfig } from '../../common/config';
import { UsageError, type Command } from '../command';
import { openVaultIfExists } from './credentials';

const MARK: Record<PingCheck['status'], string> = { pass: '✔', warn: '⚠', fail: '✖', skip: '–' };

export function formatPingReport(report: PingReport, header: { netsuite: string; anaplan: string }): string[] {
  const lines: string[] = [];
  for (const system of ['netsuite', 'anaplan'] as const) {
    lines.push(header[system]);
    for (const c of report.checks.filter((x) => x.system === system)) {
      lines.push(`  ${MARK[c.status]} ${c.message}`);
      if (c.hint && (c.status === 'fail' || c.status === 'warn')) lines.push(`      fix: ${c.hint}`);
    }
  }
  const n = (s: PingCheck['status']) => report.checks.filter((c) => c.status === s).length;
  lines.push(
    '',
    `${report.ok ? '✔ ready' : '✖ not ready'}: ${n('pass')} passed, ${n('warn')} warnings, ${n('fail')} failed${n('skip') ? `, ${n('skip')} not checked` : ''}`,
  );
  return lines;
}

export function createPingCommand(deps: { env?: Env } = {}): Command {
  return {
    name: 'ping',
    summary: 'Check credentials, reachability and model fit',
    usage: 'ml-connector ping --config ml-connector.config.json [--json]',
    options: {
      config: { type: 'string', description: 'Connection config file', default: 'ml-connector.config.json' },
      json: { type: 'boolean', description: 'JSON output' },
    },
    async run(ctx) {
      const env = deps.env;
      const file = typeof ctx.values.config === 'string' ? ctx.values.config : 'ml-connector.config.json';
      let raw: unknown;
      try {
        raw = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new UsageError(
          `--config ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid JSON'}`,
        );
      }
      const config = parseConfig(raw, file);
      const report = await pingConnection(config, { vault: openVaultIfExists(env, ctx) });
      if (ctx.values.json === true) ctx.out(JSON.stringify(report, null, 2));
      else {
        for (const line of formatPingReport(report, {
          netsuite: `NetSuite — account ${config.netsuite.accountId}${config.netsuite.baseUrl ? ` at ${config.netsuite.baseUrl}` : ''}`,
          anaplan: `Anaplan — workspace ${config.anaplan.workspaceId}, model ${config.anaplan.modelId}`,
        }))
          ctx.out(line);
      }
      return report.ok ? 0 : 1;
    },
  };
}

export const pingCommand = createPingCommand();
