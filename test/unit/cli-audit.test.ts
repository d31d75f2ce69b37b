import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandArgs, UsageError } from '../../client/command';
import { createAuditCommand } from '../../client/commands/audit';
import { AuditTrail, PgAuditStore, type AuditStore } from '../../activities/store';
import { freshPgDatabase } from '../helpers/pg';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-audit-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function seed(audit: AuditStore): Promise<void> {
  await audit.appendRecords([
    {
      cycleId: 'c1',
      step: 'importActuals',
      recordKind: 'actual',
      account: '4000',
      amount: '1250.50',
      outcome: 'accepted',
      targetRef: 'task-1',
      sourceRef: 'q:ab#1',
    },
    {
      cycleId: 'c1',
      step: 'importActuals',
      recordKind: 'actual',
      account: '6990',
      amount: '10.00',
      outcome: 'quarantined',
      reason: 'account excluded (6990)',
    },
    {
      cycleId: 'c1',
      step: 'postJournals',
      recordKind: 'journal',
      account: null,
      outcome: 'rejected',
      targetRef: 'mlc-2026-10-s1-p1',
      reason: 'INVALID_KEY_OR_REF',
    },
    {
      cycleId: 'c1',
      step: 'postJournals',
      recordKind: 'journal',
      outcome: 'accepted',
      targetRef: 'mlc-2026-10-s1-p2',
      targetInternalId: '901',
    },
    { cycleId: 'c2', step: 'importActuals', recordKind: 'actual', account: '4000', amount: '99', outcome: 'accepted' },
  ]);
  await audit.appendCall({
    system: 'netsuite',
    method: 'PUT',
    path: '/services/rest/record/v1/journalentry/eid:mlc-2026-10-s1-p1',
    status: 400,
    attempt: 1,
    durationMs: 12,
    cycleId: 'c1',
  });
  await audit.close();
}

async function runWith(env: NodeJS.ProcessEnv, argv: string[]) {
  const cmd = createAuditCommand({ env });
  const out: string[] = [];
  const err: string[] = [];
  const { values, positionals } = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ values, positionals, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The same CLI suite on both backends: the data directory's SQLite file, and ML_CONNECTOR_AUDIT_DB=postgres://… . */
const backends: Array<{ name: string; env: () => Promise<NodeJS.ProcessEnv> }> = [
  {
    name: 'SQLite',
    env: async () => {
      await seed(new AuditTrail({ file: path.join(dir, 'audit.db') }));
      return { ML_CONNECTOR_DATA_DIR: dir };
    },
  },
  {
    name: 'PostgreSQL',
    env: async () => {
      const url = await freshPgDatabase('cli');
      const env = { ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_AUDIT_DB: url };
      const m = await runWith(env, ['migrate']);
      assert.equal(m.code, 0);
      assert.match(m.out, /applied migration\(s\) 1; schema version 1/);
      assert.match((await runWith(env, ['migrate'])).out, /nothing to apply; schema version 1/);
      await seed(new PgAuditStore({ url }));
      return env;
    },
  },
];

for (const backend of backends) {
  describe(`ml-connector audit (${backend.name})`, () => {
    let env: NodeJS.ProcessEnv;
    const run = (argv: string[], envOverride?: NodeJS.ProcessEnv) => runWith(envOverride ?? env, argv);
    before(async () => {
      env = await backend.env();
    });

    it('shows a cycle as a table with totals per outcome', async () => {
      const r = await run(['--cycle', 'c1']);
      assert.equal(r.code, 0);
      assert.match(r.out, /importActuals\s+actual\s+4000\s+1250\.50\s+accepted\s+task-1/);
      assert.match(r.out, /account excluded \(6990\)/);
      assert.match(r.out, /accepted 2, rejected 1, quarantined 1, pending 0/);
      assert.doesNotMatch(r.out, /\b99\b/, 'other cycles are not shown');
    });

    it('filters by account, external id, outcome and step, as JSON', async () => {
      const byAccount = JSON.parse((await run(['--cycle', 'c1', '--account', '4000', '--json'])).out) as Array<{
        amount: string;
      }>;
      assert.deepEqual(
        byAccount.map((r) => r.amount),
        ['1250.50'],
      );
      const byEid = JSON.parse(
        (await run(['--cycle', 'c1', '--external-id', 'mlc-2026-10-s1-p2', '--json'])).out,
      ) as Array<{ targetInternalId: string }>;
      assert.deepEqual(
        byEid.map((r) => r.targetInternalId),
        ['901'],
      );
      const rejected = JSON.parse(
        (await run(['--cycle', 'c1', '--outcome', 'rejected', '--step', 'postJournals', '--json'])).out,
      ) as Array<{ reason: string }>;
      assert.deepEqual(
        rejected.map((r) => r.reason),
        ['INVALID_KEY_OR_REF'],
      );
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
}

describe('ml-connector audit migrate', () => {
  it('refuses a query on an unmigrated PostgreSQL database naming the command; rejects unknown subcommands', async () => {
    const env = { ML_CONNECTOR_DATA_DIR: dir, ML_CONNECTOR_AUDIT_DB: await freshPgDatabase('cli_unmigrated') };
    await assert.rejects(runWith(env, ['--cycle', 'c1']), /run `ml-connector audit migrate`/);
    await assert.rejects(runWith(env, ['upgrade']), UsageError);
  });
});
