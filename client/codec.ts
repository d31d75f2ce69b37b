/**
 * The data converter the CLI and worker use: payloads encrypted when codec keys are configured.
 * (Key loading lives in common/codec-keys.ts.)
 */
import type { DataConverter } from '@temporalio/common';

let resolver: (() => DataConverter | undefined) | undefined;

/** Set by the process entry once it knows the data dir (see worker/main.ts and client/cli.ts). */
export function setDataConverterResolver(fn: () => DataConverter | undefined): void {
  resolver = fn;
}

export function cliDataConverter(): DataConverter | undefined {
  return resolver?.();
}
