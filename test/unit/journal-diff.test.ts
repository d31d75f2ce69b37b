/**
 * The approval diff classes each planned journal exactly as posting will (issue 11 item 8): both build
 * the journal's record body with one function, so a ledger journal whose approval status differs from
 * the configured one is an "update" in the diff too — on an account with SuiteFlow approval routing as
 * well as with the `approved` checkbox.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { makeDiff } from '../../activities/cycle/diff';
import { plannedJournalBody } from '../../activities/cycle/journals';
import type { StoredJournals } from '../../activities/cycle/plan';
import type { NetSuitePort, Ports } from '../../activities/cycle/ports';
import type { PlannedJournal } from '../../activities/mapping/journals';
import { AuditTrail, FsArtifactStore, type ArtifactStore } from '../../activities/store';
import { loadConfigFile } from '../../client/config-file';
import type { ConnectionConfig } from '../../common/config';
import type { JournalDiffResult } from '../../common/dto';

const JOURNAL: PlannedJournal = {
  externalId: 'mlc-75a40874e6b6-budget-202611-s2-p1',
  subsidiaryId: '2',
  period: '2026-11',
  version: 'Budget',
  part: 1,
  parts: 1,
  lines: [
    { accountId: '61', departmentId: '101', debitCents: 1500, creditCents: 0, sourceLines: [1], isOffset: false },
    { accountId: '90', departmentId: null, debitCents: 0, creditCents: 1500, sourceLines: [], isOffset: true },
  ],
  debitCents: 1500,
  creditCents: 1500,
};
const STORED: StoredJournals = {
  period: '2026-11',
  journals: [JOURNAL],
  periods: { '2026-11': { id: '11', endDate: '2026-11-30' } },
};

describe('approval diff', () => {
  let dir: string;
  let artifacts: ArtifactStore;
  let audit: AuditTrail;
  let base: ConnectionConfig;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-diff-'));
    artifacts = new FsArtifactStore(path.join(dir, 'artifacts'));
    audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
    base = loadConfigFile(path.join(__dirname, '..', 'fixtures', 'bad', 'config', 'valid.json'));
  });
  after(async () => {
    await audit.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The diff's action for JOURNAL when the ledger holds `ledgerBody` under that external ID. */
  async function actionFor(config: ConnectionConfig, ledgerBody: Record<string, unknown>): Promise<string> {
    const netsuite = {
      async getJournal(externalId: string) {
        return externalId === JOURNAL.externalId ? { internalId: '77', body: ledgerBody } : null;
      },
    } as unknown as NetSuitePort;
    const ports = async (): Promise<Ports> => ({ netsuite, anaplan: {} as Ports['anaplan'] });
    const journalsHash = (await artifacts.put(JSON.stringify(STORED))).hash;
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const r = (await env.run(makeDiff({ ports, artifacts, audit }), {
      config,
      cycleId: 'cycle:diff',
      journalsHash,
    })) as JournalDiffResult;
    const [action] = (Object.keys(r.counts) as Array<keyof typeof r.counts>).filter((k) => r.counts[k] > 0);
    return action!;
  }

  for (const approvalRouting of [false, true]) {
    const mode = approvalRouting ? 'SuiteFlow approval routing' : 'the approved checkbox';
    it(`with ${mode}: the journal as posting writes it is unchanged, a different approval status is an update`, async () => {
      const approved = {
        ...base,
        journals: { ...base.journals, approvalRouting, approvalStatus: 'approved' as const },
      };
      const pending = { ...approved, journals: { ...approved.journals, approvalStatus: 'pendingApproval' as const } };
      const posted = plannedJournalBody(STORED, JOURNAL, approved);
      assert.equal(await actionFor(approved, posted), 'unchanged');
      assert.equal(await actionFor(pending, posted), 'update', 'the configured approval status changed');
    });
  }
});
