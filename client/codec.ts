/**
 * The data converter the CLI and worker use: payloads encrypted when codec keys are configured.
 * (Key loading lives in common/codec-keys.ts.)
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
