/**
 * Certificate watch (issue 6 item 6): an expired NetSuite certificate in the vault stops the cycle
 * in preflight with a clear, non-retryable error before any NetSuite call; one expiring within 30
 * days is a preflight warning and a worker-log warning (certificateWarnings).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { certificateWarnings } from '../../activities/store';
import { parseConfig, type ConnectionConfig } from '../../common/config';
import { cycleWorkflowId } from '../../common/ids';
import { createCertificate } from '../../sandbox/certs';
import { sandboxNetsuitePins } from '../../client/sandbox-connection';
import { planningCycle } from '../../workflows';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

const DAY = 86_400_000;

describe('certificate watch', () => {
  let t: TestTemporal;
  let env: CycleEnv;

  /** Registers a certificate with the NetSuite sandbox's M2M mappings and stores it in the vault. */
  async function withCertificate(name: string, notBefore: Date, days: number): Promise<ConnectionConfig> {
    const cert = await createCertificate({ kind: 'ec', notBefore, days });
    const demo = env.sandboxes.netsuite.demoClient;
    const res = await fetch(`${env.sandboxes.netsuite.url}/__sandbox/m2m-mappings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: demo.clientId,
        certificateId: `${name}-cert`,
        certificatePem: cert.certificatePem,
      }),
    });
    assert.equal(res.status, 201, await res.text());
    env.built.stores.vault.set(
      `${name}-netsuite`,
      'netsuite',
      {
        accountId: env.sandboxes.netsuite.accountId,
        clientId: demo.clientId,
        certificateId: `${name}-cert`,
        privateKeyPem: cert.privateKeyPem,
        certificatePem: cert.certificatePem,
        algorithm: 'ES256',
      },
      sandboxNetsuitePins(env.sandboxes),
    );
    return parseConfig({ ...env.config, name, netsuite: { ...env.config.netsuite, credentials: `${name}-netsuite` } });
  }

  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 500 } });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await t?.close();
  });

  it('stops the cycle in preflight, non-retryably, before any NetSuite call, when the stored certificate has expired', async () => {
    const config = await withCertificate('expired', new Date(Date.now() - 40 * DAY), 30);
    const statsBefore = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/stats`)).json()) as {
      tokensIssued: number;
    };
    const workflowId = `${cycleWorkflowId(config.anaplan.workspaceId, config.anaplan.modelId, '2026-10', 'full')}:expired`;
    const handle = await t.client.workflow.start(planningCycle, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [{ config, period: '2026-10', kind: 'full' }],
    });
    const err = await handle.result().then(
      () => assert.fail('the cycle must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const activity = err.cause;
    assert.ok(activity instanceof ActivityFailure, `failed in an activity: ${String(activity)}`);
    assert.equal(activity.activityType, 'preflight');
    const app = activity.cause;
    assert.ok(app instanceof ApplicationFailure);
    assert.equal(app.nonRetryable, true);
    assert.match(
      app.message,
      /NetSuite certificate of connection expired expired on \d{4}-\d{2}-\d{2}.*credentials set/,
    );

    const history = await handle.fetchHistory();
    // The preflight's attempts only: a full cycle queues its locks with its preflight (requestModelLock).
    const preflightScheduled = new Set(
      history
        .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'preflight')
        .map((e) => String(e.eventId)),
    );
    const preflightAttempts = history
      .events!.filter(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          preflightScheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)),
      )
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.deepEqual(preflightAttempts, [1], 'one attempt, no retries');
    const statsAfter = (await (await fetch(`${env.sandboxes.netsuite.url}/__sandbox/stats`)).json()) as {
      tokensIssued: number;
    };
    assert.equal(statsAfter.tokensIssued, statsBefore.tokensIssued, 'no NetSuite token was requested');
    assert.deepEqual(
      (await env.built.stores.audit.queryCalls({ cycleId: workflowId })).filter((c) => c.system === 'netsuite'),
      [],
      'no NetSuite call recorded for the cycle',
    );
    assert.ok(
      certificateWarnings(env.built.stores.vault).some((w) => /"expired-netsuite" expired on/.test(w)),
      'worker-log warning',
    );
  });

  it('warns (in preflight and for the worker log) when the certificate expires within 30 days, and preflight still passes', async () => {
    const config = await withCertificate('soon', new Date(Date.now() - DAY), 12);
    const pre = await env.built.activities.preflight({ config, period: '2026-10', kind: 'full' });
    assert.ok(
      pre.warnings.some((w) => /NetSuite certificate of connection soon expires in 1[01] days/.test(w)),
      pre.warnings.join('; '),
    );
    const logWarnings = certificateWarnings(env.built.stores.vault);
    assert.ok(
      logWarnings.some((w) => /"soon-netsuite" expires in 1[01] days/.test(w)),
      logWarnings.join('; '),
    );
    assert.ok(!logWarnings.some((w) => w.includes('"demo-netsuite"')), 'a certificate valid for long is not mentioned');
  });
});
