/**
 * A busy model (docs/anaplan.md §8, §15): whether Anaplan answers 409/423 instead of queueing is
 * UNCONFIRMED, so the sandbox plays it with a kit fault and the client must back off and retry, and
 * report a model that stays busy as AnaplanModelBusyError (sandbox/FIDELITY.md A18).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnaplanModelBusyError } from '../../activities/anaplan/errors';
import type { CallRecord } from '../../activities/http';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, control, sandbox } from '../fixtures/anaplan/harness';

let sb: AnaplanSandbox;
before(async () => {
  sb = await sandbox();
});
after(() => sb.close());

test('409 and 423 on a model read are retried until the model answers', async () => {
  const calls: CallRecord[] = [];
  const c = client(sb, { observer: (r) => calls.push(r) });
  await c.me();
  await control(sb, 'POST', '/faults', { match: { method: 'GET', path: '/lists' }, status: 409, count: 1 });
  await control(sb, 'POST', '/faults', { match: { method: 'GET', path: '/lists' }, status: 423, count: 1 });
  assert.ok((await c.lists()).length > 0);
  assert.deepEqual(
    calls.filter((r) => r.path.endsWith('/lists')).map((r) => r.status),
    [409, 423, 200],
  );
  assert.deepEqual(await control(sb, 'GET', '/faults'), [], 'both faults fired');
});

test('a model that stays busy ends in AnaplanModelBusyError, not a hang or a generic error', async () => {
  const c = client(sb);
  await c.me();
  await control(sb, 'POST', '/faults', { match: { method: 'GET', path: '/lists' }, status: 423, rate: 1 });
  try {
    await assert.rejects(c.lists(), AnaplanModelBusyError);
  } finally {
    await control(sb, 'DELETE', '/faults');
  }
});
