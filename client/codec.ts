/**
 * The data converter the CLI and worker use: payloads encrypted when codec keys are configured.
 * (Key loading lives in common/node/codec-keys.ts.)
 */
import type { DataConverter } from '@temporalio/common';

let resolver: (() => DataConverter | undefined) | undefined;
let resolved: { value: DataConverter | undefined } | undefined;

/** Set by the process entry once it knows the data dir (see worker/main.ts and client/cli.ts). */
export function setDataConverterResolver(fn: () => DataConverter | undefined): void {
  resolver = fn;
  resolved = undefined;
}

/** Resolved once per process: worker and client must use the same keys. */
export function cliDataConverter(): DataConverter | undefined {
  resolved ??= { value: resolver?.() };
  return resolved.value;
}

/** Commands that start, drive or read workflows: their payloads must be encrypted (issue 13 item 3). */
export const WORKFLOW_COMMANDS: ReadonlySet<string> = new Set(['worker', 'cycle', 'schedule', 'replay']);
export const PLAINTEXT_FLAG = 'insecure-plaintext-payloads';

/** No codec keys and no explicit consent to plaintext histories. */
export class PlaintextPayloadsError extends Error {
  constructor(command: string) {
    super(
      `no payload codec keys: ${command} would write (or read) Temporal histories in plaintext, where anyone with access to the ` +
        `Temporal server or its database reads period data and journal lines. Set ML_CONNECTOR_CODEC_KEYS (or ML_CONNECTOR_CODEC_KEY_FILE), ` +
        `or pass --${PLAINTEXT_FLAG} to accept plaintext payloads knowingly.`,
    );
    this.name = 'PlaintextPayloadsError';
  }
}

/**
 * The converter of a workflow command, refusing to go on without encryption unless the caller said
 * `--insecure-plaintext-payloads` (safe default: a production worker never silently writes plaintext).
 */
export function requireDataConverter(command: string, allowPlaintext: boolean): DataConverter | undefined {
  const dc = cliDataConverter();
  if (!dc && !allowPlaintext) throw new PlaintextPayloadsError(command);
  return dc;
}
