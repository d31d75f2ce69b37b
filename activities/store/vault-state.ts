/**
 * The highest vault write counter this host has seen (issue 13 item 8: rollback detection), kept
 * apart from the vault file: `ML_CONNECTOR_VAULT_STATE_FILE`, default `<vault file>.seen`.
 *
 * Trade-off (README "Vault lifecycle"): the file holds no secret, only a number, and is trusted on
 * first use (missing = nothing seen yet). It catches a vault file restored or copied over on its own
 * (a backup, another host's older copy, an attacker who can write the vault but not the state). Whoever
 * can also replace or delete the state file defeats it; put it where only the connector's user can
 * write (another directory or volume) for that. The default sits next to the vault so a read-only
 * key location (/etc, a secret mount) keeps working.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic-file';
import { VaultIntegrityError } from './errors';

const STATE_FORMAT = 'ml-connector-vault-seen';

export interface SeenState {
  counter: number;
  /** Key ID the counter was seen under (informational). */
  keyId?: string;
  seenAt: string;
}

export function defaultStateFile(vaultFile: string): string {
  return `${vaultFile}.seen`;
}

/** undefined when the file does not exist (first use). A corrupt file is refused, never taken as 0. */
export function readSeen(stateFile: string, vaultFile: string): SeenState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(stateFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let doc: Record<string, unknown> | undefined;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  if (doc?.format !== STATE_FORMAT || !Number.isSafeInteger(doc.counter) || (doc.counter as number) < 0) {
    throw new VaultIntegrityError(
      `vault state file ${stateFile} (last vault version seen) is not readable; if the vault ${vaultFile} is the one you want, ` +
        `run \`ml-connector credentials accept-rollback\` to record it again; nothing was changed`,
      vaultFile,
    );
  }
  return { counter: doc.counter as number, keyId: typeof doc.keyId === 'string' ? doc.keyId : undefined, seenAt: String(doc.seenAt) };
}

export function writeSeen(stateFile: string, state: SeenState): void {
  writeFileAtomic(stateFile, JSON.stringify({ format: STATE_FORMAT, ...state }) + '\n', 0o600);
}
