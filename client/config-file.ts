/** Reads and validates a connection config file; every problem is reported at once with its path. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseConfig, type ConnectionConfig } from '../common/config';

export const DEFAULT_CONFIG_FILE = 'ml-connector.config.json';

export function loadConfigFile(file = DEFAULT_CONFIG_FILE): ConnectionConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseConfig(raw, file);
}
