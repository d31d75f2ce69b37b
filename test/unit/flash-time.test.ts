/** The close watcher's flash timing and input parsing (issue 16 item 1), on fixed instants. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flashDue, msUntilFlash } from '../../common/flash-time';
import { monthsBetween } from '../../common/ids';
import { parseFlash, parseInterval } from '../../client/commands/close-watch';
import { UsageError } from '../../client/command';

describe('flash cycles', () => {
  // Monday 2026-11-30 06:59 / 07:00 in Paris (UTC+1).
  const before = new Date('2026-11-30T05:59:30Z');
  const at = new Date('2026-11-30T06:00:10Z');
  it('is due on a business day at or after HH:MM local, once a day', () => {
    assert.equal(flashDue(before, '07:00', 'Europe/Paris', [], []), null);
    assert.deepEqual(flashDue(at, '07:00', 'Europe/Paris', [], []), { day: '2026-11-30', period: '2026-11' });
    assert.equal(flashDue(at, '07:00', 'Europe/Paris', [], ['2026-11-30']), null, 'done today');
    // The same instant is 01:00 in New York: not yet.
    assert.equal(flashDue(at, '07:00', 'America/New_York', [], []), null);
  });
  it('skips weekends and holidays', () => {
    assert.equal(flashDue(new Date('2026-11-28T12:00:00Z'), '07:00', 'UTC', [], []), null, 'Saturday');
    assert.equal(flashDue(new Date('2026-11-30T12:00:00Z'), '07:00', 'UTC', ['2026-11-30'], []), null, 'holiday');
  });
  it('follows the configured weekend: a Sunday–Thursday week flashes on Sunday, not on Friday', () => {
    const friday = new Date('2026-11-27T12:00:00Z');
    const sunday = new Date('2026-11-29T12:00:00Z');
    assert.deepEqual(
      flashDue(friday, '07:00', 'UTC', [], []),
      { day: '2026-11-27', period: '2026-11' },
      'Friday is a business day by default',
    );
    assert.equal(flashDue(sunday, '07:00', 'UTC', [], []), null, 'Sunday is not by default');
    assert.equal(flashDue(friday, '07:00', 'UTC', [], [], ['Fri', 'Sat']), null, 'Friday off');
    assert.deepEqual(
      flashDue(sunday, '07:00', 'UTC', [], [], ['Fri', 'Sat']),
      { day: '2026-11-29', period: '2026-11' },
      'Sunday on',
    );
    assert.equal(flashDue(sunday, '07:00', 'UTC', ['2026-11-29'], [], ['Fri', 'Sat']), null, 'a holiday still is not');
    // The weekday is the local one: Friday 23:30 UTC is already Saturday in Tokyo, and Sunday there is on.
    const late = new Date('2026-11-27T23:30:00Z');
    assert.deepEqual(flashDue(late, '07:00', 'Asia/Tokyo', [], [], ['Fri']), { day: '2026-11-28', period: '2026-11' });
    assert.equal(flashDue(late, '07:00', 'Asia/Tokyo', [], [], ['Sat']), null);
    assert.deepEqual(
      flashDue(late, '07:00', 'UTC', [], [], ['Sat']),
      { day: '2026-11-27', period: '2026-11' },
      'still Friday in UTC',
    );
  });
  it('uses the local date for the month (the 1st in Tokyo is still the 30th in UTC)', () => {
    assert.deepEqual(flashDue(new Date('2026-11-30T23:30:00Z'), '07:00', 'Asia/Tokyo', [], []), {
      day: '2026-12-01',
      period: '2026-12',
    });
  });
  it('sleeps until the next HH:MM', () => {
    assert.equal(msUntilFlash(before, '07:00', 'Europe/Paris'), 30_000);
    assert.equal(msUntilFlash(new Date('2026-11-30T06:00:00Z'), '07:00', 'Europe/Paris'), 24 * 3600_000);
  });
});

describe('watcher and backfill inputs', () => {
  it('parses intervals and refuses bad ones, naming the option', () => {
    assert.equal(parseInterval('1h'), 3600_000);
    assert.equal(parseInterval('15m'), 900_000);
    assert.equal(parseInterval('2h30m'), 9000_000);
    assert.equal(parseInterval('30s'), 30_000);
    for (const bad of ['', '1d', 'h', '0s', '10'])
      assert.throws(
        () => parseInterval(bad),
        (e: Error) => e instanceof UsageError && /--interval/.test(e.message),
        bad,
      );
  });
  it('parses --flash "daily-at HH:MM"', () => {
    assert.equal(parseFlash('daily-at 07:30'), '07:30');
    for (const bad of ['07:30', 'daily-at 24:00', 'daily-at 7:30', 'weekly-at 07:30'])
      assert.throws(() => parseFlash(bad), /--flash/, bad);
  });
  it('lists the months of a backfill range across years', () => {
    assert.deepEqual(monthsBetween('2024-11', '2025-02'), ['2024-11', '2024-12', '2025-01', '2025-02']);
    assert.equal(monthsBetween('2024-01', '2026-10').length, 34);
    assert.deepEqual(monthsBetween('2025-03', '2025-02'), []);
  });
});
