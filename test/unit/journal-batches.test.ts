import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { journalBatchSize } from '../../workflows/journal-batches';

describe('journal batch size', () => {
  it('keeps 25 per batch for small plans and at most ~30 batches for any plan', () => {
    assert.equal(journalBatchSize(12), 25);
    assert.equal(journalBatchSize(750), 25);
    for (const n of [751, 2_000, 10_000, 123_457]) {
      const size = journalBatchSize(n);
      assert.ok(Math.ceil(n / size) <= 30, `${n} journals → ${Math.ceil(n / size)} batches`);
    }
  });

  it('honours an explicit batch size', () => {
    assert.equal(journalBatchSize(10_000, 2), 2);
  });
});
