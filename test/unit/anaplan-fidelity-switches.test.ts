/**
 * The connector against the other side of each unconfirmed Anaplan behaviour (sandbox/FIDELITY.md):
 * A3 `/token/refresh` answering a new token value, A5 device-grant `authorization_pending`/`slow_down`
 * under other HTTP statuses, A16 other `details.type` values and `currentStep` texts, A18 model reads that
 * do not wait for a busy model, A22 case-sensitive period matching in imports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollDeviceToken, startDeviceAuthorization } from '../../activities/anaplan/auth';
import { anaplanPeriodCode } from '../../common/config';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { FAST_POLL, FAST_RETRY, client, control, glCsv, sandbox } from '../fixtures/anaplan/harness';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anaplan-switches-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function withSandbox<T>(opts: Parameters<typeof sandbox>[0], fn: (sb: AnaplanSandbox) => Promise<T>): Promise<T> {
  const sb = await sandbox(opts);
  try {
    return await fn(sb);
  } finally {
    await sb.close();
  }
}

test('A3 refreshNewTokenValue: the connector adopts the new token from /token/refresh; the old one is refused', async () => {
  await withSandbox({}, async (sb) => {
    // Flipped at run time, as the control plane allows.
    assert.equal((await control(sb, 'POST', '/switches', { refreshNewTokenValue: true })).refreshNewTokenValue, true);
    let offsetMs = 0;
    const c = client(sb, { now: () => Date.now() + offsetMs });
    assert.equal((await c.me()).email, sb.demoUser.email);
    const first = await c.tokens.token();
    // 34 minutes on both clocks: inside the refresh margin, not yet expired.
    offsetMs += 34 * 60_000;
    sb.state.clockOffsetMs += 34 * 60_000;
    assert.ok((await c.lists()).length > 0);
    const second = await c.tokens.token();
    assert.notEqual(second, first, 'a new token value came back');
    assert.deepEqual(
      { ...c.tokens.stats },
      { authenticated: 1, refreshed: 1, reauthenticatedAfter401: 0, adoptedFromStore: 0 },
      'refreshed once and used at once: no 401, no second login',
    );
    const old = await fetch(`${sb.url}/2/0/users/me`, { headers: { authorization: `AnaplanAuthToken ${first}` } });
    assert.equal(old.status, 401, 'the token before the refresh is dead');
  });
});

test('A5 devicePollStatus: authorization_pending under 401, 403 or 429 — polled at the server interval, never early, then approved', async () => {
  for (const status of [401, 403, 429]) {
    await withSandbox({ devicePollStatus: status, deviceIntervalSec: 0.2 }, async (sb) => {
      const http = { transport: {}, retryPolicy: FAST_RETRY };
      const device = await startDeviceAuthorization({ oauthUrl: sb.url, clientId: sb.oauthClientId, http });
      const raw = await fetch(`${sb.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: device.device_code,
          client_id: sb.oauthClientId,
        }),
      });
      assert.equal(raw.status, status);
      assert.equal(((await raw.json()) as { error: string }).error, 'authorization_pending');
      const polls = async () =>
        (
          (await control(sb, 'GET', '/auth-log')).events as Array<{ kind: string; ok: boolean; reason?: string }>
        ).filter((e) => e.kind === 'oauth-token');
      const tokens = pollDeviceToken({
        oauthUrl: sb.url,
        clientId: sb.oauthClientId,
        device,
        http,
        slowDownIncrementMs: 200,
      });
      // Let the client poll a few times before the human approves.
      while ((await polls()).length < 4) await new Promise((r) => setTimeout(r, 50));
      await control(sb, 'POST', '/device/approve', { userCode: device.user_code });
      const got = await tokens;
      assert.ok(got.accessToken && got.refreshToken, `tokens under ${status}`);
      const events = await polls();
      // The raw poll above was the only early one; the client itself never polled before the interval.
      assert.deepEqual(
        events.filter((e) => e.reason === 'slow_down').length,
        0,
        `no slow_down under ${status}: ${JSON.stringify(events.map((e) => e.reason ?? 'ok'))}`,
      );
      assert.equal(events.at(-1)!.ok, true);
    });
  }
});

test('A16 moduleDetailType: module import counts are read by key whatever details.type says', async () => {
  const rows = [
    ['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '10'],
    ['6200', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '20'],
    ['9999', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '30'],
  ];
  const file = join(dir, 'a16.csv');
  await writeFile(file, glCsv(rows));
  for (const type of ['moduleRowsProcessed', 'moduleCellsProcessed', 'importRowsProcessed']) {
    await withSandbox({ moduleDetailType: type }, async (sb) => {
      const c = client(sb);
      const imp = await c.findImport('Import GL Actuals');
      await c.uploadFile(imp.importDataSourceId!, file);
      const r = await c.runImport(imp.id, { poll: FAST_POLL });
      // The sandbox really sent the variant.
      const task = (
        await c.getJson(`/workspaces/${sb.workspaceId}/models/${sb.modelId}/imports/${imp.id}/tasks/${r.taskId}`)
      ).task as { result: { details: Array<{ type: string }> } };
      assert.deepEqual(
        task.result.details.map((d) => d.type),
        [type],
      );
      assert.deepEqual(
        { total: r.counts.total, ok: r.counts.successful, failed: r.counts.failed },
        { total: 3, ok: 2, failed: 1 },
        `counts under details.type ${type}`,
      );
      assert.deepEqual(sb.cellTotals('ACT01 GL Actuals', 'Amount', { Period: 'Oct 26' }), { cells: 2, total: 30 });
    });
  }
});

test('A18 blockWhileBusy: false — model reads answer during an import instead of waiting; the import still completes', async () => {
  await withSandbox({ taskDurationMs: 3000 }, async (sb) => {
    const c = client(sb);
    const imp = await c.findImport('Import GL Actuals');
    const file = join(dir, 'a18.csv');
    await writeFile(file, glCsv([['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '5']]));
    const accounts = await c.findList('Accounts');
    const taskState = async () =>
      ((await control(sb, 'GET', '/tasks')).tasks as Array<{ taskState: string }>).at(-1)?.taskState;
    for (const blockWhileBusy of [false, true]) {
      await control(sb, 'POST', '/switches', { blockWhileBusy });
      await c.uploadFile(imp.importDataSourceId!, file);
      const run = c.runImport(imp.id, { poll: FAST_POLL });
      while ((await taskState()) !== 'IN_PROGRESS') await new Promise((r) => setTimeout(r, 20));
      const items = await c.listItems(accounts.id);
      assert.ok(items.length > 0);
      // Off: the read came back while the task still held the model. On: only after it let go.
      assert.equal(await taskState(), blockWhileBusy ? 'COMPLETE' : 'IN_PROGRESS', `blockWhileBusy ${blockWhileBusy}`);
      const r = await run;
      assert.equal(r.counts.successful, 1);
    }
  });
});

test('A22 periodCaseSensitive: the connector writes period codes exactly as the model names them, so every month loads', async () => {
  await withSandbox({}, async (sb) => {
    await control(sb, 'POST', '/switches', { periodCaseSensitive: true });
    const c = client(sb);
    const imp = await c.findImport('Import GL Actuals');
    const periods = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`);
    // The codes the connector sends (common/config.ts anaplanPeriodCode, no overrides).
    const codes = periods.map((p) => anaplanPeriodCode({ periods: { overrides: {} } } as never, p));
    const load = async (labels: string[]) => {
      const file = join(dir, 'a22.csv');
      await writeFile(file, glCsv(labels.map((l) => ['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', l, '1'])));
      await c.uploadFile(imp.importDataSourceId!, file);
      return c.runImport(imp.id, { poll: FAST_POLL });
    };
    const ok = await load(codes);
    assert.deepEqual(
      { ok: ok.counts.successful, failed: ok.counts.failed },
      { ok: 12, failed: 0 },
      `codes ${codes.join(', ')}`,
    );
    // The switch bites: the same months in another case are refused as Anaplan words it.
    const shouted = await load(codes.map((x) => x.toUpperCase()));
    assert.equal(shouted.counts.failed, 12);
    assert.match(shouted.dump!.rows[0]!.error, /Invalid date or timescale identifier: JAN 26/);
    // Off (the default), the sandbox matches case-insensitively.
    await control(sb, 'POST', '/switches', { periodCaseSensitive: false });
    assert.equal((await load(codes.map((x) => x.toUpperCase()))).counts.successful, 12);
  });
});

test('A16 alternateStepTexts: other currentStep wordings change nothing — loads count, a result-less end is still a failure naming the action', async () => {
  await withSandbox({}, async (sb) => {
    await control(sb, 'POST', '/switches', { alternateStepTexts: true });
    const c = client(sb);
    const imp = await c.findImport('Import GL Actuals');
    const file = join(dir, 'a16-steps.csv');
    await writeFile(file, glCsv([['6100', 'SUB-2', 'DEP-104', 'CLS-201', 'LOC-301', 'Oct 26', '5']]));
    await c.uploadFile(imp.importDataSourceId!, file);
    const r = await c.runImport(imp.id, { poll: FAST_POLL });
    assert.equal(r.counts.successful, 1);
    const steps = async () =>
      ((await control(sb, 'GET', '/tasks')).tasks as Array<{ currentStep: string }>).map((t) => t.currentStep);
    assert.deepEqual(await steps(), ['Completed'], 'the sandbox really used the other wording');
    await control(sb, 'POST', '/faults', { kind: 'task-failed-no-result', count: 1 });
    await assert.rejects(
      c.runImport(imp.id, { poll: FAST_POLL }),
      (e: unknown) =>
        e instanceof Error &&
        /ended COMPLETE \("Failed"\) without a result/.test(e.message) &&
        e.message.includes(imp.id),
    );
    assert.deepEqual(await steps(), ['Completed', 'Failed']);
  });
});
