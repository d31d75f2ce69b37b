/**
 * Bad inputs that need no running system: config files, plan export files, and text that would
 * change a SuiteQL query if it were concatenated. Each case names its fixture under
 * test/fixtures/bad/ and asserts a clear error naming the input and the location, that nothing
 * downstream was produced (no journals artifact, no query sent), and that the process survives.
 * Sandbox-backed cases (actions, journals, tokens) are in bad-input-systems.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ConfigError, parseConfig, type ConnectionConfig } from '../../common/config';
import type { PeriodInfo, PreparePlanResult } from '../../common/dto';
import { loadConfigFile } from '../../client/config-file';
import { makePlan } from '../../activities/cycle/plan';
import { readStoredJournals } from '../../activities/cycle/stored-journals';
import type { CycleDeps } from '../../activities/cycle/context';
import type { NetSuitePort, Ports } from '../../activities/cycle/ports';
import { accountsWithActivitySql, glActivitySql, glTotalSql, sqlInt } from '../../activities/cycle/queries';
import { alignDimension, memberMap, type MemberMaps, type NetSuiteMember } from '../../activities/mapping/dimensions';
import { FsArtifactStore, AuditTrail, type ArtifactStore } from '../../activities/store';
import { ACCOUNTS, DEPARTMENTS, SUBSIDIARIES, CLASSES, LOCATIONS, buildPeriods } from '../../sandbox/demo-company';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'bad');
const fixture = (...p: string[]) => path.join(FIXTURES, ...p);

// ---------------------------------------------------------------------------------------------
// Config files: every problem reported at once, each with its path and the file name.
// ---------------------------------------------------------------------------------------------

interface ConfigCase {
  file: string;
  title: string;
  /** Every listed pattern must appear among the problems (one problem per pattern at least). */
  problems: RegExp[];
  /** Exact number of problems, when the case is about reporting all of them. */
  count?: number;
}

const CONFIG_CASES: ConfigCase[] = [
  {
    file: 'trailing-comma.json',
    title: 'broken JSON (trailing comma) is refused as not valid JSON',
    problems: [/not valid JSON/],
  },
  { file: 'truncated.json', title: 'a truncated file is refused as not valid JSON', problems: [/not valid JSON/] },
  { file: 'empty.json', title: 'an empty file is refused as not valid JSON', problems: [/not valid JSON/] },
  {
    file: 'array-root.json',
    title: 'a JSON array instead of an object is refused at the root',
    problems: [/^\(root\): .*object/i],
  },
  {
    file: 'missing-sections.json',
    title: 'missing sections are each reported with their path',
    problems: [/^actions: Required/, /^journals: Required/],
    count: 2,
  },
  {
    file: 'wrong-types.json',
    title: 'wrong types and out-of-range numbers are all reported with their paths',
    problems: [
      /^netsuite\.concurrency: Expected number, received string/,
      /^anaplan\.requestsPerMinute: .*600/,
      /^anaplan\.chunkSizeMb: .*1/,
      /^dimensions\.accounts\.sync: Expected boolean/,
    ],
    count: 4,
  },
  {
    file: 'several-problems.json',
    title: 'six wrong fields (seven problems) are reported together, each with its path',
    problems: [
      /^name: String must contain at least 1/,
      /^name: credential names/,
      /^netsuite\.accountId: Expected string/,
      /^anaplan\.modelId: /,
      /^actions\.exportPlan: Expected string, received null/,
      /^dimensions\.departments\.sync: Required/,
      /^journals\.maxLinesPerJournal: .*1000/,
    ],
    count: 7,
  },
  {
    file: 'workspace-id-uppercase.json',
    title: 'an uppercase workspace ID is refused (workspace IDs are lowercase hex)',
    problems: [/^anaplan\.workspaceId: must be 32 lowercase hex/],
    count: 1,
  },
  {
    file: 'model-id-lowercase.json',
    title: 'a lowercase model ID is refused (model IDs are uppercase, case-sensitive)',
    problems: [/^anaplan\.modelId: must be 32 uppercase hex/],
    count: 1,
  },
  {
    file: 'model-id-guid-dashes.json',
    title: 'a model ID written as a dashed GUID is refused',
    problems: [/^anaplan\.modelId: must be 32 uppercase hex/],
    count: 1,
  },
  {
    file: 'workspace-id-too-short.json',
    title: 'a 30-character workspace ID is refused',
    problems: [/^anaplan\.workspaceId: /],
    count: 1,
  },
  {
    file: 'workspace-id-not-hex.json',
    title: 'a workspace ID with a non-hex character is refused',
    problems: [/^anaplan\.workspaceId: /],
    count: 1,
  },
  {
    file: 'account-id-malformed.json',
    title: 'a NetSuite account ID with spaces and letters is refused',
    problems: [/^netsuite\.accountId: must look like 1234567/],
    count: 1,
  },
  {
    file: 'action-empty.json',
    title: 'an empty import action name is refused at actions.importActuals',
    problems: [/^actions\.importActuals: action name or ID is required/],
    count: 1,
  },
  {
    file: 'period-override-bad-month.json',
    title: 'a period override for month 13 is refused at its key',
    problems: [/^periods\.overrides\.2026-13: must be YYYY-MM/],
    count: 1,
  },
  {
    file: 'period-override-blank-code.json',
    title: 'a blank Anaplan period code is refused at its key',
    problems: [/^periods\.overrides\.2026-10: empty Anaplan period code/],
    count: 1,
  },
  {
    file: 'external-id-prefix-quote.json',
    title: 'an externalId prefix with a quote is refused',
    problems: [/^journals\.externalIdPrefix: /],
    count: 1,
  },
  {
    file: 'plan-versions-collide.json',
    title:
      'plan versions that normalise alike in journal external IDs are refused, naming both (case, separators, non-Latin case)',
    problems: [
      /^plan\.versions: versions "Forecast Q1" and "Forecast-Q1" are the same in journal external IDs/,
      /^plan\.versions: versions "Budget" and "BUDGET" /,
      /^plan\.versions: versions "Бюджет" and "бюджет" /,
    ],
    count: 3,
  },
  {
    file: 'credential-ref-path.json',
    title: 'a credential reference that looks like a path is refused',
    problems: [/^netsuite\.credentials: credential names use letters/],
    count: 1,
  },
  {
    file: 'schedule-holidays-bad.json',
    title: 'holidays that are not calendar dates are refused at their index',
    problems: [/^schedule\.holidays\.1: not a calendar date/, /^schedule\.holidays\.2: holidays are YYYY-MM-DD dates/],
  },
  {
    file: 'schedule-weekend-twice.json',
    title: 'a weekend listing a weekday twice is refused',
    problems: [/^schedule\.weekend: weekend lists a weekday twice/],
    count: 1,
  },
  {
    file: 'schedule-weekend-bad-name.json',
    title: 'a weekend day that is not a short weekday name is refused at its index',
    problems: [/^schedule\.weekend\.0: Invalid enum value\. Expected 'Sun' \| 'Mon'.*received 'Friday'/],
    count: 1,
  },
  {
    file: 'schedule-business-day-beyond-week.json',
    title: 'a business day that a month with that weekend does not have is refused',
    problems: [
      /^schedule\.businessDay: business day 9 does not exist in every month with 2 business days a week \(at most 8\)/,
    ],
    count: 1,
  },
  {
    file: 'unknown-key.json',
    title: 'a misspelt key is refused, naming the key and where it is',
    problems: [/^anaplan: Unrecognized key\(s\) in object: 'pollInterval'/],
    count: 1,
  },
];

describe('bad config files', () => {
  it('the corpus baseline is valid (so each case fails for its own reason), with or without a BOM', () => {
    const cfg = loadConfigFile(fixture('config', 'valid.json'));
    assert.equal(cfg.anaplan.modelId, '75A40874E6B64FA3AE0743278996850F');
    assert.deepEqual(loadConfigFile(fixture('config', 'bom-valid.json')), cfg);
  });

  for (const c of CONFIG_CASES) {
    it(`${c.file}: ${c.title}`, () => {
      const file = fixture('config', c.file);
      let err: unknown;
      try {
        loadConfigFile(file);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.equal(err.source, file, 'the error names the file');
      assert.ok(err.message.startsWith(file), 'the message starts with the file name');
      for (const p of c.problems)
        assert.ok(
          err.problems.some((x) => p.test(x)),
          `a problem matches ${p}; got:\n${err.problems.join('\n')}`,
        );
      if (c.count !== undefined)
        assert.equal(err.problems.length, c.count, `exactly ${c.count} problem(s):\n${err.problems.join('\n')}`);
    });
  }

  it('a config file that does not exist is reported by name, not as a stack trace', () => {
    const file = fixture('config', 'no-such-file.json');
    assert.throws(
      () => loadConfigFile(file),
      (e: unknown) =>
        e instanceof ConfigError && e.source === file && /cannot read the file \(ENOENT\)/.test(e.problems[0]!),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Plan exports through the real `preparePlan` activity (artifact store in a temp dir).
// ---------------------------------------------------------------------------------------------

const CYCLE_PERIOD = '2026-10';
const periods: PeriodInfo[] = buildPeriods('2026-10')
  .filter((p) => !p.isquarter && !p.isyear)
  .map((p) => ({
    period: p.startdate.slice(0, 7),
    id: String(p.id),
    name: p.periodname,
    startDate: p.startdate,
    endDate: p.enddate,
    closed: p.closed,
  }));

/** Member maps as alignment builds them for the demo company (inactive 6850 is unmapped). */
function demoMemberMaps(config: ConnectionConfig): MemberMaps {
  const seg = (
    list: Array<{ id: number; name: string; parent: number | null; isinactive: boolean }>,
  ): NetSuiteMember[] =>
    list.map((m) => ({
      id: String(m.id),
      name: m.name,
      parent: m.parent === null ? null : String(m.parent),
      isinactive: m.isinactive,
    }));
  const accounts: NetSuiteMember[] = ACCOUNTS.map((a) => ({
    id: String(a.id),
    number: a.acctnumber,
    name: a.name,
    parent: a.parent === null ? null : String(a.parent),
    isinactive: a.isinactive,
    type: a.accttype,
    issummary: a.issummary,
  }));
  const anaplanDeps = new Set(DEPARTMENTS.filter((d) => d.inAnaplan).map((d) => d.code));
  const rule = (d: keyof MemberMaps) => ({
    sync: config.dimensions[d].sync,
    overrides: config.dimensions[d].overrides,
    accountTypes: d === 'accounts' ? config.dimensions.accounts.accountTypes : undefined,
  });
  return {
    accounts: memberMap(alignDimension('accounts', accounts, rule('accounts'), new Set())),
    subsidiaries: memberMap(
      alignDimension(
        'subsidiaries',
        seg(SUBSIDIARIES.map((s) => ({ ...s, isinactive: false }))),
        rule('subsidiaries'),
        new Set(),
      ),
    ),
    departments: memberMap(alignDimension('departments', seg(DEPARTMENTS), rule('departments'), anaplanDeps)),
    classes: memberMap(alignDimension('classes', seg(CLASSES), rule('classes'), new Set())),
    locations: memberMap(alignDimension('locations', seg(LOCATIONS), rule('locations'), new Set())),
  };
}

/** A NetSuite port that answers only the offset-account lookup and records every query it is sent. */
function recordingNetSuite(queries: string[]): NetSuitePort {
  return {
    async *query(sql) {
      queries.push(sql);
      if (sql === `SELECT id, isinactive FROM account WHERE acctnumber = '2900'`) yield [{ id: '90', isinactive: 'F' }];
      else yield [];
    },
    // eslint-disable-next-line require-yield
    async *queryKeyset() {
      throw new Error('not used by preparePlan');
    },
    async upsertJournal() {
      throw new Error('preparePlan must never post');
    },
    async getJournal() {
      throw new Error('preparePlan must never read journals');
    },
    async deleteJournal() {
      throw new Error('preparePlan must never delete');
    },
  };
}

describe('bad plan exports (preparePlan)', () => {
  let dir: string;
  let artifacts: ArtifactStore;
  let audit: AuditTrail;
  let config: ConnectionConfig;
  let maps: string;
  const queries: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-bad-plan-'));
    artifacts = new FsArtifactStore(path.join(dir, 'artifacts'));
    audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
    config = loadConfigFile(fixture('config', 'valid.json'));
    maps = (await artifacts.put(JSON.stringify(demoMemberMaps(config)))).hash;
  });
  after(async () => {
    await audit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const deps = (cfgQueries = queries): CycleDeps => ({
    ports: (): Ports => ({
      netsuite: recordingNetSuite(cfgQueries),
      anaplan: new Proxy({} as Ports['anaplan'], {
        get: () => () => Promise.reject(new Error('preparePlan must not call Anaplan')),
      }),
    }),
    artifacts,
    audit,
  });

  async function prepare(content: Buffer | string, cfg: ConnectionConfig = config, d: CycleDeps = deps()) {
    const exportHash = (await artifacts.put(content)).hash;
    const { preparePlan } = makePlan(d);
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    return env.run(preparePlan, {
      config: cfg,
      cycleId: 'cycle:bad-input',
      exportHash,
      memberMapsHash: maps,
      periods,
      period: CYCLE_PERIOD,
    }) as Promise<PreparePlanResult>;
  }
  const file = (name: string) => fs.readFileSync(fixture('plan', name));
  const journalsOf = async (hash: string) => await readStoredJournals(artifacts, hash);
  const quarantineOf = async (hash: string | null) =>
    hash ? (JSON.parse((await artifacts.read(hash)).toString('utf8')) as Array<{ line: number; reason: string }>) : [];

  /** Asserts a non-retryable failure whose message matches every pattern. */
  async function refused(p: Promise<unknown>, ...patterns: RegExp[]) {
    await assert.rejects(p, (e: Error & { nonRetryable?: boolean; type?: string }) => {
      assert.equal(e.nonRetryable, true, `non-retryable: ${e.message}`);
      assert.equal(e.type, 'NonRetryable');
      for (const re of patterns) assert.match(e.message, re);
      return true;
    });
  }

  it('valid.csv (baseline): four approved values become balanced journals for Nov and Dec 2026', async () => {
    const r = await prepare(file('valid.csv'));
    assert.equal(r.values, 4);
    assert.equal(r.quarantined, 0);
    const stored = await journalsOf(r.journalsHash);
    assert.deepEqual(new Set(stored.journals.map((j) => j.period)), new Set(['2026-11', '2026-12']));
    for (const j of stored.journals) assert.equal(j.debitCents, j.creditCents, `${j.externalId} balances`);
  });

  it('truncated.csv: an export cut inside a quoted field fails as invalid CSV naming the line', async () => {
    await refused(prepare(file('truncated.csv')), /plan export is not valid CSV/, /line 3/i);
  });

  it('wrong-headers.csv: an export with other column names fails naming the missing columns and the action', async () => {
    await refused(
      prepare(file('wrong-headers.csv')),
      /Export Approved Plan/,
      /lacks column\(s\) Account, Subsidiary, Department, Period, Amount/,
      /has: Acct, Sub, Dept, Time, Version, Value/,
    );
  });

  it('non-numeric.csv: "1,234.50", "N/A" and "12abc" are quarantined by line, never posted as zero', async () => {
    const r = await prepare(file('non-numeric.csv'));
    assert.equal(r.values, 1, 'only the numeric row is planned');
    const q = await quarantineOf(r.quarantineHash);
    assert.deepEqual(
      q.map((x) => x.line),
      [3, 4, 5],
    );
    assert.match(q[0]!.reason, /amount "1,234.50" is not a number/);
    assert.match(q[1]!.reason, /amount "N\/A" is not a number/);
    assert.match(q[2]!.reason, /amount "12abc" is not a number/);
    const stored = await journalsOf(r.journalsHash);
    assert.equal(stored.journals.flatMap((j) => j.lines).filter((l) => !l.isOffset).length, 1);
  });

  it('bom.csv: a UTF-8 byte-order mark does not hide the first column', async () => {
    const r = await prepare(file('bom.csv'));
    assert.equal(r.values, 4);
    assert.equal(r.quarantined, 0);
  });

  it('latin1.csv: a Latin-1 export fails as not UTF-8, naming the line, instead of mangling codes', async () => {
    await refused(prepare(file('latin1.csv')), /plan export .* is not UTF-8/, /line 3/);
  });

  it('quoted-newline.csv: a code with a quoted newline is quarantined by its line, the rows after it keep theirs', async () => {
    const r = await prepare(file('quoted-newline.csv'));
    assert.equal(r.values, 2);
    const q = await quarantineOf(r.quarantineHash);
    assert.equal(q.length, 1);
    assert.match(q[0]!.reason, /account 6100\n does not map/);
    const stored = await journalsOf(r.journalsHash);
    const lines = stored.journals.flatMap((j) => j.lines).flatMap((l) => l.sourceLines);
    assert.ok(lines.includes(2), 'the row before keeps line 2');
    assert.ok(lines.includes(q[0]!.line + 1), 'the row after is counted from the end of the quoted newline');
  });

  it('a 10 MB field fails as invalid CSV naming the line, without buffering it into journals', async () => {
    const big = Buffer.concat([
      file('valid.csv'),
      Buffer.from(`6100,SUB-2,DEP-101,Nov 26,Budget,"${'9'.repeat(10 * 1024 * 1024)}"\n`),
    ]);
    await refused(prepare(big), /plan export is not valid CSV/, /record .*exceed|max.*record|too large/i, /line 6/);
  });

  it('amount-overflow.csv: an amount past what cents can hold exactly (1e20) is quarantined, not rounded', async () => {
    const r = await prepare(file('amount-overflow.csv'));
    assert.equal(r.values, 1);
    const q = await quarantineOf(r.quarantineHash);
    assert.equal(q.length, 1);
    assert.deepEqual([q[0]!.line, q[0]!.reason.replace(/^line \d+: /, '')], [3, 'amount "1e20" is not a number']);
    for (const j of (await journalsOf(r.journalsHash)).journals)
      assert.ok(Number.isSafeInteger(j.debitCents) && j.debitCents === j.creditCents);
  });

  it('unknown-members.csv: unknown account, subsidiary and department are each quarantined with line and code', async () => {
    const r = await prepare(file('unknown-members.csv'));
    assert.equal(r.values, 1);
    const q = (await quarantineOf(r.quarantineHash)).map(
      (x) => `line ${x.line}: ${x.reason.replace(/^line \d+: /, '')}`,
    );
    assert.deepEqual(q, [
      'line 3: account 9999 does not map to a NetSuite account',
      'line 4: subsidiary SUB-9 does not map to a NetSuite subsidiary',
      'line 5: department DEP-999 does not map to a NetSuite department',
    ]);
  });

  it('inactive-account.csv: a value on an account inactive in NetSuite (6850) is quarantined, not posted', async () => {
    const r = await prepare(file('inactive-account.csv'));
    const q = await quarantineOf(r.quarantineHash);
    assert.equal(q.length, 1);
    assert.equal(q[0]!.line, 3);
    assert.match(q[0]!.reason, /account 6850 does not map/);
    const accounts = (await journalsOf(r.journalsHash)).journals.flatMap((j) => j.lines.map((l) => l.accountId));
    assert.ok(!accounts.includes('53'), 'the inactive account (internal ID 53) is on no journal line');
  });

  it('closed-periods.csv: closed and past months are skipped, a quarter code is quarantined by line', async () => {
    const r = await prepare(file('closed-periods.csv'));
    assert.equal(r.skippedClosedPeriods, 2, 'Sep 26 and Oct 26 are closed');
    assert.equal(r.values, 1);
    const q = await quarantineOf(r.quarantineHash);
    assert.equal(q[0]!.line, 5);
    assert.match(q[0]!.reason, /period "Q4 26" is not a month code/);
    const stored = await journalsOf(r.journalsHash);
    assert.deepEqual([...new Set(stored.journals.map((j) => j.period))], ['2026-11']);
  });

  it('a month the cycle would post to but NetSuite has closed since is skipped, not posted', async () => {
    const closedNov = periods.map((p) => (p.period === '2026-11' ? { ...p, closed: true } : p));
    const exportHash = (await artifacts.put(file('valid.csv'))).hash;
    const r = (await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(
      makePlan(deps()).preparePlan,
      {
        config,
        cycleId: 'cycle:bad-input',
        exportHash,
        memberMapsHash: maps,
        periods: closedNov,
        period: CYCLE_PERIOD,
      },
    )) as PreparePlanResult;
    assert.equal(r.skippedClosedPeriods, 2);
    assert.deepEqual([...new Set((await journalsOf(r.journalsHash)).journals.map((j) => j.period))], ['2026-12']);
  });

  it('quoted-codes.csv: codes with quotes and SQL text are quarantined as unmapped and never reach a query', async () => {
    const seen: string[] = [];
    const r = await prepare(file('quoted-codes.csv'), config, deps(seen));
    const reasons = (await quarantineOf(r.quarantineHash)).map(
      (x) => `line ${x.line}: ${x.reason.replace(/^line \d+: /, '')}`,
    );
    assert.deepEqual(reasons, [
      `line 2: account 4010' OR '1'='1 does not map to a NetSuite account`,
      `line 3: account 6100"-- does not map to a NetSuite account`,
      `line 4: period "Nov 26'" is not a month code this connection maps`,
    ]);
    assert.equal(r.values, 0);
    assert.ok(
      seen.every((q) => !q.includes(`OR '1'='1`) && !q.includes('--')),
      `no plan text in any query: ${seen.join(' | ')}`,
    );
  });

  it("an offset account with a quote (2900' OR '1'='1) fails naming journals.offsetAccount, before any query", async () => {
    const seen: string[] = [];
    const bad = parseConfig({ ...config, journals: { ...config.journals, offsetAccount: `2900' OR '1'='1` } });
    await refused(
      prepare(file('valid.csv'), bad, deps(seen)),
      /journals\.offsetAccount "2900' OR '1'='1" is not an account number/,
    );
    assert.deepEqual(seen, [], 'no SuiteQL was sent');
  });
});

// ---------------------------------------------------------------------------------------------
// Text that would change a SuiteQL query if concatenated: refused before a query string exists.
// ---------------------------------------------------------------------------------------------

describe('SuiteQL literals', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'a period ID with OR 1=1',
      () => glActivitySql('12 OR 1=1', '21'),
      /period id must be a NetSuite internal ID \(digits\), got "12 OR 1=1"/,
    ],
    [
      'an account ID with a quote',
      () => glActivitySql('12', `21' OR '1'='1`),
      /account id must be a NetSuite internal ID \(digits\), got "21' OR '1'='1"/,
    ],
    [
      'a period ID closing a parenthesis',
      () => accountsWithActivitySql('12) OR (1=1'),
      /period id must be a NetSuite internal ID/,
    ],
    [
      'one bad account among the tie-out IDs',
      () => glTotalSql('12', ['21', '22', '23; DELETE FROM account']),
      /account id must be a NetSuite internal ID .*DELETE/,
    ],
    [
      'an accounting book that is not an integer',
      () => glActivitySql('12', '21', '2 OR 1=1' as unknown as number),
      /accounting book must be a NetSuite internal ID/,
    ],
    [
      'a period name string instead of an ID',
      () => sqlInt("Oct 2026' --", 'period id'),
      /period id must be a NetSuite internal ID \(digits\), got "Oct 2026' --"/,
    ],
  ];
  for (const [title, fn, re] of cases) {
    it(`${title} is refused before any SQL is built`, () => {
      assert.throws(fn, (e: Error) => e instanceof TypeError && re.test(e.message));
    });
  }
});
