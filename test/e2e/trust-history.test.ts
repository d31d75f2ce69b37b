/**
 * Payload encryption on the real dev server (issue 6 item 3): a worker and a client with the codec
 * run a workflow; the history as the server holds it (fetched by a client WITHOUT the codec) has
 * only `binary/encrypted` payloads and none of the input's words or figures; the codec reads it back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING } from '../../common/node/codec';
import { resolveDataConverter } from '../../common/node/codec-config';
import { createConnectorWorker } from '../../worker/create-worker';
import { connectorDemo, demoWorkerOptions } from '../helpers/demo-worker';
import { testTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { historyText } from '../helpers/history-text';

/** Every Payload object inside a history (anything with Uint8Array `data` and a metadata map). */
function collectPayloads(node: unknown, out: Payload[] = []): Payload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const o = node as Record<string, unknown>;
  if (
    o.metadata &&
    typeof o.metadata === 'object' &&
    (o.data instanceof Uint8Array || o.data === undefined || o.data === null) &&
    'encoding' in (o.metadata as object)
  ) {
    out.push(o as Payload);
    return out;
  }
  for (const v of Array.isArray(node) ? node : Object.values(o)) collectPayloads(v, out);
  return out;
}

describe('encrypted payloads in workflow histories', () => {
  let t: TestTemporal;
  let dataDir: string;
  let stopWorker: () => Promise<void>;
  const secretWords = ['Revenue-4000-Meridian', 'Amount-98765.43', 'Budget-FY27-Contoso'];
  let workflowId: string;
  let codecClient: Client;

  before(async () => {
    t = await testTemporal();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-trust-history-'));
    const dataConverter = resolveDataConverter({ dataDir, env: {}, createIfMissing: true, onWarning: () => undefined });
    assert.ok(dataConverter, 'the embedded default creates a codec key');
    const taskQueue = uniqueTaskQueue('trust-history');
    const { worker, connection } = await createConnectorWorker({
      address: t.server.address,
      taskQueue,
      ...demoWorkerOptions(),
      dataConverter,
      overrides: { shutdownGraceTime: '1s' },
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
    codecClient = new Client({ connection: t.connection, namespace: t.server.namespace, dataConverter });
    workflowId = `trust-history-${Date.now().toString(36)}`;
    const handle = await codecClient.workflow.start(connectorDemo, {
      taskQueue,
      workflowId,
      args: [{ steps: secretWords }],
    });
    const result = await handle.result();
    assert.deepEqual(result.completed, secretWords, 'the codec client reads the result');
  });
  after(async () => {
    await stopWorker?.();
    await t?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores only ciphertext on the server: every payload is binary/encrypted and no input word or figure is visible', async () => {
    const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    const payloads = collectPayloads(history);
    // input, 3 activity inputs, 3 activity results, workflow result
    assert.ok(payloads.length >= 8, `history has payloads (${payloads.length})`);
    for (const p of payloads) {
      assert.equal(Buffer.from(p.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
      assert.ok(p.metadata!['encryption-key-id'], 'key ID travels with the payload');
    }
    const text = historyText(history);
    for (const word of [...secretWords, '98765.43', 'Meridian', 'Contoso'])
      assert.ok(!text.includes(word), `"${word}" is not readable on the server`);
  });

  it('decodes the same history with the codec (so the scan above looked at real data)', async () => {
    const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    const codec = resolveDataConverter({ dataDir, env: {} })!.payloadCodecs![0]!;
    const decoded = await codec.decode(collectPayloads(history));
    const text = historyText(decoded); // the same rendering the ciphertext check used
    for (const word of secretWords) assert.ok(text.includes(word), `"${word}" is in the decoded history`);
    assert.ok(decoded.every((p) => Buffer.from(p.metadata!.encoding!).toString() === 'json/plain'));
  });

  it('a client without the codec cannot read the result', async () => {
    const plain = await t.client.workflow
      .getHandle(workflowId)
      .result()
      .then(
        (r) => JSON.stringify(r),
        (e: Error) => `error: ${e.message}`,
      );
    for (const word of secretWords) assert.ok(!plain.includes(word));
  });
});
