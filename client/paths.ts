/**
 * The project root and the data directory, for the CLI (and the scripts and tests that import them
 * from here): worked out in common/node/env.ts, with every other setting.
 */
import { PROJECT_ROOT, dataDirFrom } from '../common/node/env';

export { PROJECT_ROOT };

/** ML_CONNECTOR_DATA_DIR, else `.data/` in the project root; absolute. */
export function dataDir(): string {
  return dataDirFrom();
}
