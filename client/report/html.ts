/**
 * The reconciliation report as ONE self-contained HTML file: inline CSS, inline script (table
 * sorting), an inline SVG chart drawn here. A Content-Security-Policy forbids every network fetch,
 * so the file shows the same offline, mailed or archived. Every text from a customer system
 * (account codes, subsidiary codes, reasons, warnings) goes through `esc`.
 */
import type { ReportData } from '../../activities/report/data';

export function esc(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export const money = (cents: number) => {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(a / 100).toLocaleString('en-US')}.${String(a % 100).padStart(2, '0')}`;
};

type Cell = { text: string; sort?: number | string; cls?: string; title?: string };
type Col = { label: string; num?: boolean };

/** A table whose headers sort it (script below); numeric cells carry their exact value in data-v. */
function table(id: string, cols: Col[], rows: Cell[][], foot?: Cell[]): string {
  const head = cols
    .map(
      (c, i) =>
        `<th data-col="${i}" data-type="${c.num ? 'num' : 'text'}"${c.num ? ' class="num"' : ''} tabindex="0">${esc(c.label)}<span class="arrow"></span></th>`,
    )
    .join('');
  const cell = (c: Cell, i: number) =>
    `<td${cols[i]?.num || c.cls ? ` class="${[cols[i]?.num ? 'num' : '', c.cls ?? ''].join(' ').trim()}"` : ''} data-v="${esc(c.sort ?? c.text)}"${c.title ? ` title="${esc(c.title)}"` : ''}>${esc(c.text)}</td>`;
  const body = rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n');
  const tfoot = foot ? `<tfoot><tr>${foot.map(cell).join('')}</tr></tfoot>` : '';
  return `<table id="${esc(id)}" class="sortable"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody>${tfoot}</table>`;
}

const num = (cents: number, cls?: string): Cell => ({
  text: money(cents),
  sort: cents,
  cls: cls ?? (cents < 0 ? 'neg' : ''),
});
const int = (n: number): Cell => ({ text: String(n), sort: n });

/** Horizontal bars, NetSuite vs Anaplan per account, around a zero line (income is negative). */
export function chartSvg(bars: ReportData['byAccount']): string {
  const rowH = 26;
  const labelW = 120;
  const plotW = 560;
  const top = 30;
  const height = top + Math.max(1, bars.length) * rowH + 22;
  const values = bars.flatMap((b) => [b.netsuiteCents, b.anaplanCents]);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const span = hi - lo || 1;
  const x = (v: number) => labelW + ((v - lo) / span) * plotW;
  const zero = x(0);
  const parts: string[] = [
    `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 20}" height="${height}" viewBox="0 0 ${labelW + plotW + 20} ${height}" role="img" aria-label="NetSuite and Anaplan totals by account">`,
    `<rect x="${labelW}" y="6" width="12" height="12" class="ns"/><text x="${labelW + 18}" y="16" class="legend">NetSuite</text>`,
    `<rect x="${labelW + 100}" y="6" width="12" height="12" class="ap"/><text x="${labelW + 118}" y="16" class="legend">Loaded into Anaplan</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const bar = (v: number, dy: number, cls: string, who: string) => {
      const x0 = Math.min(zero, x(v));
      const w = Math.max(Math.abs(x(v) - zero), v === 0 ? 0 : 1);
      return `<rect class="bar ${cls}" x="${x0.toFixed(1)}" y="${y + dy}" width="${w.toFixed(1)}" height="10" data-account="${esc(b.account)}" data-cents="${v}"><title>${esc(b.account)} ${who}: ${money(v)}</title></rect>`;
    };
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" class="label">${esc(b.account.length > 16 ? b.account.slice(0, 15) + '…' : b.account)}</text>`,
    );
    parts.push(bar(b.netsuiteCents, 2, 'ns', 'NetSuite'));
    parts.push(bar(b.anaplanCents, 13, 'ap', 'Anaplan'));
  });
  // Scale: the two ends and zero.
  for (const v of [...new Set([lo, 0, hi])])
    parts.push(
      `<text x="${x(v).toFixed(1)}" y="${height - 1}" text-anchor="${v === lo && v !== 0 ? 'start' : v === hi && v !== 0 ? 'end' : 'middle'}" class="tick">${money(v)}</text>`,
    );
  parts.push(
    `<line x1="${zero.toFixed(1)}" x2="${zero.toFixed(1)}" y1="${top - 4}" y2="${height - 16}" class="zero"/>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #dde3ea;padding-bottom:4px}
.meta{color:#5a6875;margin-bottom:12px}.meta b{color:#1d2733}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #dde3ea;border-radius:6px;padding:8px 12px;min-width:150px}
.card .k{color:#5a6875;font-size:12px}.card .v{font-size:17px;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37}.bad{color:#c62828}
table{border-collapse:collapse;margin:4px 0 8px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #edf0f3;text-align:left;vertical-align:top}
th{background:#f4f6f8;cursor:pointer;user-select:none;white-space:nowrap;position:sticky;top:0}
th:hover{background:#e8edf2}.num{text-align:right}td.neg{color:#8a2f2f}td.diff{font-weight:600}
tfoot td{font-weight:600;border-top:2px solid #c9d1da}
.arrow{display:inline-block;width:1em;color:#5a6875}th[aria-sort=ascending] .arrow::after{content:"▲"}th[aria-sort=descending] .arrow::after{content:"▼"}
svg .ns{fill:#2f6db5}svg .ap{fill:#f0a030}svg .label,svg .legend{font-size:12px;fill:#1d2733}svg .zero{stroke:#5a6875;stroke-width:1}
ul.warn li{color:#8a5a00}td.reasons{min-width:360px;max-width:560px;font-size:12px;color:#3d4a57}svg .tick{font-size:11px;fill:#5a6875}.note{color:#5a6875;font-size:12px}
`;

/** Sorts a table by a clicked header; numbers by data-v, text with localeCompare; a second click reverses. */
const SCRIPT = `
(function(){
  function sortBy(th){
    var table=th.closest('table'),tbody=table.tBodies[0],col=+th.dataset.col,num=th.dataset.type==='num';
    var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
    table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});
    th.setAttribute('aria-sort',dir);
    var rows=Array.prototype.slice.call(tbody.rows);
    rows.sort(function(a,b){
      var x=a.cells[col].dataset.v,y=b.cells[col].dataset.v;
      var c=num?(+x)-(+y):x.localeCompare(y);
      return dir==='ascending'?c:-c;
    });
    rows.forEach(function(r){tbody.appendChild(r)});
  }
  document.querySelectorAll('table.sortable th').forEach(function(th){
    th.addEventListener('click',function(){sortBy(th)});
    th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sortBy(th)}});
  });
  document.body.dataset.ready='1';
})();
`;

export function renderReportHtml(d: ReportData): string {
  const t = d.totals;
  const tie = d.tieOut;
  const unexplained = tie ? tie.netsuiteCents - tie.loadedCents - tie.quarantinedCents - tie.rejectedCents : null;
  const card = (k: string, v: string, cls = '', id = '') =>
    `<div class="card"${id ? ` id="${id}"` : ''}><div class="k">${esc(k)}</div><div class="v ${cls}">${esc(v)}</div></div>`;
  const actualsRows = d.actuals.map((l) => {
    const reasons = Object.entries(l.reasons)
      .map(([r, n]) => `${r} (${n})`)
      .join('; ');
    return [
      { text: l.account },
      { text: l.subsidiary },
      num(l.netsuiteCents),
      num(l.loadedCents),
      num(l.quarantinedCents),
      num(l.rejectedCents),
      num(l.differenceCents, `diff${l.differenceCents < 0 ? ' neg' : ''}`),
      int(l.rows.loaded + l.rows.quarantined + l.rows.rejected),
      { text: reasons || '—', sort: reasons, cls: 'reasons' },
    ];
  });
  const actualsFoot = [
    { text: 'Total' },
    { text: '' },
    num(t.netsuiteCents),
    num(t.loadedCents),
    num(t.quarantinedCents),
    num(t.rejectedCents),
    num(t.differenceCents, 'diff'),
    int(d.actuals.reduce((s, l) => s + l.rows.loaded + l.rows.quarantined + l.rows.rejected, 0)),
    { text: '' },
  ];
  const journalRows = d.journals.map((g) => [
    { text: g.version },
    { text: g.period },
    { text: g.subsidiary, sort: g.subsidiary },
    int(g.created),
    num(g.createdCents),
    int(g.updated),
    num(g.updatedCents),
    int(g.unchanged),
    num(g.unchangedCents),
    int(g.retired),
    int(g.failed),
  ]);
  const jt = d.journalTotals;
  const journalFoot = [
    { text: 'Total' },
    { text: '' },
    { text: '' },
    int(jt.created),
    num(jt.createdCents),
    int(jt.updated),
    num(jt.updatedCents),
    int(jt.unchanged),
    num(jt.unchangedCents),
    int(jt.retired),
    int(jt.failed),
  ];
  const fmtMs = (ms: number | null) => (ms === null ? '—' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reconciliation ${esc(d.cycleId)}</title>
<style>${CSS}</style></head>
<body>
<h1>Reconciliation report</h1>
<div class="meta">Cycle <b id="cycle-id">${esc(d.cycleId)}</b> · period <b>${esc(d.period ?? '—')}</b> · kind <b>${esc(d.kind ?? '—')}</b> · status <b>${esc(d.status ?? 'unknown')}</b>${d.startTime ? ` · started ${esc(d.startTime)}` : ''}${d.closeTime ? ` · closed ${esc(d.closeTime)}` : ''} · generated ${esc(d.generatedAt)} from ${d.auditRows} audit rows</div>
<div class="cards">
${card('NetSuite (extracted)', money(t.netsuiteCents), '', 'total-netsuite')}
${card('Loaded into Anaplan', money(t.loadedCents), '', 'total-loaded')}
${card('Quarantined', money(t.quarantinedCents), '', 'total-quarantined')}
${card('Rejected by Anaplan', money(t.rejectedCents), '', 'total-rejected')}
${card('Difference (NetSuite − Anaplan)', money(t.differenceCents), t.differenceCents === 0 ? 'ok' : '', 'total-difference')}
${tie ? card('Tie-out vs NetSuite SUM', `${tie.balanced ? '✔ ties out' : '✖ off by'}${tie.balanced ? '' : ' ' + money(unexplained ?? 0)}`, tie.balanced ? 'ok' : 'bad', 'tie-out') : ''}
</div>
<h2>NetSuite vs Anaplan by account</h2>
${d.byAccount.length ? chartSvg(d.byAccount) : '<p class="note">No actuals in this cycle.</p>'}
<h2>Actuals by account × subsidiary</h2>
<p class="note">NetSuite = every GL row the cycle extracted (loaded + quarantined + rejected). Difference = NetSuite − loaded into Anaplan, explained by the quarantined and rejected rows. Click a header to sort.</p>
${table('actuals', [{ label: 'Account' }, { label: 'Subsidiary' }, { label: 'NetSuite', num: true }, { label: 'Loaded into Anaplan', num: true }, { label: 'Quarantined', num: true }, { label: 'Rejected', num: true }, { label: 'Difference', num: true }, { label: 'Rows', num: true }, { label: 'Reasons' }], actualsRows, actualsFoot)}
<h2>Quarantined and rejected rows by reason</h2>
${
  d.reasons.length
    ? table(
        'reasons',
        [{ label: 'Outcome' }, { label: 'Reason' }, { label: 'Rows', num: true }, { label: 'Amount', num: true }],
        d.reasons.map((r) => [{ text: r.kind }, { text: r.reason }, int(r.rows), num(r.cents)]),
      )
    : '<p class="note">None.</p>'
}
<h2>Plan journals by version × period × subsidiary</h2>
${d.journals.length ? table('journals', [{ label: 'Version' }, { label: 'Period' }, { label: 'Subsidiary' }, { label: 'Created', num: true }, { label: 'Created amount', num: true }, { label: 'Updated', num: true }, { label: 'Updated amount', num: true }, { label: 'Unchanged', num: true }, { label: 'Unchanged amount', num: true }, { label: 'Retired', num: true }, { label: 'Refused', num: true }], journalRows, journalFoot) : '<p class="note">No plan journals in this cycle.</p>'}
<h2>Warnings</h2>
${d.warnings.length ? `<ul class="warn" id="warnings">${d.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '<p class="note" id="warnings">None.</p>'}
<h2>Timings</h2>
${table(
  'timings',
  [{ label: 'Step' }, { label: 'Started' }, { label: 'Ended' }, { label: 'Duration', num: true }],
  d.timings.map((s) => [
    { text: s.step },
    { text: s.startedAt ?? '—' },
    { text: s.endedAt ?? '—' },
    { text: fmtMs(s.ms), sort: s.ms ?? -1 },
  ]),
)}
<p class="note">${d.timings[0]?.source === 'audit' ? 'Step times from the first and last audit row of each step (the workflow did not answer).' : 'Step times from the cycle workflow.'}</p>
${
  d.calls.length
    ? table(
        'calls',
        [
          { label: 'System' },
          { label: 'Calls', num: true },
          { label: 'Error responses', num: true },
          { label: 'Time in calls', num: true },
        ],
        d.calls.map((c) => [
          { text: c.system },
          int(c.calls),
          int(c.failed),
          { text: fmtMs(c.totalMs), sort: c.totalMs },
        ]),
      )
    : ''
}
<script>${SCRIPT}</script>
</body></html>
`;
}
