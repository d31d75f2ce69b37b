import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parseCommandArgs } from '../../client/command';
import { createCodecServerCommand } from '../../client/commands/codec-server';
import { toWire, type CodecServer } from '../../client/codec-server';
import { resolveDataConverter } from '../../common/codec-config';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-codec-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], env: NodeJS.ProcessEnv, whileUp: (s: CodecServer) => Promise<void> = async () => undefined) {
  const cmd = createCodecServerCommand({ env, until: whileUp });
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ml-connector codec-server', () => {
  it('refuses to start without keys, and creates none', async () => {
    const r = await run(['--port', '0'], { ML_CONNECTOR_DATA_DIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.err, /no payload codec keys/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("decodes the worker's payloads with the data dir's key, behind a bearer token from --token-env, with CORS for the UI", async () => {
    const env = { ML_CONNECTOR_DATA_DIR: dir, CODEC_TOKEN: randomBytes(24).toString('base64url') };
    const dc = resolveDataConverter({ dataDir: dir, env, createIfMissing: true, onWarning: () => undefined })!;
    const [enc] = await dc.payloadCodecs![0]!.encode([defaultPayloadConverter.toPayload({ amount: '4321.09' }) as Payload]);
    const body = JSON.stringify({ payloads: [toWire(enc!)] });
    let checked = false;
    const r = await run(['--port', '0', '--token-env', 'CODEC_TOKEN', '--cors-origin', 'https://ui.example'], env, async (s) => {
      const denied = await fetch(`${s.url}/decode`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.equal(denied.status, 401);
      const res = await fetch(`${s.url}/decode`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${env.CODEC_TOKEN}`, origin: 'https://ui.example' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://ui.example');
      const [p] = ((await res.json()) as { payloads: Array<{ data: string }> }).payloads;
      assert.deepEqual(JSON.parse(Buffer.from(p!.data, 'base64').toString()), { amount: '4321.09' });
      checked = true;
    });
    assert.equal(r.code, 0, r.err);
    assert.ok(checked);
    assert.ok(!r.out.includes(env.CODEC_TOKEN), 'the token is never printed');
  });
});
