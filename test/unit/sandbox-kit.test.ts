/**
 * The sandbox kit's control plane, spoken to both sandboxes in one dialect: the same fault bodies
 * (`{match, status | latency | drop | login401, rate | count}`), the same `/__sandbox/faults` and
 * `/__sandbox/requests` answers. Each sandbox is probed on an endpoint whose normal answer is known
 * (NetSuite's token endpoint refuses an empty form with 400; Anaplan's authenticate gives 201), so a
 * fired fault shows as a different answer and an unfired one as the normal answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAnaplanSandbox, type AnaplanSandbox } from '../../sandbox/anaplan/server';
import { startNetSuiteSandbox, type StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';

interface Target {
  name: string;
  url(): string;
  path: string;
  route: string;
  normal: number;
  probe(): Promise<Response>;
}

let ns: StartedNetSuiteSandbox;
let ap: AnaplanSandbox;

const targets: Target[] = [
  {
    name: 'NetSuite',
    url: () => ns.url,
    path: '/services/rest/auth/oauth2/v1/token',
    route: 'POST /services/rest/auth/oauth2/v1/token',
    normal: 400,
    probe: () =>
      fetch(`${ns.url}/services/rest/auth/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      }),
  },
  {
    name: 'Anaplan',
    url: () => ap.url,
    path: '/token/authenticate',
    route: 'POST /token/authenticate',
    normal: 201,
    probe: () =>
      fetch(`${ap.url}/token/authenticate`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${ap.demoUser.email}:${ap.demoUser.password}`).toString('base64')}`,
        },
      }),
  },
];

before(async () => {
  [ns, ap] = await Promise.all([startNetSuiteSandbox({ glLines: 100 }), startAnaplanSandbox()]);
});
after(async () => {
  await Promise.all([ns.close(), ap.close()]);
});

async function control(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url()}/__sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function statusOf(t: Target): Promise<number> {
  const res = await t.probe();
  await res.arrayBuffer();
  return res.status;
}

for (const t of targets) {
  describe(`${t.name} sandbox speaks the kit dialect`, () => {
    before(async () => {
      await control(t, 'DELETE', 'faults');
      await control(t, 'POST', 'requests/reset');
    });

    test('status with count: answers the status n times, then the normal answer; one-shot faults are used up', async () => {
      const added = await control(t, 'POST', 'faults', {
        match: { method: 'POST', path: t.path },
        status: 503,
        count: 2,
      });
      assert.equal(added.status, 201);
      assert.equal(added.body.effect, 'status');
      assert.equal(added.body.remaining, 2);
      assert.deepEqual([await statusOf(t), await statusOf(t), await statusOf(t)], [503, 503, t.normal]);
      assert.deepEqual((await control(t, 'GET', 'faults')).body, []);
    });

    test('match.method filters: a fault for GET leaves the POST alone', async () => {
      await control(t, 'POST', 'faults', { match: { method: 'GET', path: t.path }, status: 500 });
      assert.equal(await statusOf(t), t.normal);
      assert.equal((await control(t, 'GET', 'faults')).body.length, 1, 'still armed');
      await control(t, 'DELETE', 'faults');
    });

    test('login401 answers 401, drop closes the socket, latency only delays', async () => {
      await control(t, 'POST', 'faults', { match: { path: t.path }, login401: true });
      const refused = await t.probe();
      assert.equal(refused.status, 401);
      if (t.name === 'NetSuite')
        assert.equal(((await refused.json()) as any)['o:errorDetails'][0]['o:errorCode'], 'INVALID_LOGIN');
      else await refused.arrayBuffer();

      await control(t, 'POST', 'faults', { match: { path: t.path }, drop: true });
      await assert.rejects(t.probe(), 'the connection is dropped without an answer');

      await control(t, 'POST', 'faults', { match: { path: t.path }, latency: 20 });
      assert.equal(await statusOf(t), t.normal);
      assert.deepEqual((await control(t, 'GET', 'faults')).body, []);
    });

    test('rate 0 never fires and stays armed; rate 1 with count fires count times', async () => {
      await control(t, 'POST', 'faults', { match: { path: t.path }, status: 502, rate: 0 });
      assert.equal(await statusOf(t), t.normal);
      const armed = (await control(t, 'GET', 'faults')).body;
      assert.equal(armed.length, 1);
      assert.equal(armed[0].remaining, null, 'a rate without count is unlimited');
      await control(t, 'DELETE', 'faults');
      await control(t, 'POST', 'faults', { match: { path: t.path }, status: 502, rate: 1, count: 1 });
      assert.deepEqual([await statusOf(t), await statusOf(t)], [502, t.normal]);
    });

    test('one stats shape: /__sandbox/requests counts routes and fired faults by effect; reset clears it', async () => {
      const stats = (await control(t, 'GET', 'requests')).body;
      assert.deepEqual(Object.keys(stats).sort(), ['faultsFired', 'requests']);
      // One counting rule: every probe so far counts, whatever answered it (fault, drop or route).
      assert.equal(stats.requests[t.route], 10, JSON.stringify(stats.requests));
      // Fired so far in this block: status ×2 + ×1 (rate 1), login401, drop, latency.
      assert.deepEqual(stats.faultsFired, { status: 3, login401: 1, drop: 1, latency: 1 });
      assert.equal((await control(t, 'POST', 'requests/reset')).status, 200);
      assert.deepEqual((await control(t, 'GET', 'requests')).body, { requests: {}, faultsFired: {} });
    });

    test('requests are counted the same way: a faulted request counts under its route, an unknown path is METHOD (no route)', async () => {
      await control(t, 'DELETE', 'faults');
      await control(t, 'POST', 'requests/reset');
      await control(t, 'POST', 'faults', { match: { path: t.path }, status: 503, count: 1 });
      assert.deepEqual([await statusOf(t), await statusOf(t)], [503, t.normal]);
      const unknown = await fetch(`${t.url()}/no/such/path`);
      await unknown.arrayBuffer();
      assert.ok(unknown.status >= 400);
      assert.deepEqual((await control(t, 'GET', 'requests')).body, {
        requests: { [t.route]: 2, 'GET (no route)': 1 },
        faultsFired: { status: 1 },
      });
      await control(t, 'POST', 'requests/reset');
    });

    test('one control-plane style: an unknown endpoint and a non-JSON body answer {error}', async () => {
      const unknown = await control(t, 'GET', 'no-such-thing');
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.error, /no control endpoint GET \/__sandbox\/no-such-thing/);
      const res = await fetch(`${t.url()}/__sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { error: 'body must be JSON' });
    });

    test('a bad fault is refused with 400 naming the problem', async () => {
      const two = await control(t, 'POST', 'faults', { match: { path: t.path }, status: 503, drop: true });
      assert.equal(two.status, 400);
      assert.match(two.body.error, /exactly one of status, latency, drop, login401/);
      const status = await control(t, 'POST', 'faults', { status: 200 });
      assert.equal(status.status, 400);
      assert.match(status.body.error, /status/);
      const rate = await control(t, 'POST', 'faults', { drop: true, rate: 2 });
      assert.match(rate.body.error, /rate/);
      const unknown = await control(t, 'POST', 'faults', { match: { host: 'x' }, drop: true });
      assert.equal(unknown.status, 400);
      assert.deepEqual((await control(t, 'GET', 'faults')).body, []);
    });
  });
}

test('the original fault bodies still work on both (aliases of the kit dialect)', async () => {
  const n = await control(targets[0]!, 'POST', 'faults', {
    kind: '5xx',
    status: 503,
    count: 1,
    route: 'oauth2/v1/token',
  });
  assert.equal(n.status, 201);
  assert.equal(typeof n.body.id, 'number');
  assert.equal(await statusOf(targets[0]!), 503);
  assert.equal(
    (await control(targets[0]!, 'GET', 'stats')).body.faultsFired['5xx'],
    1,
    'legacy kinds keep their name in faultsFired',
  );
  const a = await control(targets[1]!, 'POST', 'faults', {
    kind: 'status',
    status: 429,
    retryAfterSec: 3,
    path: '/token/authenticate',
  });
  assert.equal(a.status, 201);
  const res = await targets[1]!.probe();
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '3');
  await res.arrayBuffer();
  assert.ok((await control(targets[1]!, 'GET', 'state')).body.faults.length === 0);
});

test('an outage: down() refuses connections, up() answers again on the same URL with the state kept (both sandboxes)', async () => {
  const listeners = [ns.sandbox.listener!, ap.listener];
  for (const [i, t] of targets.entries()) {
    await control(t, 'POST', 'requests/reset');
    assert.equal(await statusOf(t), t.normal);
    await listeners[i]!.down();
    await assert.rejects(t.probe(), /fetch failed/, `${t.name} is down`);
    await listeners[i]!.up();
    assert.equal(await statusOf(t), t.normal, `${t.name} answers again at ${t.url()}`);
    const counted = await control(t, 'GET', 'requests');
    assert.equal(counted.body.requests[t.route], 2, `${t.name} kept its counters across the outage`);
  }
});
