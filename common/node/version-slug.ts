/**
 * How a plan version's name appears in journal external IDs (activities/mapping/journals.ts), and
 * which configured names would collide there. Lives in common/ because the config schema refuses
 * colliding versions at validation, before any cycle runs; in common/node/ because the slug's hash is
 * node:crypto's SHA-256 (so workflows import only types from common/config, lint).
 */
import { createHash } from 'node:crypto';

/**
 * Longest version slug in an external ID. With the prefix (≤ 20, config), the model (12), the month
 * (6), a subsidiary internal ID (≤ 12 digits, queries.ts `sqlInt`) and a part number, every ID stays
 * within MAX_JOURNAL_EXTERNAL_ID_LENGTH.
 */
export const VERSION_SLUG_MAX = 24;
/**
 * The form in which two version names are "the same" for NetSuite: NFKC, lower case (NetSuite treats
 * external IDs case-insensitively — Oracle help "Using Internal IDs, External IDs, and References"),
 * every run of non-letters/digits one separator. `Forecast Q1`, `Forecast-Q1` and `FORECAST_Q1` are one.
 */
export function canonicalVersion(version: string): string {
  return version
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_|_$/g, '');
}

/**
 * The version as it appears in external IDs. A short ASCII name keeps the slug earlier releases gave
 * it (lower case, `_` for separators), so journals already in the ledger are still recognised. Any
 * other name — non-ASCII letters would vanish from the slug (`Бюджет` and `Прогноз` would both be
 * empty), a long one would make IDs too long — gets a readable ASCII stem plus 8 hex digits of the
 * SHA-256 of its canonical form, which keeps distinct names distinct.
 */
export function versionSlug(version: string): string {
  const ascii = version
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  if (/^[\x20-\x7e]*$/.test(version) && ascii && ascii.length <= VERSION_SLUG_MAX) return ascii;
  const hash = createHash('sha256').update(canonicalVersion(version)).digest('hex').slice(0, 8);
  return `${ascii.slice(0, VERSION_SLUG_MAX - 9).replace(/_$/, '') || 'v'}_${hash}`;
}

/** Configured versions that would share external IDs (same slug or same canonical form), as name pairs. */
export function collidingVersions(versions: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Map<string, string>();
  for (const v of versions) {
    for (const key of new Set([`slug:${versionSlug(v)}`, `canon:${canonicalVersion(v)}`])) {
      const first = seen.get(key);
      if (first !== undefined && first !== v) {
        out.push([first, v]);
        break;
      }
      if (first === undefined) seen.set(key, v);
    }
  }
  return out;
}
