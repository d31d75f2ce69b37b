/**
 * Money as integer cents, so sums tie out exactly (no floating-point drift over a million rows).
 * NetSuite returns amounts as decimal strings; Anaplan exports whatever the line item format
 * prints. Both are parsed strictly: a value that is not a plain decimal is an error, not a zero.
 */
const DECIMAL = /^[-+]?(\d+)(\.\d+)?([eE][-+]?\d+)?$/;

export function parseCents(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const s = typeof raw === 'number' ? String(raw) : raw.trim();
  if (s === '') return null;
  if (!DECIMAL.test(s)) return Number.NaN;
  const n = Number(s);
  if (!Number.isFinite(n)) return Number.NaN;
  const cents = Math.round(n * 100);
  // Past 2^53 cents a sum can no longer balance to the cent: refuse rather than round silently.
  return Number.isSafeInteger(cents) ? cents : Number.NaN;
}

export function centsToString(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
