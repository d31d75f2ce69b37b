/**
 * Which payload codec keys a process uses (issue 6 item 3), decided in one place for the worker,
 * every client connection and `ml-connector codec-server`:
 *
 *   1. ML_CONNECTOR_CODEC_KEYS (+ ML_CONNECTOR_CODEC_ACTIVE_KEY)      production, from a secret manager
 *   2. ML_CONNECTOR_CODEC_KEY_FILE, else `<dataDir>/codec.key`        JSON key file, mode 0600
 *   3. embedded default only (`createIfMissing`): create `<dataDir>/codec.key` on first use, warn
 *   4. otherwise none: payloads stay plaintext (the caller decides whether that is acceptable)
 */
import * as fs from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import { createDataConverter, type DataConverterOptions } from './codec';
import { CODEC_KEY_FILE_NAME, dataPaths, keySettings, type Env } from './env';
import { createCodecKeyFile, loadCodecKeys, type CodecKeys } from './codec-keys';

export { CODEC_KEY_FILE_NAME };

export interface ResolveCodecOptions extends DataConverterOptions {
  /** Directory of the embedded default key file (`.data/` unless ML_CONNECTOR_DATA_DIR says otherwise). */
  dataDir: string;
  env?: Env;
  /** Create `<dataDir>/codec.key` when no key is configured (embedded default only, never production). */
  createIfMissing?: boolean;
  /** Receives the "key file created" warning; default process.emitWarning. */
  onWarning?: (message: string) => void;
}

export interface ResolvedCodecKeys {
  keys?: CodecKeys;
  source: 'env' | 'file' | 'created' | 'none';
  keyFile?: string;
  warning?: string;
}

/** The default key file for a data directory, unless ML_CONNECTOR_CODEC_KEY_FILE names another. */
export function codecKeyFile(dataDir: string, env?: Env): string {
  return dataPaths(env, dataDir).codecKeyFile;
}

/** Keys and where they came from. Throws KeyMaterialError for malformed keys or a too-open key file. */
export function resolveCodecKeys(opts: ResolveCodecOptions): ResolvedCodecKeys {
  const env = opts.env;
  const keyFile = codecKeyFile(opts.dataDir, env);
  if (keySettings(env).codecKeys !== undefined) return { keys: loadCodecKeys({ env }), source: 'env' };
  const keys = loadCodecKeys({ env, keyFile });
  if (keys) return { keys, source: 'file', keyFile };
  // A configured key file that is missing already threw in loadCodecKeys; only the default is created.
  if (!opts.createIfMissing || fs.existsSync(keyFile)) return { source: 'none' };
  const created = createCodecKeyFile(keyFile);
  const warning =
    `created payload codec key file ${keyFile} (mode 0600): Temporal histories are encrypted with it. ` +
    `Keep it with the data directory; without it those histories cannot be read. In production set ML_CONNECTOR_CODEC_KEYS.`;
  (opts.onWarning ?? ((m: string) => process.emitWarning(m, 'MLConnectorCodecWarning')))(warning);
  return { keys: created, source: 'created', keyFile, warning };
}

/**
 * The DataConverter for `createConnectorWorker({ dataConverter })` and `new Client({ dataConverter })`;
 * undefined when no key is configured and `createIfMissing` is false (plaintext payloads).
 */
export function resolveDataConverter(opts: ResolveCodecOptions): DataConverter | undefined {
  const { keys } = resolveCodecKeys(opts);
  return keys ? createDataConverter(keys, { encryptFailures: opts.encryptFailures }) : undefined;
}
