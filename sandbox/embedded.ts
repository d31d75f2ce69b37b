/**
 * Both sandboxes in one process, seeded alike: what `ml-connector sandbox`, `npm start` and the e2e
 * tests run. Pointing the connector at them (demo credentials in the vault, the connection config) is
 * the CLI's part: client/sandbox-connection.ts. The sandboxes import no connector code.
 */
import { startAnaplanSandbox, type AnaplanSandbox, type AnaplanSandboxOptions } from './anaplan';
import { startNetSuiteSandbox, type NetSuiteSandboxOptions } from './netsuite/server';

export type NetSuiteSandboxHandle = Awaited<ReturnType<typeof startNetSuiteSandbox>>;

export interface Sandboxes {
  netsuite: NetSuiteSandboxHandle;
  anaplan: AnaplanSandbox;
  close(): Promise<void>;
}

export interface SandboxesOptions {
  seed?: number;
  netsuite?: NetSuiteSandboxOptions;
  anaplan?: AnaplanSandboxOptions;
}

export async function startSandboxes(opts: SandboxesOptions = {}): Promise<Sandboxes> {
  const seed = opts.seed ?? 42;
  const netsuite = await startNetSuiteSandbox({ seed, ...opts.netsuite });
  let anaplan: AnaplanSandbox;
  try {
    anaplan = await startAnaplanSandbox({ seed, ...opts.anaplan });
  } catch (err) {
    await netsuite.close();
    throw err;
  }
  return {
    netsuite,
    anaplan,
    close: async () => {
      await Promise.allSettled([netsuite.close(), anaplan.close()]);
    },
  };
}
