/**
 * Extraction part files (issue 11, rule 7): a part finished by an earlier attempt of the same run
 * with the same query is reused (a retried attempt resumes); a part left by an earlier run of the
 * same cycle ID, or written for another query, is discarded and extracted again — so a re-run never
 * imports rows NetSuite has changed since. Runs on both artifact store backends: on S3 the retried
 * attempt opens the store afresh with another local directory, as a worker on another host would.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { cycleWorkDir, makeActuals } from '../../activities/cycle/actuals';
import type { CycleDeps } from '../../activities/cycle/context';
import type { NetSuitePort, Ports, SuiteQlRow } from '../../activities/cycle/ports';
import type { MemberMaps } from '../../activities/mapping/dimensions';
import { FsArtifactStore, AuditTrail, openArtifactStore, type ArtifactStore } from '../../activities/store';
import type { ConnectionConfig } from '../../common/config';
import { loadConfigFile } from '../../client/config-file';
import type { ExtractResult, PeriodInfo } from '../../common/dto';
import { memberMaps } from '../helpers/member-maps';
import { s3ArtifactEnv } from '../helpers/s3';

const MAPS: MemberMaps = memberMaps({
  accounts: { '4010': '41', '6100': '61' },
  subsidiaries: { 'SUB-2': '2' },
  departments: { 'DEP-101': '101' },
  classes: { 'CLS-1': '1' },
  locations: { 'LOC-1': '1' },
});
const PERIOD: PeriodInfo = {
  period: '2026-10',
  id: '10',
  name: 'Oct 2026',
  startDate: '2026-10-01',
  endDate: '2026-10-31',
  closed: true,
};

const backends: Array<{ name: string; open(dir: string): Promise<() => ArtifactStore> }> = [
  { name: 'filesystem', open: async (dir) => () => new FsArtifactStore(path.join(dir, 'artifacts')) },
  {
    name: 's3',
    async open(dir) {
      const { env } = await s3ArtifactEnv('parts');
      let host = 0;
      return () => openArtifactStore(env, path.join(dir, `host-${host++}`));
    },
  },
];

for (const backend of backends)
  describe(`extraction part files (${backend.name})`, () => {
    let dir: string;
    let artifacts: ArtifactStore;
    /** A new store instance per attempt: on S3, another host with its own local directory. */
    let openStore: () => ArtifactStore;
    let audit: AuditTrail;
    let config: ConnectionConfig;
    let memberMapsHash: string;
    /** Net per account as NetSuite holds it now; `failOn` makes that account's query fail (non-retryably). */
    let ledger: Record<string, string>;
    let failOn: string | null;
    let glQueries: string[];
    /** When the tie-out total was asked for and when each partition's query ended. */
    let order: string[];

    const netsuite: NetSuitePort = {
      async *query(sql) {
        if (/SELECT DISTINCT tal\.account/.test(sql)) yield Object.keys(ledger).map((a) => ({ account_id: a }));
        else if (/SUM\(NVL\(tal\.debit, 0\) - NVL\(tal\.credit, 0\)\) AS net, COUNT/.test(sql)) {
          order.push('total');
          yield [{ net: String(Object.values(ledger).reduce((s, v) => s + Number(v), 0)), lines: '1' }];
        } else {
          const account = /tal\.account = (\d+)/.exec(sql)![1]!;
          glQueries.push(account);
          if (failOn === account)
            throw Object.assign(new Error('400 Invalid search query'), { status: 400, retryable: false });
          const row: SuiteQlRow = {
            account_id: account,
            subsidiary_id: '2',
            department_id: '101',
            class_id: '1',
            location_id: '1',
            net: ledger[account]!,
          };
          yield [row];
          order.push(`part-end:${account}`);
        }
      },
      // eslint-disable-next-line require-yield
      async *queryKeyset() {
        throw new Error('not used');
      },
      upsertJournal: () => Promise.reject(new Error('not used')),
      deleteJournal: () => Promise.reject(new Error('not used')),
      getJournal: () => Promise.reject(new Error('not used')),
    };
    const deps = (): CycleDeps => ({
      ports: async (): Promise<Ports> => ({
        netsuite,
        anaplan: new Proxy({} as Ports['anaplan'], { get: () => () => Promise.reject(new Error('no Anaplan here')) }),
      }),
      artifacts: openStore(),
      audit,
    });
    const extract = async (runId: string, cfg: ConnectionConfig = config) =>
      (await new MockActivityEnvironment(
        { workflowExecution: { workflowId: 'cycle:parts', runId } },
        { logger: new DefaultLogger('ERROR') },
      ).run(makeActuals(deps()).extractActuals, {
        config: cfg,
        cycleId: 'cycle:parts',
        periodInfo: PERIOD,
        anaplanPeriodCode: 'Oct 26',
        memberMapsHash,
      })) as ExtractResult;
    const csv = async (r: ExtractResult) => (await artifacts.read(r.csvHash)).toString('utf8');

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-parts-'));
      openStore = await backend.open(dir);
      artifacts = openStore();
      audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
      const loaded = loadConfigFile(path.join(__dirname, '..', 'fixtures', 'bad', 'config', 'valid.json'));
      // One account at a time: account 41's part is finished before account 61's query fails.
      // Multi-Book set in config: the fake port answers GL queries only (no book probe), and the last test varies the book.
      config = { ...loaded, netsuite: { ...loaded.netsuite, concurrency: 1, multiBook: 'on' } };
      memberMapsHash = (await artifacts.put(JSON.stringify(MAPS))).hash;
    });
    after(async () => {
      await audit.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await artifacts.parts.removeTree(cycleWorkDir('cycle:parts'));
      ledger = { '41': '-100.00', '61': '50.00' };
      failOn = '61';
      glQueries = [];
      order = [];
    });

    it('a retried attempt of the same run reuses the part it finished', async () => {
      await assert.rejects(extract('run-1'), /Invalid search query/);
      assert.deepEqual(glQueries, ['41', '61']);
      failOn = null;
      glQueries = [];
      const r = await extract('run-1');
      assert.deepEqual(glQueries, ['61'], 'account 41 is read back from its part, not queried again');
      assert.equal(r.rows, 2);
    });

    it('a new run of the same cycle ID discards the parts an earlier run left, and extracts what NetSuite holds now', async () => {
      await assert.rejects(extract('run-1'), /Invalid search query/);
      failOn = null;
      ledger['41'] = '-175.00'; // a late adjustment posted between the runs
      glQueries = [];
      const r = await extract('run-2');
      assert.deepEqual(glQueries.sort(), ['41', '61'], 'both accounts are queried again');
      assert.match(await csv(r), /4010,SUB-2,DEP-101,CLS-1,LOC-1,Oct 26,-175(\.00)?\n/);
      assert.doesNotMatch(await csv(r), /-100/);
      assert.equal(r.csvCents, -12_500);
    });

    it("NetSuite's tie-out total is asked for alongside the partitions, not after the last one", async () => {
      failOn = null;
      const r = await extract('run-1');
      assert.ok(order.includes('total'), order.join(' '));
      assert.ok(
        order.indexOf('total') < order.indexOf('part-end:61'),
        `total before the last part ends: ${order.join(' ')}`,
      );
      assert.equal(r.netsuiteCents, -5_000, 'the total is the same');
      assert.equal(r.csvCents, -5_000);
    });

    it('the same run with another query (a different accounting book) discards the part', async () => {
      await assert.rejects(extract('run-1'), /Invalid search query/);
      failOn = null;
      glQueries = [];
      await extract('run-1', { ...config, netsuite: { ...config.netsuite, accountingBook: 2 } });
      assert.deepEqual(glQueries.sort(), ['41', '61']);
    });
  });
