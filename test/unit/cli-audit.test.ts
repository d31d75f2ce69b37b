import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandArgs, UsageError } from '../../client/command';
import { createAuditCommand } from '../../client/commands/audit';
import { AuditTrail } from '../../activities/store';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-audit-'));
  const audit = new AuditTrail({ file: path.join(dir, 'audit.db') });
  audit.appendRecords([
    { cycleId: 'c1', step: 'importActuals', recordKind: 'actual', account: '4000', amount: '1250.50', outcome: 'accepted', targetRef: 'task-1', sourceRef: 'q:ab#1' },
    { cycleId: 'c1', step: 'importActuals', recordKind: 'actual', account: '6990', amount: '10.00', outcome: 'quarantined', reason: 'account excluded (6990)' },
    { cycleId: 'c1', step: 'postJournals', recordKind: 'journal', account: null, outcome: 'rejected', targetRef: 'mlc-2026-10-s1-p1', reason: 'INVALID_KEY_OR_REF' },
    { cycleId: 'c1', step: 'postJournals', recordKind: 'journal', outcome: 'accepted', targetRef: 'mlc-2026-10-s1-p2', targetInternalId: '901' },
    { cycleId: 'c2', step: 'importActuals', recordKind: 'actual', account: '4000', amount: '99', outcome: 'accepted' },
  ]);
  audit.appendCall({ system: 'netsuite', method: 'PUT', path: '/services/rest/record/v1/journalentry/eid:mlc-2026-10-s1-p1', status: 400, attempt: 1, durationMs: 12, cycleId: 'c1' });
  audit.close();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], envOverride?: NodeJS.ProcessEnv) {
  const cmd = createAuditCommand({ env: envOverride ?? { ML_CONNECTOR_DATA_DIR: dir } });
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ml-connector audit', () => {
  it('shows a cycle as a table with totals per outcome', async () => {
    const r = await run(['--cycle', 'c1']);
    assert.equal(r.code, 0);
    assert.match(r.out, /importActuals\s+actual\s+4000\s+1250\.50\s+accepted\s+task-1/);
    assert.match(r.out, /account excluded \(6990\)/);
    assert.match(r.out, /accepted 2, rejected 1, quarantined 1, pending 0/);
    assert.doesNotMatch(r.out, /\b99\b/, 'other cycles are not shown');
  });

  it('filters by account, external id, outcome and step, as JSON', async () => {
    const byAccount = JSON.parse((await run(['--cycle', 'c1', '--account', '4000', '--json'])).out) as Array<{ amount: string }>;
    assert.deepEqual(byAccount.map((r) => r.amount), ['1250.50']);
    const byEid = JSON.parse((await run(['--cycle', 'c1', '--external-id', 'mlc-2026-10-s1-p2', '--json'])).out) as Array<{ targetInternalId: string }>;
    assert.deepEqual(byEid.map((r) => r.targetInternalId), ['901']);
    const rejected = JSON.parse((await run(['--cycle', 'c1', '--outcome', 'rejected', '--step', 'postJournals', '--json'])).out) as Array<{ reason: string }>;
    assert.deepEqual(rejected.map((r) => r.reason), ['INVALID_KEY_OR_REF']);
    const limited = JSON.parse((await run(['--cycle', 'c1', '--limit', '1', '--json'])).out) as unknown[];
    assert.equal(limited.length, 1);
  });

  it('lists the external calls with --calls', async () => {
    const r = await run(['--cycle', 'c1', '--calls']);
    assert.match(r.out, /netsuite\s+PUT\s+\/services\/rest\/record\/v1\/journalentry\/eid:mlc-2026-10-s1-p1\s+400/);
  });

  it('rejects unknown outcomes and a missing --cycle; reports a missing database without creating one', async () => {
    await assert.rejects(() => run(['--cycle', 'c1', '--outcome', 'lost']), UsageError);
    await assert.rejects(() => run([]), /--cycle is required/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-audit-empty-'));
    try {
      const r = await run(['--cycle', 'c1'], { ML_CONNECTOR_DATA_DIR: empty });
      assert.equal(r.code, 1);
      assert.match(r.err, /no audit database/);
      assert.deepEqual(fs.readdirSync(empty), []);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
