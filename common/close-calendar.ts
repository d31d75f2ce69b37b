/**
 * The close calendar (no Node imports: used inside workflows). "Business day N after month end" is
 * the N-th weekday of the month in the configured time zone that is not one of the configured
 * holidays (`schedule.holidays`, YYYY-MM-DD); the cycle that runs then imports the month that just
 * closed.
 */

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
  weekday: number; // 0 Sunday … 6 Saturday
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The calendar date of `instant` in `timeZone` (IANA name). */
export function localDate(instant: Date, timeZone: string): LocalDate {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short' }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { year: Number(get('year')), month: Number(get('month')), day: Number(get('day')), weekday: WEEKDAYS.indexOf(get('weekday')) };
}

const isoDate = (year: number, month: number, day: number) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** 1-based business-day number of a date within its month, or 0 on a weekend or a holiday. */
export function businessDayOfMonth(d: LocalDate, holidays: ReadonlySet<string> = new Set()): number {
  const off = (day: number, wd: number) => wd === 0 || wd === 6 || holidays.has(isoDate(d.year, d.month, day));
  if (off(d.day, d.weekday)) return 0;
  let n = 0;
  for (let day = 1; day <= d.day; day++) {
    if (!off(day, (d.weekday - (d.day - day) % 7 + 7) % 7)) n++;
  }
  return n;
}

/** The most holidays falling on weekdays in any one month of the list (they push business day N later). */
export function weekdayHolidaysPerMonth(holidays: readonly string[]): number {
  const perMonth = new Map<string, number>();
  for (const h of holidays) {
    const wd = new Date(`${h}T12:00:00Z`).getUTCDay();
    if (wd !== 0 && wd !== 6) perMonth.set(h.slice(0, 7), (perMonth.get(h.slice(0, 7)) ?? 0) + 1);
  }
  return Math.max(0, ...perMonth.values());
}

/** The month before the date's month, as YYYY-MM: the period a close-calendar cycle imports. */
export function previousMonth(d: Pick<LocalDate, 'year' | 'month'>): string {
  const y = d.month === 1 ? d.year - 1 : d.year;
  const m = d.month === 1 ? 12 : d.month - 1;
  return `${y}-${String(m).padStart(2, '0')}`;
}

/**
 * Days of the month on which business day N can fall (N when the 1st is a Monday … N+2 when the
 * 1st is a Saturday, later by up to `holidays` weekday holidays in the month): the schedule fires
 * on the weekdays among them and the workflow keeps the one that is business day N.
 */
export function candidateDays(businessDay: number, holidays = 0): number[] {
  const weekdays = businessDay + holidays;
  const last = weekdays + 2 + 2 * Math.floor((weekdays - 1) / 5);
  const out: number[] = [];
  for (let d = businessDay; d <= Math.min(31, last); d++) out.push(d);
  return out;
}
