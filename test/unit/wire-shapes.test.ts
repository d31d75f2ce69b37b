/**
 * A response body the client does not understand fails the same way in both clients (docs/style.md §9):
 * a named, non-retryable protocol error naming the request and the fields that did not match — never a
 * bare zod error that Temporal would retry for minutes against the same answer. The Anaplan sandbox
 * sits behind a small proxy that drops one field of one answer, as a changed API would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { AnaplanProtocolError } from '../../activities/anaplan/errors';
import { NetSuiteProtocolError } from '../../activities/netsuite/errors';
import { toActivityFailure } from '../../activities/http';
import type { AnaplanSandbox } from '../../sandbox/anaplan/server';
import { client, sandbox } from '../fixtures/anaplan/harness';
import { clientFor, startSandbox } from '../fixtures/netsuite/harness';

describe('a changed response shape', () => {
  let sb: AnaplanSandbox;
  let proxy: http.Server;
  let proxyUrl = '';
  /** Requests per path that reached the proxy. */
  const seen = new Map<string, number>();
  /** Per path: how to change the sandbox's JSON answer before the client sees it. */
  const rewrite = new Map<string, (body: Record<string, unknown>) => unknown>();

  before(async () => {
    sb = await sandbox();
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const pathOnly = (req.url ?? '').split('?')[0]!;
        seen.set(pathOnly, (seen.get(pathOnly) ?? 0) + 1);
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
        ) as Record<string, string>;
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const upstream = await fetch(`${sb.url}${req.url}`, { method: req.method, headers, body });
        let text = Buffer.from(await upstream.arrayBuffer());
        const change = rewrite.get(pathOnly);
        if (change && upstream.ok) text = Buffer.from(JSON.stringify(change(JSON.parse(text.toString('utf8')))));
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => proxy.close(r));
    await sb.close();
  });

  const proxied = () => client(sb, { authUrl: proxyUrl, oauthUrl: proxyUrl, apiUrl: `${proxyUrl}/2/0` });

  it('Anaplan: a user without its email is an AnaplanProtocolError naming the request and field, sent once, not retried by Temporal', async () => {
    rewrite.set('/2/0/users/me', (b) => ({ ...b, user: { ...(b.user as object), email: undefined } }));
    seen.delete('/2/0/users/me');
    const err = await proxied()
      .me()
      .then(
        () => assert.fail('the changed answer was accepted'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof AnaplanProtocolError, `a protocol error, got ${String(err)}`);
    assert.equal(err.retryable, false);
    assert.match(err.message, /^Anaplan GET \/users\/me: unexpected response shape \(email: Required\)$/);
    assert.equal(seen.get('/2/0/users/me'), 1, 'the same request is not sent again');
    const failure = toActivityFailure(err);
    assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable, 'Temporal does not retry it either');
  });

  it('Anaplan: the unchanged answer still parses through the same path', async () => {
    rewrite.clear();
    const me = await proxied().me();
    assert.equal(me.email, sb.demoUser.email);
  });

  it('NetSuite: a SuiteQL row without an expected column is a NetSuiteProtocolError Temporal does not retry', async () => {
    const ns = await startSandbox();
    try {
      const rows = clientFor(ns).suiteql('SELECT id FROM account', {
        schema: z.object({ id: z.string(), acctnumber: z.string() }),
      });
      const err = await (async () => {
        for await (const page of rows) void page;
      })().then(
        () => assert.fail('the rows were accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof NetSuiteProtocolError, `a protocol error, got ${String(err)}`);
      assert.match(
        err.message,
        /^NetSuite POST \/services\/rest\/query\/v1\/suiteql: unexpected row 0 shape \(acctnumber: Required\)$/,
      );
      const failure = toActivityFailure(err);
      assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable, 'Temporal does not retry it');
    } finally {
      await ns.close();
    }
  });
});
