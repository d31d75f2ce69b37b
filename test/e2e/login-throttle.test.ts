/**
 * A full cycle against a NetSuite account that refuses over-limit calls with a delayed 401
 * "Invalid login attempt" instead of 429 (sandbox switch `overLimitResponse: '401'`, reference
 * §6.3/§12), with the account's limit below the connector's cap (another integration holds the
 * rest): the cycle completes and ties out, journals are posted once, and no token is re-minted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCycle } from '../../client/cycle-runner';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('over-limit calls answered as bad logins', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, {
      netsuite: {
        glLines: 4_000,
        concurrencyLimit: 2,
        overLimitResponse: '401',
        overLimitDelayMs: 100,
        pageLatencyMs: 20,
      },
    });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('completes a full cycle that ties out, with one token and every journal once', { timeout: 180_000 }, async () => {
    assert.equal(env.config.netsuite.concurrency, 5, 'the connector may try more than the account allows');
    const r = await (await startCycle(t.client, env.config, '2026-10', 'full', undefined, env.taskQueue)).result();
    assert.equal(r.status, 'completed');
    assert.equal(r.tieOut!.balanced, true, JSON.stringify(r.tieOut));
    const stats = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/stats`)).json()) as {
      requests: Record<string, Record<string, number>>;
      rejectedOverLimit: number;
      tokensIssued: number;
    };
    const refused401 = Object.values(stats.requests).reduce((n, byStatus) => n + (byStatus['401'] ?? 0), 0);
    assert.ok(
      refused401 > 0 && stats.rejectedOverLimit === refused401,
      `over-limit 401s: ${refused401}, rejected ${stats.rejectedOverLimit}`,
    );
    assert.equal(stats.tokensIssued, 1, 'throttling 401s never re-mint the token');
    const journals = (
      (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/journals`)).json()) as Array<{ externalId?: string }>
    ).filter((j) => String(j.externalId ?? '').startsWith('mlc-'));
    assert.equal(journals.length, r.plan!.journals);
    assert.equal(new Set(journals.map((j) => j.externalId)).size, journals.length, 'no journal twice');
  });
});
