import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  businessDayOfMonth,
  businessWeekdays,
  candidateDays,
  localDate,
  previousMonth,
  WEEKDAYS,
  weekdayHolidaysPerMonth,
} from '../../common/close-calendar';

describe('close calendar', () => {
  it('numbers business days within a month and skips weekends', () => {
    // December 2026: Tue 1, Wed 2, Thu 3, Fri 4, Sat 5, Sun 6, Mon 7.
    const dec = (day: number) => localDate(new Date(Date.UTC(2026, 11, day, 15)), 'America/New_York');
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((d) => businessDayOfMonth(dec(d))),
      [1, 2, 3, 4, 0, 0, 5],
    );
    // August 2026 starts on a Saturday: business day 3 is Wednesday the 5th.
    const aug = (day: number) => localDate(new Date(Date.UTC(2026, 7, day, 15)), 'America/New_York');
    assert.equal(businessDayOfMonth(aug(5)), 3);
    assert.equal(businessDayOfMonth(aug(3)), 1);
  });

  it('takes the date in the configured time zone, not UTC', () => {
    const instant = new Date('2026-12-01T03:00:00Z'); // still Nov 30 in New York
    assert.deepEqual(localDate(instant, 'America/New_York'), { year: 2026, month: 11, day: 30, weekday: 1 });
    assert.equal(localDate(instant, 'Europe/Berlin').day, 1);
  });

  it('covers every month layout with its candidate days', () => {
    for (const n of [1, 3, 5, 8]) {
      const days = candidateDays(n);
      for (let first = 0; first < 7; first++) {
        // Find business day n for a month whose 1st has weekday `first`.
        let count = 0;
        let hit = 0;
        for (let day = 1; day <= 31 && !hit; day++) {
          const wd = (first + day - 1) % 7;
          if (wd !== 0 && wd !== 6 && ++count === n) hit = day;
        }
        assert.ok(
          days.includes(hit),
          `business day ${n} on day ${hit} (1st weekday ${first}) is a candidate of ${days}`,
        );
      }
    }
  });

  it('skips configured holidays: business day 3 of January 2027 moves from the 5th to the 6th', () => {
    // Fri 1 (New Year's Day), Mon 4, Tue 5, Wed 6.
    const jan = (day: number) => localDate(new Date(Date.UTC(2027, 0, day, 15)), 'America/New_York');
    const holidays = new Set(['2027-01-01']);
    assert.deepEqual(
      [1, 4, 5, 6].map((d) => businessDayOfMonth(jan(d))),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      [1, 4, 5, 6].map((d) => businessDayOfMonth(jan(d), holidays)),
      [0, 1, 2, 3],
    );
    assert.equal(
      weekdayHolidaysPerMonth(['2027-01-01', '2026-12-25', '2026-12-24', '2026-12-26']),
      2,
      'two weekday holidays in Dec 2026 (the 26th is a Saturday)',
    );
  });

  it('widens the candidate days by the weekday holidays a month can hold', () => {
    for (const n of [1, 3, 8]) {
      for (const h of [1, 2]) {
        const days = candidateDays(n, h);
        for (let first = 0; first < 7; first++) {
          // Holidays on the month's first h weekdays: business day n is the (n + h)-th weekday.
          let count = 0;
          let hit = 0;
          for (let day = 1; day <= 31 && !hit; day++) {
            const wd = (first + day - 1) % 7;
            if (wd !== 0 && wd !== 6 && ++count === n + h) hit = day;
          }
          assert.ok(
            days.includes(hit),
            `business day ${n} with ${h} holidays on day ${hit} (1st weekday ${first}) is a candidate of ${days}`,
          );
        }
      }
    }
  });

  it('counts business days in a configured week: Sunday–Thursday (weekend Fri, Sat)', () => {
    // December 2026: Tue 1 … Thu 3, Fri 4, Sat 5, Sun 6, Mon 7.
    const dec = (day: number) => localDate(new Date(Date.UTC(2026, 11, day, 15)), 'Asia/Riyadh');
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((d) => businessDayOfMonth(dec(d), new Set(), ['Fri', 'Sat'])),
      [1, 2, 3, 0, 0, 4, 5],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((d) => businessDayOfMonth(dec(d), new Set(), [])),
      [1, 2, 3, 4, 5, 6, 7],
      'no weekend: every day',
    );
    assert.deepEqual(businessWeekdays(['Fri', 'Sat']), ['Sun', 'Mon', 'Tue', 'Wed', 'Thu']);
    assert.deepEqual(businessWeekdays(), ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']);
    assert.equal(
      weekdayHolidaysPerMonth(['2026-12-04', '2026-12-06', '2026-12-07'], ['Fri', 'Sat']),
      2,
      'the Friday holiday is a weekend day there; Sunday and Monday count',
    );
  });

  it('gives the same candidate days as before for the default weekend, and covers other weeks', () => {
    // The closed form used before the weekend was configurable (Saturday and Sunday).
    const before = (n: number, h: number) => {
      const w = n + h;
      const last = w + 2 + 2 * Math.floor((w - 1) / 5);
      return Array.from({ length: Math.min(31, last) - n + 1 }, (_, i) => n + i);
    };
    for (const n of [1, 3, 5, 8, 20])
      for (const h of [0, 1, 2])
        assert.deepEqual(candidateDays(n, h), before(n, h), `business day ${n}, ${h} holidays`);
    for (const weekend of [['Fri', 'Sat'], ['Sun'], [], ['Thu', 'Fri', 'Sat']]) {
      for (const n of [1, 3, 8]) {
        const days = candidateDays(n, 0, weekend);
        for (let first = 0; first < 7; first++) {
          let count = 0;
          let hit = 0;
          for (let day = 1; day <= 31 && !hit; day++)
            if (!weekend.includes(WEEKDAYS[(first + day - 1) % 7]!) && ++count === n) hit = day;
          assert.ok(
            days.includes(hit),
            `weekend ${weekend.join(',')}: business day ${n} on day ${hit} (1st weekday ${first}) is a candidate of ${days}`,
          );
        }
      }
    }
  });

  it('names the month that just closed', () => {
    assert.equal(previousMonth({ year: 2026, month: 11 }), '2026-10');
    assert.equal(previousMonth({ year: 2027, month: 1 }), '2026-12');
  });
});
