/**
 * Oracle functions SuiteQL offers that SQLite lacks, registered on the connection. Dates are
 * stored as ISO text (`YYYY-MM-DD`, datetimes `YYYY-MM-DD HH:MM:SS`); masks follow Oracle's
 * format models (YYYY, MM, DD, MON, HH24, MI, SS...), the way connectors pin date formats instead of
 * relying on the user's preference (docs/netsuite.md §3.2, §10.3).
 */
import type Database from 'better-sqlite3';

export type DateFormat = 'M/D/YYYY' | 'D/M/YYYY' | 'DD.MM.YYYY' | 'YYYY-MM-DD';

const MON = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const MONTH = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
const MASK_TOKEN = /^(YYYY|YY|MONTH|MON|MM|DDD|DD|D|HH24|HH12|HH|MI|SS|AM|PM|Q)/i;

interface Parts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mi: number;
  ss: number;
}
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function parseIso(value: string): Parts | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value);
  if (!m) return undefined;
  return { y: +m[1]!, m: +m[2]!, d: +m[3]!, hh: +(m[4] ?? 0), mi: +(m[5] ?? 0), ss: +(m[6] ?? 0) };
}

function toIso(p: Parts): string {
  const date = `${pad(p.y, 4)}-${pad(p.m)}-${pad(p.d)}`;
  return p.hh || p.mi || p.ss ? `${date} ${pad(p.hh)}:${pad(p.mi)}:${pad(p.ss)}` : date;
}

/** TO_DATE(text, mask): parses with an Oracle mask; throws (→ search error) on a mismatch. */
export function toDate(text: unknown, mask: unknown, userFormat: DateFormat): string | null {
  if (text === null || text === undefined) return null;
  const s = String(text).trim();
  const fmt = typeof mask === 'string' ? mask : userFormat.replace('M/D', 'MM/DD').replace('D/M', 'DD/MM');
  const p: Parts = { y: 1970, m: 1, d: 1, hh: 0, mi: 0, ss: 0 };
  let pm = false;
  let i = 0;
  let f = 0;
  while (f < fmt.length) {
    const tok = MASK_TOKEN.exec(fmt.slice(f))?.[0];
    if (!tok) {
      if (s[i] !== fmt[f]) throw new Error(`TO_DATE: '${s}' does not match format '${fmt}'`);
      i++;
      f++;
      continue;
    }
    f += tok.length;
    const up = tok.toUpperCase();
    if (up === 'MON' || up === 'MONTH') {
      const names = up === 'MON' ? MON : MONTH;
      const idx = names.findIndex((n) => s.slice(i, i + n.length).toUpperCase() === n);
      if (idx < 0) throw new Error(`TO_DATE: bad month in '${s}'`);
      p.m = idx + 1;
      i += names[idx]!.length;
      continue;
    }
    if (up === 'AM' || up === 'PM') {
      pm = s.slice(i, i + 2).toUpperCase() === 'PM';
      i += 2;
      continue;
    }
    const width = up === 'YYYY' ? 4 : up === 'DDD' ? 3 : 2;
    const digits = /^\d+/.exec(s.slice(i, i + width))?.[0];
    if (!digits) throw new Error(`TO_DATE: '${s}' does not match format '${fmt}'`);
    i += digits.length;
    const n = Number(digits);
    if (up === 'YYYY') p.y = n;
    else if (up === 'YY') p.y = 2000 + n;
    else if (up === 'MM') p.m = n;
    else if (up === 'DD' || up === 'D') p.d = n;
    else if (up.startsWith('HH')) p.hh = n;
    else if (up === 'MI') p.mi = n;
    else if (up === 'SS') p.ss = n;
  }
  if (pm && p.hh < 12) p.hh += 12;
  if (i !== s.length || p.m < 1 || p.m > 12 || p.d < 1 || p.d > daysIn(p.y, p.m))
    throw new Error(`TO_DATE: '${s}' is not a valid date for format '${fmt}'`);
  return toIso(p);
}

/** TO_CHAR(date, mask); a date without a mask renders in the user's date format. */
export function toChar(value: unknown, mask: unknown, userFormat: DateFormat): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return formatNumber(value);
  const p = parseIso(String(value));
  if (!p) return String(value);
  if (typeof mask !== 'string') return formatUserDate(String(value), userFormat);
  let out = '';
  let f = 0;
  while (f < mask.length) {
    const tok = MASK_TOKEN.exec(mask.slice(f))?.[0];
    if (!tok) {
      out += mask[f++];
      continue;
    }
    f += tok.length;
    const up = tok.toUpperCase();
    const title = (s: string) =>
      tok === up ? s : tok[1] === tok[1]!.toLowerCase() ? s[0] + s.slice(1).toLowerCase() : s;
    out +=
      up === 'YYYY'
        ? pad(p.y, 4)
        : up === 'YY'
          ? pad(p.y % 100)
          : up === 'MM'
            ? pad(p.m)
            : up === 'MON'
              ? title(MON[p.m - 1]!)
              : up === 'MONTH'
                ? title(MONTH[p.m - 1]!)
                : up === 'DD'
                  ? pad(p.d)
                  : up === 'D'
                    ? String(new Date(Date.UTC(p.y, p.m - 1, p.d)).getUTCDay() + 1)
                    : up === 'HH24'
                      ? pad(p.hh)
                      : up === 'HH' || up === 'HH12'
                        ? pad(p.hh % 12 === 0 ? 12 : p.hh % 12)
                        : up === 'MI'
                          ? pad(p.mi)
                          : up === 'SS'
                            ? pad(p.ss)
                            : up === 'Q'
                              ? String(Math.ceil(p.m / 3))
                              : p.hh < 12
                                ? 'AM'
                                : 'PM';
  }
  return out;
}

/** Dates in SuiteQL results follow the user's date-format preference (§3.2). */
export function formatUserDate(iso: string, format: DateFormat): string {
  const p = parseIso(iso);
  if (!p) return iso;
  const date =
    format === 'M/D/YYYY'
      ? `${p.m}/${p.d}/${p.y}`
      : format === 'D/M/YYYY'
        ? `${p.d}/${p.m}/${p.y}`
        : format === 'DD.MM.YYYY'
          ? `${pad(p.d)}.${pad(p.m)}.${p.y}`
          : `${pad(p.y, 4)}-${pad(p.m)}-${pad(p.d)}`;
  if (iso.length <= 10) return date;
  const h12 = p.hh % 12 === 0 ? 12 : p.hh % 12;
  return `${date} ${h12}:${pad(p.mi)} ${p.hh < 12 ? 'am' : 'pm'}`;
}

/**
 * Numbers as Oracle's number-to-text conversion writes them: "exactly long enough to hold its
 * significant digits" (TO_CHAR(number) without a format,
 * https://docs.oracle.com/en/database/oracle/oracle-database/23/sqlrf/TO_CHAR-number.html) — no
 * leading zero before the point (`.5`, `-.25`), no trailing zeros, integers without a point. Whether
 * SuiteQL passes this text through is UNCONFIRMED (docs/netsuite.md §12); the sandbox plays it so clients
 * must parse it. Past 40 characters the sandbox switches to scientific notation (`1E+40`,
 * `-1.5E-130`): NUMBER text is capped at 40 characters in SQL*Plus-style output, but where exactly
 * Oracle switches is UNCONFIRMED. Binary-float noise is removed first (15 significant digits), so
 * sums of 2-decimal amounts print as 2-decimal amounts.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const clean = Number.isInteger(n) ? n : Number(n.toPrecision(15));
  // Shortest round-trip digits and decimal exponent: "1.2345e+3" → digits 12345, exponent 3.
  const [mantissa, exp] = Math.abs(clean).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  const sign = clean < 0 ? '-' : '';
  let fixed: string;
  if (e >= digits.length - 1) fixed = digits + '0'.repeat(e - digits.length + 1);
  else if (e >= 0) fixed = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  else fixed = `.${'0'.repeat(-e - 1)}${digits}`;
  if (sign.length + fixed.length <= 40) return sign + fixed;
  return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function registerOracleFunctions(db: Database.Database, userFormat: DateFormat): void {
  const det = { deterministic: true, varargs: true } as const;
  db.function('TO_DATE', det, (v: unknown, mask?: unknown) => toDate(v, mask, userFormat));
  db.function('TO_TIMESTAMP', det, (v: unknown, mask?: unknown) => toDate(v, mask, userFormat));
  db.function('TO_CHAR', det, (v: unknown, mask?: unknown) => toChar(v, mask, userFormat));
  db.function('TO_NUMBER', det, (v: unknown) => (v === null ? null : Number(v)));
  db.function('NVL2', det, (v: unknown, a: unknown, b: unknown) => (v === null ? b : a) as any);
  db.function('DECODE', det, (...args: unknown[]) => {
    for (let i = 1; i + 1 < args.length; i += 2) if (args[0] === args[i]) return args[i + 1] as any;
    return (args.length % 2 === 0 ? args[args.length - 1] : null) as any;
  });
  db.function('TRUNC', det, (v: unknown, arg?: unknown) => {
    if (v === null) return null;
    if (typeof v === 'number') {
      const f = 10 ** (typeof arg === 'number' ? arg : 0);
      return Math.trunc(v * f) / f;
    }
    const p = parseIso(String(v));
    if (!p) return v as any;
    const unit = typeof arg === 'string' ? arg.toUpperCase() : 'DD';
    if (unit === 'MM' || unit === 'MON' || unit === 'MONTH') return toIso({ ...p, d: 1, hh: 0, mi: 0, ss: 0 });
    if (unit === 'YYYY' || unit === 'YEAR' || unit === 'Y') return toIso({ ...p, m: 1, d: 1, hh: 0, mi: 0, ss: 0 });
    if (unit === 'Q') return toIso({ ...p, m: Math.floor((p.m - 1) / 3) * 3 + 1, d: 1, hh: 0, mi: 0, ss: 0 });
    return toIso({ ...p, hh: 0, mi: 0, ss: 0 });
  });
  db.function('ADD_MONTHS', det, (v: unknown, n: unknown) => {
    const p = v === null ? undefined : parseIso(String(v));
    if (!p) return null;
    const total = p.y * 12 + (p.m - 1) + Number(n);
    const y = Math.floor(total / 12);
    const m = (total % 12) + 1;
    return toIso({ ...p, y, m, d: Math.min(p.d, daysIn(y, m)) });
  });
  db.function('LAST_DAY', det, (v: unknown) => {
    const p = v === null ? undefined : parseIso(String(v));
    return p ? toIso({ ...p, d: daysIn(p.y, p.m) }) : null;
  });
  // Neumaier-compensated SUM: Oracle NUMBER sums are exact decimals, SQLite doubles are not; with
  // compensation a million cent amounts still sum to the exact cents after formatNumber().
  type Acc = { sum: number; comp: number; n: number };
  const add = (acc: Acc, v: unknown, sign: 1 | -1): Acc => {
    if (v === null || v === undefined) return acc;
    const x = sign * (typeof v === 'number' ? v : Number(v));
    const t = acc.sum + x;
    acc.comp += Math.abs(acc.sum) >= Math.abs(x) ? acc.sum - t + x : x - t + acc.sum;
    acc.sum = t;
    acc.n += sign;
    return acc;
  };
  db.aggregate('SUM', {
    start: () => ({ sum: 0, comp: 0, n: 0 }),
    step: (acc: Acc, v: unknown) => add(acc, v, 1),
    // `inverse` makes it usable as a window function (SUM(x) OVER (ORDER BY …)).
    inverse: (acc: Acc, v: unknown) => add(acc, v, -1),
    result: (acc: Acc) => (acc.n > 0 ? acc.sum + acc.comp : null),
  });
}
