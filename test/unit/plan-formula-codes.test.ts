/**
 * Formula-guarded codes round-trip (issue 13 item 7): a member code a spreadsheet would read as a
 * formula (`+4010`) goes to Anaplan as `'+4010` (csvLine), so Anaplan's plan export returns it that
 * way; preparePlan maps it back to the NetSuite account instead of quarantining the value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { makePlan } from '../../activities/cycle/plan';
import { readStoredJournals } from '../../activities/cycle/stored-journals';
import type { CycleDeps } from '../../activities/cycle/context';
import type { NetSuitePort, Ports } from '../../activities/cycle/ports';
import { csvLine } from '../../activities/mapping/csv';
import type { MemberMaps } from '../../activities/mapping/dimensions';
import { FsArtifactStore, AuditTrail, type ArtifactStore } from '../../activities/store';
import { loadConfigFile } from '../../client/config-file';
import type { PeriodInfo, PreparePlanResult } from '../../common/dto';
import { memberMaps } from '../helpers/member-maps';

const MAPS: MemberMaps = memberMaps({
  accounts: { '+4010': '41', '-6100': '61', '2900': '90' },
  subsidiaries: { 'SUB-2': '2' },
  departments: { 'DEP-101': '101' },
});
const PERIODS: PeriodInfo[] = [
  { period: '2026-11', id: '11', name: 'Nov 2026', startDate: '2026-11-01', endDate: '2026-11-30', closed: false },
];

describe('formula-guarded codes in the plan export', () => {
  let dir: string;
  let artifacts: ArtifactStore;
  let audit: AuditTrail;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-formula-'));
    artifacts = new FsArtifactStore(path.join(dir, 'artifacts'));
    audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
  });
  after(async () => {
    await audit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('maps a guarded account code back to its NetSuite account; a -number code needs no guard', async () => {
    const netsuite = {
      async *query() {
        yield [];
      },
    } as unknown as NetSuitePort;
    const deps: CycleDeps = { ports: async () => ({ netsuite, anaplan: {} as Ports['anaplan'] }), artifacts, audit };
    // What Anaplan holds after our list import wrote the codes with csvLine.
    const exported =
      csvLine(['Account', 'Subsidiary', 'Department', 'Period', 'Version', 'Amount']) +
      csvLine(['+4010', 'SUB-2', 'DEP-101', 'Nov 26', 'Budget', '-1500.00']) +
      csvLine(['-6100', 'SUB-2', 'DEP-101', 'Nov 26', 'Budget', '1500.00']);
    assert.match(exported, /^'\+4010,/m);
    assert.match(exported, /^-6100,/m);
    const exportHash = (await artifacts.put(exported)).hash;
    const memberMapsHash = (await artifacts.put(JSON.stringify(MAPS))).hash;
    const config = loadConfigFile(path.join(__dirname, '..', 'fixtures', 'bad', 'config', 'valid.json'));
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const r = (await env.run(makePlan(deps).preparePlan, {
      config,
      cycleId: 'cycle:formula',
      exportHash,
      memberMapsHash,
      periods: PERIODS,
      period: '2026-10',
    })) as PreparePlanResult;
    assert.equal(r.quarantined, 0, 'nothing quarantined');
    assert.equal(r.values, 2);
    const stored = await readStoredJournals(artifacts, r.journalsHash);
    const accounts = stored.journals.flatMap((j) => j.lines.map((l) => l.accountId)).sort();
    assert.ok(accounts.includes('41') && accounts.includes('61'), `lines on accounts 41 and 61: ${accounts.join(',')}`);
  });
});
