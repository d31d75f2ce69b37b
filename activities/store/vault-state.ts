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
import { VaultIntegrityError, VaultRollbackError } from './errors';

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
  return {
    counter: doc.counter as number,
    keyId: typeof doc.keyId === 'string' ? doc.keyId : undefined,
    seenAt: String(doc.seenAt),
  };
}

export function writeSeen(stateFile: string, state: SeenState): void {
  writeFileAtomic(stateFile, JSON.stringify({ format: STATE_FORMAT, ...state }) + '\n', 0o600);
}

/** The rollback check of one vault against its state file. */
export class SeenCounter {
  private warned = false;

  constructor(
    readonly stateFile: string,
    private readonly vaultFile: string,
    private readonly warn: (message: string) => void,
    private readonly now: () => Date,
  ) {}

  /** Highest counter recorded; `tolerant` treats an unreadable state file as none. */
  lastSeen(opts: { tolerant?: boolean } = {}): number | undefined {
    try {
      return readSeen(this.stateFile, this.vaultFile)?.counter;
    } catch (e) {
      if (opts.tolerant) return undefined;
      throw e;
    }
  }

  /** Refuses a counter below the last one seen; records a higher one. */
  check(counter: number, keyId: string): void {
    const seen = this.lastSeen();
    if (seen !== undefined && counter < seen) {
      throw new VaultRollbackError(
        `vault ${this.vaultFile} is at version ${counter} but version ${seen} was seen before (${this.stateFile}): ` +
          `an older copy of the vault was restored. If that was deliberate, run \`ml-connector credentials accept-rollback\`; nothing was changed`,
        this.vaultFile,
        this.stateFile,
        counter,
        seen,
      );
    }
    // Two readers may race here and the lower write land last; the state then holds a counter that
    // was genuinely seen, only less strict than it could be. Writers update it under the vault lock.
    if (seen === undefined || counter > seen) this.note(counter, keyId);
  }

  /** Best effort, with one warning: reads must keep working on a read-only mount. */
  note(counter: number, keyId: string): void {
    try {
      writeSeen(this.stateFile, { counter, keyId, seenAt: this.now().toISOString() });
    } catch (e) {
      if (this.warned) return;
      this.warned = true;
      this.warn(
        `cannot record the vault version in ${this.stateFile} (${(e as NodeJS.ErrnoException).code ?? 'error'}): rollback detection ` +
          `is not kept up to date; set ML_CONNECTOR_VAULT_STATE_FILE to a writable path`,
      );
    }
  }
}
