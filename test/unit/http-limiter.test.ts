/**
 * The two admission controls of the HTTP pipeline: `ConcurrencyLimiter` (NetSuite's in-flight cap,
 * lowered on throttling and climbing back) and `TenantRequestBudget` (Anaplan's per-tenant window,
 * where a slot is held while in flight and counted from the response). Clocks are injected.
 */
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimiter, HOLD_MS, PASSES_PER_STEP, withRequestPriority } from '../../activities/http/limiter';
import { TenantRequestBudget } from '../../activities/anaplan/budget';

/** A promise with its resolve function outside, to hold a request "in flight". */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('ConcurrencyLimiter', () => {
  it('refuses a limit that is not a positive integer', () => {
    assert.throws(() => new ConcurrencyLimiter(0), RangeError);
    assert.throws(() => new ConcurrencyLimiter(1.5), RangeError);
  });

  it('never has more than the limit in flight, and admits waiters in FIFO order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(limiter.inFlight, 2);
    gates[1]!.open();
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]!.open();
    await tick();
    assert.deepEqual(started, [0, 1, 2, 3]);
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
    assert.equal(limiter.peak, 2);
    assert.equal(limiter.admitted, 5);
    assert.equal(limiter.inFlight, 0);
  });

  it('releases the slot when the function throws', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await assert.rejects(
      limiter.run(async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(limiter.inFlight, 0);
    assert.equal(await limiter.run(async () => 'next'), 'next');
  });

  it('throttle() lowers the cap below what was in flight (never under 1); successes climb back one step at a time', async () => {
    const limiter = new ConcurrencyLimiter(4);
    const gates = Array.from({ length: 3 }, gate);
    const runs = gates.map((g) => limiter.run(() => g.promise));
    await tick();
    limiter.throttle();
    assert.equal(limiter.cap, 2, 'three in flight → cap two');
    limiter.throttle();
    assert.equal(limiter.cap, 1);
    limiter.throttle();
    assert.equal(limiter.cap, 1, 'never below one');
    for (const g of gates) g.open();
    await Promise.all(runs);
    for (let i = 0; i < 19; i++) limiter.succeeded();
    assert.equal(limiter.cap, 1, 'not yet: twenty successes per step');
    limiter.succeeded();
    assert.equal(limiter.cap, 2);
    for (let i = 0; i < 100; i++) limiter.succeeded();
    assert.equal(limiter.cap, 4, 'back to the limit, not beyond');
  });

  it('a waiter is admitted when the cap climbs back, without another release', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const a = gate();
    const running = limiter.run(() => a.promise);
    await tick();
    limiter.throttle(); // one in flight → cap 1
    const order: string[] = [];
    const waiting = limiter.run(async () => void order.push('second'));
    await tick();
    assert.deepEqual(order, [], 'held by the lowered cap');
    for (let i = 0; i < 20; i++) limiter.succeeded();
    await tick();
    assert.deepEqual(order, ['second']);
    a.open();
    await Promise.all([running, waiting]);
  });
});

describe('ConcurrencyLimiter priorities', () => {
  /** Queues `name` at `priority` behind the one request in flight; records the admission order. */
  function queue(limiter: ConcurrencyLimiter, order: string[], name: string, priority: number) {
    return withRequestPriority(priority, () => limiter.run(async () => void order.push(name)));
  }

  it('admits a waiting request of a higher priority before earlier ones of a lower one, FIFO among equals', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const first = gate();
    const order: string[] = [];
    const held = limiter.run(() => first.promise);
    const runs = [
      queue(limiter, order, 'actuals-1', 0),
      queue(limiter, order, 'actuals-2', 0),
      queue(limiter, order, 'full-1', 2),
      queue(limiter, order, 'full-2', 2),
      // Outside any withRequestPriority: priority 0, as before priorities existed.
      limiter.run(async () => void order.push('plain')),
    ];
    await tick();
    first.open();
    await Promise.all([held, ...runs]);
    assert.deepEqual(order, ['full-1', 'full-2', 'actuals-1', 'actuals-2', 'plain']);
  });

  it("holds a slot freed by a prioritised request for that priority's next request, then gives it to a lower waiter", async () => {
    // Mocked timers: the hold's expiry is ticked by hand, no wall clock involved.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const limiter = new ConcurrencyLimiter(1);
      const started: string[] = [];
      const hold = (name: string, priority: number, g: { promise: Promise<void> }) =>
        withRequestPriority(priority, () =>
          limiter.run(async () => {
            started.push(name);
            await g.promise;
          }),
        );
      const a = gate();
      const b = gate();
      const low = gate();
      const runs = [hold('full-1', 2, a), hold('actuals', 0, low)];
      await tick();
      assert.deepEqual(started, ['full-1']);
      a.open();
      await tick();
      assert.deepEqual(started, ['full-1'], 'the freed slot waits for the next full-cycle request');
      runs.push(hold('full-2', 2, b));
      await tick();
      assert.deepEqual(started, ['full-1', 'full-2'], 'which takes it although the other came first');
      b.open();
      await tick();
      assert.deepEqual(started, ['full-1', 'full-2']);
      mock.timers.tick(HOLD_MS);
      await tick();
      assert.deepEqual(started, ['full-1', 'full-2', 'actuals'], 'no next full-cycle request: the hold lapses');
      low.open();
      await Promise.all(runs);
      assert.equal(limiter.inFlight, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('a low-priority waiter passed over PASSES_PER_STEP times rises a step: no starvation behind a stream of higher ones', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const first = gate();
    const order: string[] = [];
    const held = limiter.run(() => first.promise);
    const runs = [queue(limiter, order, 'low', 0)];
    for (let i = 0; i < PASSES_PER_STEP + 5; i++) runs.push(queue(limiter, order, `high-${i}`, 1));
    await tick();
    first.open();
    await Promise.all([held, ...runs]);
    assert.equal(
      order.indexOf('low'),
      PASSES_PER_STEP,
      `admitted after ${PASSES_PER_STEP} higher ones: ${order.join(' ')}`,
    );
  });
});

describe('TenantRequestBudget', () => {
  it('refuses a budget that is not a positive integer', () => {
    assert.throws(() => new TenantRequestBudget(0, 60_000), RangeError);
  });

  it('holds a slot while in flight and counts it from its response until the window has passed', async () => {
    let now = 1_000_000;
    const budget = new TenantRequestBudget(2, 60_000, () => now);
    const release1 = await budget.acquire();
    const release2 = await budget.acquire();
    let third = false;
    const pending = budget.acquire().then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(third, false, 'both slots in flight');
    now += 10_000;
    release1(); // counted as completed at t+10 s
    release1(); // a second call is a no-op
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(third, false, 'a completed request still counts for the window');
    now += 60_000; // the completion at t+10 s is now outside the window
    const release3 = await pending;
    assert.equal(third, true);
    assert.ok(budget.peak <= 2, `peak ${budget.peak}`);
    release2();
    release3();
  });

  it('an aborted wait rejects and gives up nothing', async () => {
    const now = 0;
    const budget = new TenantRequestBudget(1, 60_000, () => now);
    const held = await budget.acquire();
    const ctl = new AbortController();
    const waiting = budget.acquire(ctl.signal);
    setTimeout(() => ctl.abort(new Error('cancelled')), 30);
    await assert.rejects(waiting, /cancelled/);
    held();
    assert.equal(budget.peak, 1);
  });
});
