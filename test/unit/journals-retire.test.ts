/**
 * Stale plan journals: which ones `preparePlan` marks for deletion (only this model's, only in the
 * version × open periods the export speaks for, only those no planned journal replaces), and how
 * `postJournals` deletes them — after the planned ones, audited, with a refusal reported like a
 * refused journal instead of failing the batch.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { makeJournals } from '../../activities/cycle/journals';
import { makePlan, type StoredJournals } from '../../activities/cycle/plan';
import { readStoredJournals } from '../../activities/cycle/stored-journals';
import type { CycleDeps } from '../../activities/cycle/context';
import type { NetSuitePort, Ports } from '../../activities/cycle/ports';
import { journalExternalId } from '../../activities/mapping/journals';
import type { MemberMaps } from '../../activities/mapping/dimensions';
import { FsArtifactStore, AuditTrail, type ArtifactStore } from '../../activities/store';
import type { ConnectionConfig } from '../../common/config';
import { loadConfigFile } from '../../client/config-file';
import type { PeriodInfo, PostJournalsResult, PreparePlanResult } from '../../common/dto';
import { memberMaps } from '../helpers/member-maps';

const MODEL = '75A40874E6B64FA3AE0743278996850F';
const EXPORT = `Account,Subsidiary,Department,Period,Version,Amount
4010,SUB-2,DEP-101,Nov 26,Budget,-1500.00
6100,SUB-2,DEP-101,Dec 26,Budget,1300
4010,SUB-2,DEP-101,Oct 26,Budget,-900
`;

const MAPS: MemberMaps = memberMaps({
  accounts: { '4010': '41', '6100': '61', '2900': '90' },
  subsidiaries: { 'SUB-2': '2', 'SUB-3': '3' },
  departments: { 'DEP-101': '101' },
});
const month = (period: string, id: string, closed: boolean): PeriodInfo => ({
  period,
  id,
  name: period,
  startDate: `${period}-01`,
  endDate: `${period}-28`,
  closed,
});
const PERIODS = [
  month('2026-10', '10', true),
  month('2026-11', '11', false),
  month('2026-12', '12', false),
  month('2027-01', '13', false),
];

/** NetSuite's answer to SuiteQL naming a field the account does not expose. */
const suiteqlRefusal = (field: string) =>
  Object.assign(
    new Error(
      `NetSuite POST /services/rest/query/v1/suiteql: 400 Invalid search query: field '${field}' was not found`,
    ),
    { status: 400, retryable: false },
  );

describe('stale plan journals', () => {
  let dir: string;
  let artifacts: ArtifactStore;
  let audit: AuditTrail;
  let config: ConnectionConfig;
  const id = (version: string, period: string, sub: string, part: number) =>
    journalExternalId({ externalIdPrefix: 'mlc', modelId: MODEL }, version, period, sub, part);
  const deleted: string[] = [];
  /** Every write, in the order it completed (upserts) or started (deletes). */
  const calls: string[] = [];
  let refuse = new Set<string>();
  let refuseQuery = false;
  let refuseMembersQuery = false;
  /** The ledger's connector journals, as the SuiteQL prefix query returns them. */
  let ledger: string[] = [];
  /** Lines of ledger journals as the record API returns them (default: none). */
  let ledgerLines: Record<string, Array<Record<string, unknown>>> = {};
  let reads: string[] = [];
  /** Called when the ledger's connector journals are queried (the SuiteQL prefix query). */
  let onLedgerQuery = () => {};

  const netsuite: NetSuitePort = {
    async *query(sql) {
      if (/DISTINCT t\.externalid/.test(sql)) {
        if (refuseMembersQuery) throw suiteqlRefusal('department');
        yield [];
      } else if (/externalid LIKE 'mlc-75a40874e6b6-%'/.test(sql)) {
        onLedgerQuery();
        if (refuseQuery) throw suiteqlRefusal('externalid');
        yield ledger.map((externalid, i) => ({ id: String(i + 1), externalid }));
      } else yield [];
    },
    // eslint-disable-next-line require-yield
    async *queryKeyset() {
      throw new Error('not used');
    },
    async upsertJournal(externalId) {
      await new Promise((r) => setTimeout(r, 20));
      calls.push(`upsert ${externalId}`);
      return { internalId: `9${externalId.length}` };
    },
    async getJournal(externalId) {
      reads.push(externalId);
      const found = ledger.find((e) => e.toLowerCase() === externalId.toLowerCase());
      return found
        ? {
            internalId: String(ledger.indexOf(found) + 1),
            body: { externalId: found, line: { items: ledgerLines[found] ?? [] } },
          }
        : null;
    },
    async deleteJournal(externalId) {
      calls.push(`delete ${externalId}`);
      if (refuse.has(externalId))
        throw Object.assign(
          new Error('The accounting period 12 is closed or locked: the transaction cannot be deleted.'),
          { status: 400, code: 'USER_ERROR', retryable: false },
        );
      deleted.push(externalId);
      return true;
    },
  };
  const deps = (): CycleDeps => ({
    ports: async (): Promise<Ports> => ({
      netsuite,
      anaplan: new Proxy({} as Ports['anaplan'], { get: () => () => Promise.reject(new Error('no Anaplan here')) }),
    }),
    artifacts,
    audit,
  });
  const env = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-retire-'));
    artifacts = new FsArtifactStore(path.join(dir, 'artifacts'));
    audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
    config = loadConfigFile(path.join(__dirname, '..', 'fixtures', 'bad', 'config', 'valid.json'));
    assert.equal(config.anaplan.modelId, MODEL);
  });
  after(async () => {
    await audit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Each test starts from a ledger that refuses nothing; it sets the ledger and the refusals it needs.
  beforeEach(() => {
    refuse = new Set();
    refuseQuery = false;
    refuseMembersQuery = false;
    ledgerLines = {};
    reads = [];
    onLedgerQuery = () => {};
    deleted.length = 0;
  });

  interface PrepareOptions {
    exportCsv?: string;
    maps?: MemberMaps;
    cycleId?: string;
    config?: ConnectionConfig;
  }

  /** Runs preparePlan over the export and member maps (default: EXPORT, MAPS) in the test's months. */
  async function runPrepare(opts: PrepareOptions = {}): Promise<PreparePlanResult> {
    const exportHash = (await artifacts.put(opts.exportCsv ?? EXPORT)).hash;
    const memberMapsHash = (await artifacts.put(JSON.stringify(opts.maps ?? MAPS))).hash;
    return (await env().run(makePlan(deps()).preparePlan, {
      config: opts.config ?? config,
      cycleId: opts.cycleId ?? 'cycle:retire',
      exportHash,
      memberMapsHash,
      periods: PERIODS,
      period: '2026-10',
    })) as PreparePlanResult;
  }

  /** preparePlan's result and the journals it stored. */
  async function prepare(opts: PrepareOptions = {}): Promise<{ r: PreparePlanResult; stored: StoredJournals }> {
    const r = await runPrepare(opts);
    const stored = await readStoredJournals(artifacts, r.journalsHash);
    // Written journal by journal (stored-journals.ts): a header line, then one line per journal, so
    // postJournals can keep just its batch.
    const text = (await artifacts.read(r.journalsHash)).toString('utf8');
    assert.equal(text.split('\n').filter(Boolean).length, stored.journals.length + 1, 'header + one journal a line');
    return { r, stored };
  }

  it("marks only this model's journals, in the version × open months the export covers, that no planned journal replaces", async () => {
    ledger = [
      id('Budget', '2026-11', '2', 1), // planned again: kept (upserted)
      id('Budget', '2026-11', '2', 2), // the group shrank to one part: stale
      id('Budget', '2026-11', '3', 1), // SUB-3 has no Nov values any more: stale
      id('Budget', '2026-10', '2', 1), // Oct 26 is closed: not the plan's to touch
      id('Forecast', '2026-11', '2', 1), // the export has no Forecast rows for Nov: not covered
      id('Budget', '2027-01', '2', 1), // Jan 27 is open but the export does not cover it
      'mlc-ffffffffffff-budget-202611-s2-p2', // another model
      'mlc-75a40874e6b6-budget-202611-s2-p2-manual', // a look-alike made by hand
    ];
    const { r, stored } = await prepare();
    assert.deepEqual(stored.journals.map((j) => j.externalId).sort(), [
      id('Budget', '2026-11', '2', 1),
      id('Budget', '2026-12', '2', 1),
    ]);
    assert.deepEqual(stored.retire?.map((x) => x.externalId).sort(), [
      id('Budget', '2026-11', '2', 2),
      id('Budget', '2026-11', '3', 1),
    ]);
    assert.equal(r.retire, 2);
  });

  it('reads the ledger while the export is parsed, and the ledger still freezes and retires as before', async () => {
    // The export's last bytes are held back until the ledger has been queried (or 2 s, so that code
    // reading the ledger only after the whole export fails here instead of hanging).
    let ledgerQueried!: () => void;
    const queried = new Promise<void>((r) => (ledgerQueried = r));
    let queriedBeforeExportEnd: boolean | undefined;
    let exportEnded = false;
    onLedgerQuery = () => {
      queriedBeforeExportEnd ??= !exportEnded;
      ledgerQueried();
    };
    const exportHash = (await artifacts.put(EXPORT)).hash;
    const held: ArtifactStore = new Proxy(artifacts, {
      get: (target, prop) =>
        prop !== 'openRead'
          ? Reflect.get(target, prop, target)
          : async (hash: string, o?: Parameters<ArtifactStore['openRead']>[1]) => {
              const stream = await target.openRead(hash, o);
              if (hash !== exportHash) return stream;
              return stream.pipe(
                new Transform({
                  transform: (chunk, _enc, cb) => cb(null, chunk),
                  flush: (cb) => {
                    void Promise.race([queried, new Promise((r) => setTimeout(r, 2_000))]).then(() => {
                      exportEnded = true;
                      cb();
                    });
                  },
                }),
              );
            },
    });
    ledger = [id('Budget', '2026-11', '2', 2), id('Budget', '2026-11', '3', 1)];
    const r = (await env().run(makePlan({ ...deps(), artifacts: held }).preparePlan, {
      config,
      cycleId: 'cycle:ledger-read-early',
      exportHash,
      memberMapsHash: (await artifacts.put(JSON.stringify(MAPS))).hash,
      periods: PERIODS,
      period: '2026-10',
    })) as PreparePlanResult;
    assert.equal(queriedBeforeExportEnd, true, 'the ledger is queried before the export has been read to its end');
    const stored = await readStoredJournals(artifacts, r.journalsHash);
    assert.deepEqual(stored.retire?.map((x) => x.externalId).sort(), [
      id('Budget', '2026-11', '2', 2),
      id('Budget', '2026-11', '3', 1),
    ]);
  });

  it('deletes them after the planned journals, audits each, and reports a refused delete without failing the rest', async () => {
    ledger = [id('Budget', '2026-11', '2', 2), id('Budget', '2026-11', '3', 1)];
    const { stored, r } = await prepare();
    refuse = new Set([id('Budget', '2026-11', '3', 1)]);
    const total = stored.journals.length + stored.retire!.length;
    const result = (await env().run(makeJournals(deps()), {
      config,
      cycleId: 'cycle:retire',
      journalsHash: r.journalsHash,
      from: 0,
      to: total,
    })) as PostJournalsResult;
    assert.equal(result.posted, 2);
    assert.equal(result.retired, 1);
    assert.equal(result.failed, 1);
    assert.equal(result.failures[0]!.externalId, id('Budget', '2026-11', '3', 1));
    assert.match(result.failures[0]!.reason, /400 USER_ERROR .*closed or locked/);
    assert.deepEqual(deleted, [id('Budget', '2026-11', '2', 2)]);
    const lastUpsert = calls.map((c) => c.startsWith('upsert')).lastIndexOf(true);
    const firstDelete = calls.findIndex((c) => c.startsWith('delete'));
    assert.ok(lastUpsert < firstDelete, `deletes only after every planned journal is sent: ${calls.join(', ')}`);
    const rows = await audit.queryRecords({ cycleId: 'cycle:retire', step: 'postJournals', recordKind: 'journal' });
    const byTarget = new Map(rows.map((x) => [x.targetRef, x]));
    assert.equal(byTarget.get(id('Budget', '2026-11', '2', 2))?.reason, 'retired: no longer in the plan');
    assert.equal(byTarget.get(id('Budget', '2026-11', '3', 1))?.outcome, 'rejected');
    assert.match(byTarget.get(id('Budget', '2026-11', '3', 1))?.reason ?? '', /^retire refused: /);
  });

  it('finds the journals by external ID through the record API, with a warning, when NetSuite refuses the stale-journal query', async () => {
    ledger = [
      id('Budget', '2026-11', '2', 1),
      id('Budget', '2026-11', '2', 2),
      id('Budget', '2026-11', '2', 3),
      id('Budget', '2027-01', '3', 1),
      id('Budget', '2026-10', '2', 2),
    ];
    refuseQuery = true;
    const { r, stored } = await prepare();
    assert.deepEqual(
      stored.retire,
      [
        { externalId: id('Budget', '2026-11', '2', 2), period: '2026-11' },
        { externalId: id('Budget', '2026-11', '2', 3), period: '2026-11' },
      ],
      'stale parts of a covered month retired; a month the export has no rows for, and a closed month, left alone',
    );
    assert.equal(stored.journals.length, 2, 'the plan is still prepared');
    assert.match(
      r.warning ?? '',
      /refused the SuiteQL search .*400 Invalid search query.*looked up by external ID instead \(\d+ record reads\)/,
    );
    assert.ok(!reads.some((e) => e.includes('-202610-')), 'the closed month is not read');
    assert.ok(reads.includes(id('Budget', '2026-11', '2', 5)), 'one part past the first missing one is read');
    assert.ok(!reads.includes(id('Budget', '2026-11', '2', 6)));
  });

  it('without the SuiteQL search, a posted journal with a line on an unmapped member freezes its scope from the record API lines', async () => {
    ledger = [id('Budget', '2026-11', '2', 1), id('Budget', '2026-11', '2', 2)];
    ledgerLines = {
      [id('Budget', '2026-11', '2', 2)]: [{ account: { id: '41' }, department: { id: '102' }, debit: 5 }],
    };
    refuseQuery = true;
    const maps = { ...MAPS, departments: { ...MAPS.departments, unmapped: { '102': 'dropped from Anaplan' } } };
    const { r, stored } = await prepare({ maps, cycleId: 'cycle:retire-rest-frozen' });
    assert.deepEqual(stored.retire, [], 'the frozen scope keeps its journals');
    assert.deepEqual(
      stored.journals.map((j) => j.externalId),
      [id('Budget', '2026-12', '2', 1)],
      'its planned journal is held back, not written over the posted one',
    );
    assert.match(r.warning ?? '', /department 102 \(dropped from Anaplan\)/);
  });

  it('fails the step non-retryably, posting nothing, when two planned journals would share an externalId', async () => {
    ledger = [];
    // Config validation refuses these versions; the activity does not rely on it.
    const both = { ...config, plan: { versions: ['Budget', 'BUDGET'] } };
    await assert.rejects(
      runPrepare({
        config: both,
        cycleId: 'cycle:retire-dup',
        exportCsv: `${EXPORT}4010,SUB-2,DEP-101,Nov 26,BUDGET,-700\n`,
      }),
      (e: Error & { nonRetryable?: boolean }) => {
        assert.equal(e.nonRetryable, true);
        assert.match(
          e.message,
          /share the externalId mlc-75a40874e6b6-budget-202611-s2-p1 \((Budget|BUDGET) 2026-11 .* and (BUDGET|Budget) 2026-11/,
        );
        return true;
      },
    );
  });

  it('freezes scopes the export cannot speak for: keeps their journals, holds back partial ones, audits both', async () => {
    ledger = [
      id('Budget', '2026-11', '2', 1), // scope has a quarantined row (account 9999) and is posted: held back
      id('Budget', '2026-11', '2', 2), // would be stale, but its scope is frozen: kept
      id('Budget', '2026-12', '3', 1), // Dec has a row whose subsidiary does not map: every subsidiary frozen
      id('Budget', '2026-11', '7', 1), // subsidiary 7 is not in the member map at all: kept
    ];
    const { r, stored } = await prepare({
      cycleId: 'cycle:frozen',
      exportCsv: `${EXPORT}9999,SUB-2,DEP-101,Nov 26,Budget,10\n6100,SUB-9,DEP-101,Dec 26,Budget,10\n`,
    });
    assert.deepEqual(stored.retire, [], 'nothing retired');
    assert.deepEqual(
      stored.journals.map((j) => j.externalId),
      [id('Budget', '2026-12', '2', 1)],
      'the posted Nov scope is not overwritten by a journal without the quarantined value',
    );
    assert.equal(r.keptJournals, 4, 'the held-back one included');
    assert.equal(r.heldValues, 1);
    assert.deepEqual(r.frozen!.map((f) => `${f.version}|${f.period}|${f.subsidiaryId}`).sort(), [
      'Budget|2026-11|2',
      'Budget|2026-11|7',
      'Budget|2026-12|*',
      'Forecast|*|*',
    ]);
    assert.match(
      r.warning ?? '',
      /4 plan scope\(s\) frozen, nothing deleted there and 1 plan value\(s\) held back; 4 ledger journal\(s\) kept as posted/,
    );
    const rows = await audit.queryRecords({ cycleId: 'cycle:frozen', step: 'exportPlan', recordKind: 'journal' });
    assert.deepEqual(
      rows
        .filter((x) => x.reason?.startsWith('kept'))
        .map((x) => x.targetRef)
        .sort(),
      [
        id('Budget', '2026-11', '2', 1),
        id('Budget', '2026-11', '2', 2),
        id('Budget', '2026-12', '3', 1),
        id('Budget', '2026-11', '7', 1),
      ].sort(),
    );
    assert.equal(rows.filter((x) => x.targetRef?.startsWith('scope:')).length, 4);
  });

  it('retires nothing, and still posts, when NetSuite refuses the query for the lines of posted journals', async () => {
    ledger = [id('Budget', '2026-11', '2', 1), id('Budget', '2026-11', '3', 1)];
    refuseMembersQuery = true;
    const withUnmapped: MemberMaps = {
      ...MAPS,
      departments: { ...MAPS.departments, unmapped: { '102': 'DEP-102 is not a member of the Anaplan list' } },
    };
    const { r, stored } = await prepare({ maps: withUnmapped, cycleId: 'cycle:lines-refused' });
    assert.equal(stored.journals.length, 2, 'the plan still posts');
    assert.deepEqual(stored.retire, [], 'SUB-3 has no Nov values, but nothing shows the scope fully mapped');
    assert.equal(r.keptJournals, 1);
    assert.ok(
      r.frozen!.some(
        (f) =>
          f.version === 'Budget' &&
          f.period === '*' &&
          /lines of posted journals could not be read .*400 Invalid search query/.test(f.reason),
      ),
      JSON.stringify(r.frozen),
    );
  });
});
