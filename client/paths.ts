import * as path from 'node:path';

/**
 * The project root (where package.json lives); `.data/` sits under it unless ML_CONNECTOR_DATA_DIR
 * says otherwise. Compiled code runs from dist/client/, one level deeper than the sources.
 */
export const PROJECT_ROOT = path.basename(path.resolve(__dirname, '..')) === 'dist' ? path.resolve(__dirname, '..', '..') : path.resolve(__dirname, '..');

export function dataDir(): string {
  return path.resolve(process.env.ML_CONNECTOR_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
}
