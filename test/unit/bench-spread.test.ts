import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spread } from '../../scripts/bench';

test('bench --repeat: min / median / max of every numeric figure, nested ones by key path; text left out', () => {
  const runs = [
    { scenario: 'actuals-10k', wall_s: 30, ratio: 1.2, cpu_s: { worker: 5 }, ours_s: [1, 4], note: 'a' },
    { scenario: 'actuals-10k', wall_s: 27, ratio: 1.1, cpu_s: { worker: 7 }, ours_s: [1, 2], note: 'b' },
    { scenario: 'actuals-10k', wall_s: 33, ratio: 1.3, cpu_s: { worker: 6 }, ours_s: [3, 2], note: 'c' },
  ];
  const s = spread(runs);
  assert.deepEqual(s.wall_s, { min: 27, median: 30, max: 33 });
  assert.deepEqual(s.ratio, { min: 1.1, median: 1.2, max: 1.3 });
  assert.deepEqual(s['cpu_s.worker'], { min: 5, median: 6, max: 7 });
  assert.deepEqual(s['ours_s.0'], { min: 1, median: 1, max: 3 }, 'arrays by index');
  assert.deepEqual(s['ours_s.1'], { min: 2, median: 2, max: 4 });
  assert.equal(s.note, undefined);
  assert.equal(s.scenario, undefined);
  assert.deepEqual(
    spread(runs.slice(0, 2)).wall_s,
    { min: 27, median: 28.5, max: 30 },
    'even count: mean of the middle two',
  );
});
