/**
 * Money as integer cents, so sums tie out exactly (no floating-point drift over a million rows).
 *
 * NetSuite returns SuiteQL amounts as text (or, per some clients, JSON numbers: UNCONFIRMED, §3.2).
 * Oracle's number-to-text conversion writes a NUMBER "exactly long enough to hold its significant
 * digits" (TO_CHAR(number) without a format,
 * https://docs.oracle.com/en/database/oracle/oracle-database/23/sqlrf/TO_CHAR-number.html): no
 * leading zero before the point (`.5`, `-.25`), no trailing zeros, integers without a point
 * (docs/netsuite.md §12). Whether and where it switches to scientific notation for very large or very small
 * magnitudes (`1E+40`, `1E-130`) is not in that page: the parser accepts exponents either way, so it
 * does not depend on the answer. Anaplan exports print whatever the line item format prints.
 *
 * Parsing is exact decimal arithmetic on the digits (no binary float in between) and rounds to the
 * cent half away from zero. Anything that is not a plain decimal — thousands separators, a decimal
 * comma, currency signs, `NaN`, `Infinity`, hex — is refused, never read as zero.
 */
const NUMBER_TEXT = /^([-+])?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d{1,6}))?$/;
/** Longest text accepted: Oracle NUMBER has 38 digits; with sign, point and exponent this is ample. */
const MAX_TEXT = 64;

/** An amount that is not a number, or too large to hold in cents exactly. Names the value and why. */
export class AmountFormatError extends Error {
  constructor(
    readonly raw: unknown,
    readonly reason: string,
  ) {
    super(`amount ${describe(raw)} ${reason}`);
    this.name = 'AmountFormatError';
  }
}

function describe(raw: unknown): string {
  const s = typeof raw === 'string' ? raw : String(raw);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/**
 * Cents of a decimal amount (text or JSON number). Throws AmountFormatError for anything else;
 * `what` names the value in the message (e.g. "NetSuite total of period 32").
 */
export function toCents(raw: string | number, what?: string): number {
  try {
    return centsOf(raw);
  } catch (err) {
    if (err instanceof AmountFormatError && what) throw new AmountFormatError(raw, `(${what}) ${err.reason}`);
    throw err;
  }
}

function centsOf(raw: string | number): number {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new AmountFormatError(raw, 'is not a finite number');
    // The shortest text that reads back as the same double: the decimal the sender meant.
    text = String(raw);
  } else if (typeof raw === 'string') {
    text = raw.trim();
  } else {
    throw new AmountFormatError(raw, `is a ${typeof raw}, not a number or decimal text`);
  }
  if (text.length > MAX_TEXT) throw new AmountFormatError(raw, `is longer than ${MAX_TEXT} characters`);
  const m = NUMBER_TEXT.exec(text);
  const intDigits = m?.[2] ?? '';
  const fracDigits = m?.[3] ?? '';
  if (!m || intDigits.length + fracDigits.length === 0) {
    const hint = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)
      ? ' (thousands separators are not accepted)'
      : /^[-+]?\d*,\d+$/.test(text)
        ? ' (a decimal comma is not accepted; use a point)'
        : '';
    throw new AmountFormatError(raw, `is not a number${hint}`);
  }
  const negative = m[1] === '-';
  const exponent = Number(m[4] ?? '0');
  const digits = (intDigits + fracDigits).replace(/^0+(?=\d)/, '');
  if (/^0*$/.test(digits)) return 0;
  // value = digits × 10^(exponent − fracDigits); cents = value × 100.
  const shift = exponent - fracDigits.length + 2;
  let cents: bigint;
  if (shift >= 0) {
    // Past 2^53 cents a sum can no longer balance to the cent: refuse rather than round silently.
    if (digits.length + shift > 16) throw new AmountFormatError(raw, 'is too large to hold exactly in cents');
    cents = BigInt(digits) * 10n ** BigInt(shift);
  } else if (-shift > digits.length + 1) {
    cents = 0n; // below half a cent
  } else {
    const divisor = 10n ** BigInt(-shift);
    const value = BigInt(digits);
    cents = value / divisor;
    if ((value % divisor) * 2n >= divisor) cents += 1n; // half away from zero (the sign is applied after)
  }
  if (cents > BigInt(Number.MAX_SAFE_INTEGER))
    throw new AmountFormatError(raw, 'is too large to hold exactly in cents');
  const n = Number(cents);
  return negative && n !== 0 ? -n : n;
}

/**
 * Lenient form for row mapping: null for an empty value, NaN for one that is not a number (the
 * caller quarantines the row and can say why with `amountProblem`), cents otherwise.
 */
export function parseCents(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string' && raw.trim() === '') return null;
  try {
    return centsOf(raw);
  } catch (err) {
    if (err instanceof AmountFormatError) return Number.NaN;
    throw err;
  }
}

/** Why `raw` is not an amount (for quarantine reasons), or undefined when it is one. */
export function amountProblem(raw: string | number | null | undefined): string | undefined {
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return 'amount is empty';
  try {
    centsOf(raw);
    return undefined;
  } catch (err) {
    if (err instanceof AmountFormatError) return err.message;
    throw err;
  }
}

export function centsToString(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
