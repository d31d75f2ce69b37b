import * as path from 'node:path';

/** The project root (where package.json lives); `.data/` sits under it unless ML_CONNECTOR_DATA_DIR says otherwise. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export function dataDir(): string {
  return path.resolve(process.env.ML_CONNECTOR_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
}
