/**
 * Reconciliation report (issue 16 item 4): a full cycle on the sandboxes, `ml-connector report`
 * writes the HTML, and a real headless Chromium shows it. The figures read off the rendered page are
 * compared with the audit rows (SQL on the audit database) and with NetSuite's own GL (the
 * sandbox's tables), the chart's bars are counted, and header clicks sort the tables.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { AuditTrail } from '../../activities/store';
import { createReportCommand } from '../../client/commands/report';
import { buildReportData, renderReportHtml, workflowInfo } from '../../client/report';
import { cycleWorkflowId } from '../../common/ids';
import type { CycleSummary } from '../../common/dto';
import { planningCycle } from '../../workflows';
import { cycleEnv, type CycleEnv } from '../helpers/cycle-env';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { openPage, type BrowserPage } from '../helpers/browser';
import { inheritedEnv, testRunSettings } from '../../common/node/env';

const PERIOD = '2026-10';
const toCents = (s: string | number) => Math.round(Number(s) * 100);

interface PageRow {
  account: string;
  subsidiary: string;
  netsuite: number;
  loaded: number;
  quarantined: number;
  rejected: number;
  difference: number;
  reasons: string;
}

const readActuals = (p: BrowserPage) =>
  p.evaluate<PageRow[]>(
    `Array.from(document.querySelectorAll('#actuals tbody tr')).map((tr) => { const c = tr.cells; return { account: c[0].textContent, subsidiary: c[1].textContent, netsuite: +c[2].dataset.v, loaded: +c[3].dataset.v, quarantined: +c[4].dataset.v, rejected: +c[5].dataset.v, difference: +c[6].dataset.v, reasons: c[8].textContent }; })`,
  );

describe('reconciliation report in a real browser', () => {
  let t: TestTemporal;
  let env: CycleEnv;
  let summary: CycleSummary;
  let cycleId: string;
  let page: BrowserPage;
  let out: string;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-report-'));

  before(async () => {
    t = await testTemporal();
    env = await cycleEnv(t, { netsuite: { glLines: 4_000 } });
    await env.startWorker();
    cycleId = cycleWorkflowId(env.config.anaplan.workspaceId, env.config.anaplan.modelId, PERIOD, 'full');
    const h = await t.client.workflow.start(planningCycle, {
      taskQueue: env.taskQueue,
      workflowId: cycleId,
      args: [{ config: env.config, period: PERIOD, kind: 'full' }],
    });
    summary = await h.result();
    assert.equal(summary.status, 'completed');
    out = path.join(tmp, 'report.html');
    const lines: string[] = [];
    const cmd = createReportCommand({
      env: inheritedEnv({
        ML_CONNECTOR_DATA_DIR: env.dataDir,
        ML_CONNECTOR_AUDIT_DB: env.built.stores.audit.location,
      }),
      workflowInfo: (id) => workflowInfo(t.client, id),
    });
    const code = await cmd.run({
      values: { cycle: cycleId, out },
      positionals: [],
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    assert.equal(code, 0, lines.join('\n'));
    assert.equal(lines.at(-1), path.resolve(out), 'prints the path it wrote');
    page = await openPage(pathToFileURL(out).href, {
      readyExpression: `document.body && document.body.dataset.ready === '1'`,
    });
  });
  after(async () => {
    await page?.close();
    await env?.close();
    await t?.close();
    const keep = testRunSettings().keepReportDir;
    if (keep) fs.cpSync(tmp, keep, { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('renders, with the figures of the audit rows and of NetSuite per account × subsidiary', async () => {
    assert.equal(await page.evaluate<string>(`document.getElementById('cycle-id').textContent`), cycleId);
    const rows = await readActuals(page);
    assert.ok(rows.length > 20, `many account × subsidiary rows (${rows.length})`);
    // Loaded per account = the accepted importActuals audit rows, summed here with SQL.
    const db = new Database(env.built.stores.audit.location, { readonly: true });
    const audited = db
      .prepare(
        `SELECT account, outcome, SUM(CAST(amount AS REAL)) AS amount, COUNT(*) AS n FROM records WHERE cycle_id = ? AND step = 'importActuals' AND record_kind = 'actual' GROUP BY account, outcome`,
      )
      .all(cycleId) as Array<{ account: string; outcome: string; amount: number; n: number }>;
    db.close();
    const loadedByAccount = new Map<string, number>();
    for (const r of rows) loadedByAccount.set(r.account, (loadedByAccount.get(r.account) ?? 0) + r.loaded);
    const accepted = audited.filter((a) => a.outcome === 'accepted');
    assert.ok(accepted.length > 10);
    for (const a of accepted)
      assert.equal(loadedByAccount.get(a.account), toCents(a.amount), `loaded into Anaplan for account ${a.account}`);
    assert.equal(
      [...loadedByAccount.values()].filter((v) => v !== 0).length,
      accepted.filter((a) => toCents(a.amount) !== 0).length,
      'no account on the page that the audit lacks',
    );
    const pageQuarantined = rows.reduce((s, r) => s + r.quarantined, 0);
    assert.equal(pageQuarantined, summary.tieOut!.quarantinedCents, 'quarantined total = the cycle tie-out');
    assert.ok(pageQuarantined !== 0, 'the demo company has quarantined rows');
    assert.equal(
      audited.filter((a) => a.outcome === 'quarantined').reduce((s, a) => s + toCents(a.amount), 0),
      pageQuarantined,
    );

    // NetSuite per account × subsidiary = the sandbox's own posted GL (income statement accounts).
    const ns = env.sandboxes.netsuite.state.db;
    const periodId = (
      ns.prepare(`SELECT id FROM accountingperiod WHERE periodname = 'Oct 2026'`).get() as { id: number }
    ).id;
    const gl = ns
      .prepare(
        `SELECT a.acctnumber AS acct, tl.subsidiary AS sub, SUM(COALESCE(tal.debit,0) - COALESCE(tal.credit,0)) AS net
         FROM transactionaccountingline tal JOIN "transaction" t ON t.id = tal."transaction" JOIN transactionline tl ON tl."transaction" = tal."transaction" AND tl.id = tal.transactionline
         JOIN account a ON a.id = tal.account
         WHERE tal.posting = 'T' AND t.postingperiod = ? AND a.accttype IN ('Income','COGS','Expense','OthIncome','OthExpense')
         GROUP BY 1, 2`,
      )
      .all(periodId) as Array<{ acct: string; sub: number; net: number }>;
    const onPage = new Map(rows.map((r) => [`${r.account}|${r.subsidiary}`, r]));
    for (const g of gl) {
      const r = onPage.get(`${g.acct}|SUB-${g.sub}`);
      assert.ok(r, `account ${g.acct} subsidiary ${g.sub} is on the page`);
      assert.equal(r.netsuite, toCents(g.net), `NetSuite total of ${g.acct} × SUB-${g.sub}`);
      assert.equal(r.difference, r.netsuite - r.loaded);
      assert.equal(r.netsuite, r.loaded + r.quarantined + r.rejected);
    }
    assert.equal(rows.length, gl.length, 'one row per account × subsidiary with GL activity');
    // A quarantined row shows why.
    const q = rows.find((r) => r.quarantined !== 0);
    assert.ok(q && q.reasons.length > 3, JSON.stringify(q));
    assert.equal(await page.evaluate<string>(`document.querySelector('#tie-out .v').textContent`), '✔ ties out');
  });

  it('draws the chart: two bars per account, each the account total', async () => {
    const accounts = new Set((await readActuals(page)).map((r) => r.account));
    const bars = await page.evaluate<Array<{ cls: string; account: string; cents: number; w: number }>>(
      `Array.from(document.querySelectorAll('#chart rect.bar')).map((r) => ({ cls: r.getAttribute('class'), account: r.dataset.account, cents: +r.dataset.cents, w: r.getBBox().width }))`,
    );
    assert.equal(bars.length, 2 * accounts.size);
    assert.equal(bars.filter((b) => b.cls.includes('ns')).length, accounts.size);
    assert.ok(
      bars.filter((b) => b.cents !== 0).every((b) => b.w > 0),
      'non-zero bars have a width on screen',
    );
    const rows = await readActuals(page);
    for (const b of bars.filter((x) => x.cls.includes('ap')))
      assert.equal(
        b.cents,
        rows.filter((r) => r.account === b.account).reduce((s, r) => s + r.loaded, 0),
      );
    for (const b of bars.filter((x) => x.cls.includes('ns')))
      assert.equal(
        b.cents,
        rows.filter((r) => r.account === b.account).reduce((s, r) => s + r.netsuite, 0),
      );
  });

  it('shows the plan journals of the cycle per subsidiary × period × version', async () => {
    const j = await page.evaluate<Array<{ created: number; amount: number; period: string }>>(
      `Array.from(document.querySelectorAll('#journals tbody tr')).map((tr) => ({ period: tr.cells[1].textContent, created: +tr.cells[3].dataset.v, amount: +tr.cells[4].dataset.v }))`,
    );
    assert.ok(summary.journals!.posted > 0);
    assert.equal(
      j.reduce((s, r) => s + r.created, 0),
      summary.journals!.posted,
    );
    const db = new Database(env.built.stores.audit.location, { readonly: true });
    const posted = db
      .prepare(
        `SELECT SUM(CAST(amount AS REAL)) AS a FROM records WHERE cycle_id = ? AND step = 'postJournals' AND record_kind = 'journal' AND reason LIKE 'posted%'`,
      )
      .get(cycleId) as { a: number };
    db.close();
    assert.equal(
      j.reduce((s, r) => s + r.amount, 0),
      toCents(posted.a),
    );
    assert.ok(
      j.every((r) => r.period > PERIOD),
      'plan journals are in months after the cycle period',
    );
    const steps = await page.evaluate<string[]>(
      `Array.from(document.querySelectorAll('#timings tbody tr')).map((tr) => tr.cells[0].textContent)`,
    );
    assert.ok(steps.includes('importActuals') && steps.includes('postJournals'), steps.join(','));
  });

  it('sorts a table when a header is clicked (mouse), and reverses on a second click', async () => {
    const col = (i: number) =>
      page.evaluate<string[]>(
        `Array.from(document.querySelectorAll('#actuals tbody tr')).map((tr) => tr.cells[${i}].dataset.v)`,
      );
    const before = await col(6);
    await page.click('#actuals th[data-col="6"]');
    const asc = (await col(6)).map(Number);
    assert.deepEqual(
      asc,
      [...asc].sort((a, b) => a - b),
    );
    assert.notDeepEqual(before.map(Number), asc, 'the order changed');
    await page.click('#actuals th[data-col="6"]');
    const desc = (await col(6)).map(Number);
    assert.deepEqual(desc, [...asc].reverse());
    assert.equal(
      await page.evaluate<string>(`document.querySelector('#actuals th[data-col="6"]').getAttribute('aria-sort')`),
      'descending',
    );
    await page.click('#actuals th[data-col="1"]');
    const subs = await col(1);
    assert.deepEqual(
      subs,
      [...subs].sort((a, b) => a.localeCompare(b)),
    );
    // Rows move whole: each row still ties out after sorting.
    for (const r of await readActuals(page)) assert.equal(r.netsuite, r.loaded + r.quarantined + r.rejected);
  });

  it('--json prints the same figures', async () => {
    const lines: string[] = [];
    const cmd = createReportCommand({
      env: inheritedEnv({
        ML_CONNECTOR_DATA_DIR: env.dataDir,
        ML_CONNECTOR_AUDIT_DB: env.built.stores.audit.location,
      }),
      workflowInfo: (id) => workflowInfo(t.client, id),
    });
    assert.equal(
      await cmd.run({
        values: { cycle: cycleId, json: true },
        positionals: [],
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      }),
      0,
    );
    const data = JSON.parse(lines.join('\n')) as {
      totals: { netsuiteCents: number; loadedCents: number };
      actuals: unknown[];
      status: string;
      period: string;
    };
    const rows = await readActuals(page);
    assert.equal(data.actuals.length, rows.length);
    assert.equal(
      data.totals.loadedCents,
      rows.reduce((s, r) => s + r.loaded, 0),
    );
    assert.equal(
      data.totals.netsuiteCents,
      rows.reduce((s, r) => s + r.netsuite, 0),
    );
    assert.equal(data.status, 'completed');
    assert.equal(data.period, PERIOD);
  });

  it('needs no network: the only request is the file itself', async () => {
    assert.deepEqual(page.requests, [pathToFileURL(out).href]);
    const screenshot = testRunSettings().reportScreenshot;
    if (screenshot) await page.screenshot(screenshot);
  });

  it('escapes codes and reasons from customer systems', async () => {
    const file = path.join(tmp, 'hostile.db');
    const audit = new AuditTrail({ file });
    const evil = `<img src=x onerror="document.body.dataset.pwned=1">&amp;"'`;
    await audit.appendRecords([
      {
        cycleId: 'c1',
        step: 'importActuals',
        recordKind: 'actual',
        sourceRef: 'csv#2',
        outcome: 'accepted',
        account: evil,
        amount: '10.00',
      },
      {
        cycleId: 'c1',
        step: 'importActuals',
        recordKind: 'actual',
        sourceRef: 'gl:1:9#1',
        outcome: 'quarantined',
        account: '9',
        amount: '-2.50',
        reason: `</td></tr><script>document.body.dataset.pwned=2</script>`,
      },
    ]);
    const data = await buildReportData({ cycleId: 'c1', audit, workflow: { warnings: [`<b>bold</b>`] } });
    await audit.close();
    const html = path.join(tmp, 'hostile.html');
    fs.writeFileSync(html, renderReportHtml(data));
    const p = await openPage(pathToFileURL(html).href, {
      readyExpression: `document.body && document.body.dataset.ready === '1'`,
    });
    try {
      assert.equal(await p.evaluate<string | null>(`document.body.dataset.pwned ?? null`), null);
      assert.equal(
        await p.evaluate<number>(`document.querySelectorAll('img, #warnings b, #actuals script').length`),
        0,
      );
      const accounts = await p.evaluate<string[]>(
        `Array.from(document.querySelectorAll('#actuals tbody tr')).map((tr) => tr.cells[0].textContent)`,
      );
      assert.ok(accounts.includes(evil), accounts.join(' | '));
      assert.equal(await p.evaluate<number>(`document.querySelectorAll('#chart rect.bar').length`), 4);
      assert.ok((await p.evaluate<string>(`document.getElementById('warnings').textContent`)).includes('<b>bold</b>'));
    } finally {
      await p.close();
    }
  });
});
