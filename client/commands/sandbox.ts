/**
 * `ml-connector sandbox`: both sandboxes in one process with the seeded demo company, their base
 * URLs printed; `--write-config F` also writes a ready connection config and stores the sandbox
 * credentials in the vault, so every command can be tried against them. Runs until SIGINT/SIGTERM.
 */
import * as fs from 'node:fs';
import { openStores } from '../../activities/store';
import type { Command } from '../command';
import { dataDir } from '../paths';
import { sandboxConnection } from '../sandbox-connection';

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'Start the NetSuite and Anaplan sandboxes (seeded demo company)',
  usage:
    'ml-connector sandbox [--netsuite-port N] [--anaplan-port M] [--seed S] [--gl-lines L] [--multibook] [--write-config F]',
  options: {
    'netsuite-port': { type: 'string', description: 'NetSuite sandbox port (0 = any free port)', default: '0' },
    'anaplan-port': { type: 'string', description: 'Anaplan sandbox port (0 = any free port)', default: '0' },
    seed: { type: 'string', description: 'Seed of the demo company', default: '42' },
    'gl-lines': { type: 'string', description: 'Accounting lines of seeded GL activity', default: '20000' },
    // Most NetSuite accounts lack Multi-Book Accounting (docs/netsuite.md §12): the default demo company is single-book.
    multibook: {
      type: 'boolean',
      description: "Seed a Multi-Book NetSuite account (secondary 'Plan Book')",
      default: false,
    },
    'write-config': { type: 'string', description: 'Write a connection config for the sandboxes to this file' },
    name: { type: 'string', description: 'Connection name used in the config and vault', default: 'demo' },
  },
  async run(ctx) {
    const int = (k: string) => {
      const v = Number(ctx.values[k]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a non-negative integer`);
      return v;
    };
    // Loaded on use: the production image ships without the sandboxes (Dockerfile).
    const { startSandboxes } = await import('../../sandbox/embedded');
    const s = await startSandboxes({
      seed: int('seed'),
      netsuite: { port: int('netsuite-port'), glLines: int('gl-lines'), multiBook: ctx.values.multibook === true },
      anaplan: { port: int('anaplan-port') },
    });
    ctx.out(
      `NetSuite sandbox: ${s.netsuite.url}  (account ${s.netsuite.accountId}, ${s.netsuite.state.multiBook ? "Multi-Book: primary + 'Plan Book'" : 'single-book'})`,
    );
    ctx.out(`Anaplan sandbox:  ${s.anaplan.url}  (workspace ${s.anaplan.workspaceId}, model ${s.anaplan.modelId})`);
    const file = ctx.values['write-config'] as string | undefined;
    if (file) {
      const stores = openStores({ dataDir: dataDir() });
      try {
        const cfg = sandboxConnection(s, stores.vault, String(ctx.values.name));
        fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
        ctx.out(
          `Config written to ${file}; credentials stored in the vault as ${cfg.netsuite.credentials} and ${cfg.anaplan.credentials}.`,
        );
        for (const w of stores.vault.warnings ?? []) ctx.err(`⚠ ${w}`);
      } finally {
        await stores.close();
      }
    }
    ctx.out('Sandboxes running. Control planes under /__sandbox/ (see sandbox/README.md). Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await s.close();
    return 0;
  },
};
