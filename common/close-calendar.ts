/**
 * The close calendar (no Node imports: used inside workflows). "Business day N after month end" is
 * the N-th day of the month in the configured time zone that is neither a weekend day
 * (`schedule.weekend`, default Saturday and Sunday; Friday and Saturday for a Sunday–Thursday
 * week) nor one of the configured holidays (`schedule.holidays`, YYYY-MM-DD); the cycle that runs
 * then imports the month that just closed. The flash cycles of the period-close watcher use the
 * same business days.
 */

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
  weekday: number; // 0 Sunday … 6 Saturday
}

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type WeekdayName = (typeof WEEKDAYS)[number];
/** Saturday and Sunday: the default weekend (and what schedules and watchers created before it was configurable use). */
export const DEFAULT_WEEKEND: readonly WeekdayName[] = ['Sat', 'Sun'];

/** Weekday numbers (0 Sunday … 6 Saturday) of a weekend given by names. */
const weekendSet = (weekend: readonly string[]): ReadonlySet<number> =>
  new Set(weekend.map((w) => WEEKDAYS.indexOf(w as WeekdayName)));

/** The business weekdays (names, Sunday first) of a weekend. */
export function businessWeekdays(weekend: readonly string[] = DEFAULT_WEEKEND): WeekdayName[] {
  const off = weekendSet(weekend);
  return WEEKDAYS.filter((_, i) => !off.has(i));
}

/** The calendar date of `instant` in `timeZone` (IANA name). */
export function localDate(instant: Date, timeZone: string): LocalDate {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    weekday: 'short',
  }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    weekday: WEEKDAYS.indexOf(get('weekday') as WeekdayName),
  };
}

const isoDate = (year: number, month: number, day: number) =>
  `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** 1-based business-day number of a date within its month, or 0 on a weekend day or a holiday. */
export function businessDayOfMonth(
  d: LocalDate,
  holidays: ReadonlySet<string> = new Set(),
  weekend: readonly string[] = DEFAULT_WEEKEND,
): number {
  const weekendDays = weekendSet(weekend);
  const off = (day: number, wd: number) => weekendDays.has(wd) || holidays.has(isoDate(d.year, d.month, day));
  if (off(d.day, d.weekday)) return 0;
  let n = 0;
  for (let day = 1; day <= d.day; day++) {
    if (!off(day, (d.weekday - ((d.day - day) % 7) + 7) % 7)) n++;
  }
  return n;
}

/** The most holidays falling on business weekdays in any one month of the list (they push business day N later). */
export function weekdayHolidaysPerMonth(
  holidays: readonly string[],
  weekend: readonly string[] = DEFAULT_WEEKEND,
): number {
  const weekendDays = weekendSet(weekend);
  const perMonth = new Map<string, number>();
  for (const h of holidays) {
    const wd = new Date(`${h}T12:00:00Z`).getUTCDay();
    if (!weekendDays.has(wd)) perMonth.set(h.slice(0, 7), (perMonth.get(h.slice(0, 7)) ?? 0) + 1);
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
 * Days of the month on which business day N can fall (from N, when the month starts with N
 * business weekdays in a row, to the latest day it can reach over the seven weekdays the 1st can
 * fall on, later by up to `holidays` holidays on business weekdays in the month): the schedule
 * fires on the business weekdays among them and the workflow keeps the one that is business day N.
 */
export function candidateDays(
  businessDay: number,
  holidays = 0,
  weekend: readonly string[] = DEFAULT_WEEKEND,
): number[] {
  const weekendDays = weekendSet(weekend);
  const weekdays = businessDay + holidays;
  let last = businessDay;
  for (let first = 0; first < 7; first++) {
    let count = 0;
    for (let day = 1; day <= 31; day++) {
      if (!weekendDays.has((first + day - 1) % 7) && ++count === weekdays) {
        last = Math.max(last, day);
        break;
      }
    }
  }
  const out: number[] = [];
  for (let d = businessDay; d <= Math.min(31, last); d++) out.push(d);
  return out;
}
