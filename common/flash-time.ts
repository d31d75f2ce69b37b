/**
 * When the close watcher's flash cycle is due (issue 16 item 1, `--flash daily-at HH:MM`). Pure
 * and without Node imports: used inside workflows/close-watch.ts and tested on fixed instants.
 */
import { businessDayOfMonth, DEFAULT_WEEKEND, localDate } from './close-calendar';

export interface LocalClock {
  year: number;
  month: number;
  day: number;
  weekday: number;
  /** YYYY-MM-DD */
  date: string;
  /** Minutes since local midnight. */
  minutes: number;
}

export function localClock(now: Date, timeZone: string): LocalClock {
  const d = localDate(now, timeZone);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return {
    ...d,
    date: `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`,
    minutes: get('hour') * 60 + get('minute'),
  };
}

/** `HH:MM` → minutes since midnight. */
export const flashMinutes = (at: string) => Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5));

/**
 * The flash of `now`'s local day, if due: a business day (not a weekend day — Saturday and Sunday
 * unless `weekend` says otherwise — nor a holiday), at or after HH:MM, not done yet that day. The
 * month is the local date's.
 */
export function flashDue(
  now: Date,
  at: string,
  timeZone: string,
  holidays: readonly string[],
  doneDays: readonly string[],
  weekend: readonly string[] = DEFAULT_WEEKEND,
): { day: string; period: string } | null {
  const c = localClock(now, timeZone);
  if (c.minutes < flashMinutes(at) || doneDays.includes(c.date)) return null;
  if (businessDayOfMonth(c, new Set(holidays), weekend) === 0) return null;
  return { day: c.date, period: c.date.slice(0, 7) };
}

/** Milliseconds until the next local HH:MM (a full day when it is HH:MM now). */
export function msUntilFlash(now: Date, at: string, timeZone: string): number {
  const c = localClock(now, timeZone);
  const delta = (flashMinutes(at) - c.minutes + 1440) % 1440 || 1440;
  return delta * 60_000 - (now.getUTCSeconds() * 1000 + now.getUTCMilliseconds());
}
