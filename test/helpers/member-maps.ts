/**
 * Member maps for activity tests that prepare or extract without an alignment step: each dimension maps
 * Anaplan codes to NetSuite internal IDs (and back), nothing unmapped.
 */
import type { MemberMap, MemberMaps } from '../../activities/mapping/dimensions';

export const memberMap = (fromCode: Record<string, string>): MemberMap => ({
  fromCode,
  toCode: Object.fromEntries(Object.entries(fromCode).map(([code, id]) => [id, code])),
  unmapped: {},
  outOfScope: [],
});

/** Every dimension's map; classes and locations are empty unless given. */
export const memberMaps = (codes: {
  accounts: Record<string, string>;
  subsidiaries: Record<string, string>;
  departments: Record<string, string>;
  classes?: Record<string, string>;
  locations?: Record<string, string>;
}): MemberMaps => ({
  accounts: memberMap(codes.accounts),
  subsidiaries: memberMap(codes.subsidiaries),
  departments: memberMap(codes.departments),
  classes: memberMap(codes.classes ?? {}),
  locations: memberMap(codes.locations ?? {}),
});
